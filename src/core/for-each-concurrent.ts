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

/**
 * `forEachConcurrent` over items that a producer hands over in batches while earlier ones run: `feed` calls
 * `push(batch)` for each, and the lanes take items across batch boundaries, so a batch boundary does not drain
 * the lanes (none waits for a batch's slowest item before the next batch starts). `push` waits while `buffer` or
 * more items wait for a lane (memory stays bounded), and resolves false once no item will start any more (`stop`
 * aborted or an item threw): the producer then returns. Settles once the producer has returned and every item
 * in hand has settled; then the first error (an item's or the producer's) is rethrown.
 */
export async function forEachFed<T>(
  concurrency: number,
  stop: AbortSignal,
  buffer: number,
  feed: (push: (batch: readonly T[]) => Promise<boolean>) => Promise<void>,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  /** Handed over, not yet taken: `current` from `head` on, then the batches in `queued`. */
  let current: readonly T[] = [];
  let head = 0;
  const queued: (readonly T[])[] = [];
  let waiting = 0;
  let fed = false;
  let failure: { error: unknown } | undefined;
  /** Whoever waits (idle lanes, or the producer for room) waits on `moved`, resolved when either side moves. */
  let sleepers = 0;
  let wake: (() => void) | undefined;
  let moved: Promise<void> | undefined;
  const sleep = async (): Promise<void> => {
    moved ??= new Promise<void>((resolve) => (wake = resolve));
    sleepers++;
    await moved;
    sleepers--;
  };
  const wakeAll = (): void => {
    if (moved === undefined) return;
    moved = undefined;
    wake!();
  };
  const stopped = (): boolean => failure !== undefined || stop.aborted;
  stop.addEventListener('abort', wakeAll, { once: true });

  const push = async (batch: readonly T[]): Promise<boolean> => {
    while (!stopped() && waiting >= buffer) await sleep();
    if (stopped()) return false;
    if (batch.length > 0) {
      queued.push(batch);
      waiting += batch.length;
      if (sleepers > 0) wakeAll();
    }
    return true;
  };
  const lane = async (): Promise<void> => {
    while (!stopped()) {
      if (head >= current.length) {
        const next = queued.shift();
        if (next === undefined) {
          if (fed) return;
          await sleep();
          continue;
        }
        current = next;
        head = 0;
      }
      const item = current[head++]!;
      waiting--;
      if (sleepers > 0 && waiting < buffer) wakeAll(); // the producer may go on
      try {
        await fn(item);
      } catch (error) {
        failure ??= { error };
        wakeAll();
      }
    }
  };
  const producer = feed(push)
    .catch((error: unknown) => {
      failure ??= { error };
    })
    .finally(() => {
      fed = true;
      wakeAll();
    });
  try {
    await Promise.all([producer, ...Array.from({ length: Math.max(1, concurrency) }, lane)]);
  } finally {
    stop.removeEventListener('abort', wakeAll);
  }
  if (failure) throw failure.error;
}
