/**
 * Runs `fn` over `items` with at most `concurrency` in flight. Stops starting new items once `stop` aborts
 * (graceful shutdown); items in hand finish. `fn` settles its own errors.
 */
export async function forEachConcurrent<T>(
  items: Iterable<T>,
  concurrency: number,
  stop: AbortSignal,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  const iterator = items[Symbol.iterator]();
  const worker = async (): Promise<void> => {
    while (!stop.aborted) {
      const next = iterator.next();
      if (next.done) return;
      await fn(next.value);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
}
