/**
 * Runs `fn` over `items` (values, not promises) with at most `concurrency` in flight, started in order. No new
 * item starts once `stop` aborts (graceful shutdown) or once an item has thrown; either way the items in hand
 * are awaited before this settles, so no work of a run outlives it (the runner records the run and releases
 * its lock only after). Then the first error, if any, is rethrown; later ones are dropped: `fn` settles its own
 * per-item errors, so a throw means "stop this step".
 *
 * `concurrency` lanes each take the next item when their last one has settled: one await per item and no
 * bookkeeping of its own (p-map's per-item pull, runner and index set cost more than a catalog write's other
 * work on the run's thread). A lazy iterable left unfinished is closed, as `for…of` would close it.
 */
export async function forEachConcurrent<T>(
  items: Iterable<T>,
  concurrency: number,
  stop: AbortSignal,
  fn: (item: T, index: number) => Promise<void>,
): Promise<void> {
  const iterator = items[Symbol.iterator]();
  let failure: { error: unknown } | undefined;
  let ended = false;
  let next = 0;
  const lane = async (): Promise<void> => {
    while (!ended && failure === undefined && !stop.aborted) {
      let step: IteratorResult<T>;
      try {
        step = iterator.next();
      } catch (error) {
        // A throwing iterable ends the items like a failing item.
        ended = true;
        failure ??= { error };
        return;
      }
      if (step.done) {
        ended = true;
        return;
      }
      try {
        await fn(step.value, next++);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, lane));
  if (!ended) iterator.return?.();
  if (failure) throw failure.error;
}
