/**
 * Runs `fn` over `items` with at most `concurrency` in flight, in order of start. Stops starting new items
 * once `stop` aborts (the graceful-shutdown signal); items in hand finish. `fn` settles its own errors: one
 * that throws stops this helper at once, like Promise.all.
 */
export async function forEachConcurrent<T>(
  items: Iterable<T>,
  concurrency: number,
  stop: AbortSignal,
  fn: (item: T, index: number) => Promise<void>,
): Promise<void> {
  const iterator = items[Symbol.iterator]();
  let index = 0;
  const worker = async (): Promise<void> => {
    while (!stop.aborted) {
      const next = iterator.next();
      if (next.done) return;
      await fn(next.value, index++);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
}
