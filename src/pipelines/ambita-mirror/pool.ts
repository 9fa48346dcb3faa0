/**
 * Runs `fn` over `items` with at most `concurrency` in flight, in order of start. Stops starting new items once
 * `stop` aborts (the graceful-shutdown signal); items in hand finish. `fn` settles its own errors.
 */
export async function forEachConcurrent<T>(items: readonly T[], concurrency: number, stop: AbortSignal, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length && !stop.aborted) {
      const index = next++;
      await fn(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}
