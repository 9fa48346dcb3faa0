import pMap, { pMapStop } from 'p-map';

/**
 * Runs `fn` over `items` (values, not promises) with at most `concurrency` in flight, started in order. No new
 * item starts once `stop` aborts (graceful shutdown) or once an item has thrown; either way the items in hand
 * are awaited before this settles, so no work of a run outlives it (the runner records the run and releases
 * its lock only after). Then the first error, if any, is rethrown; later ones are dropped: `fn` settles its own
 * per-item errors, so a throw means "stop this step".
 *
 * p-map's own `stopOnError` rejects at once, with the other mappers still running, so errors are caught here
 * and turned into `pMapStop` at the next item instead. p-map then reads no more items (a lazy iterable is
 * closed) and settles once every earlier item has; items start in index order, so those are all in hand.
 */
export async function forEachConcurrent<T>(
  items: Iterable<T>,
  concurrency: number,
  stop: AbortSignal,
  fn: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let failure: { error: unknown } | undefined;
  // A throwing iterable ends the items like a failing one; p-map would reject without waiting for the rest.
  function* guarded(): Generator<T> {
    try {
      yield* items;
    } catch (error) {
      failure ??= { error };
    }
  }
  await pMap(
    guarded(),
    async (item, index) => {
      if (failure !== undefined || stop.aborted) return pMapStop;
      try {
        await fn(item, index);
      } catch (error) {
        failure ??= { error };
      }
      return undefined;
    },
    { concurrency: Math.max(1, concurrency) },
  );
  if (failure) throw failure.error;
}
