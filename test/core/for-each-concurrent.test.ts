import { describe, expect, it } from 'vitest';
import { forEachConcurrent, forEachFed } from '../../src/core/for-each-concurrent.js';

/** A promise settled from outside: each item waits on its own gate, so the test decides when it ends. */
function gate(): { promise: Promise<void>; open(): void; fail(err: Error): void } {
  let open!: () => void;
  let fail!: (err: Error) => void;
  const promise = new Promise<void>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return { promise, open, fail };
}

/** Lets every queued microtask and p-queue hand-over run (no timer involved: the next macrotask). */
const settleMicrotasks = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Ten gated items: records which started and finished, and whether the helper's promise settled. */
function gatedRun(concurrency: number, stop = new AbortController().signal) {
  const gates = Array.from({ length: 10 }, gate);
  const started: number[] = [];
  const finished: number[] = [];
  const indices: number[] = [];
  let settled = false;
  const done = forEachConcurrent(
    gates.map((_, i) => i),
    concurrency,
    stop,
    async (item, index) => {
      started.push(item);
      indices.push(index);
      await gates[item]!.promise;
      finished.push(item);
    },
  ).finally(() => (settled = true));
  done.catch(() => undefined); // asserted below; keeps a rejection from counting as unhandled meanwhile
  return { gates, started, finished, indices, done, settled: () => settled };
}

describe('forEachConcurrent', () => {
  it('runs every item once, in start order, never more than `concurrency` at once', async () => {
    let inFlight = 0;
    let peak = 0;
    const seen: [number, number][] = [];
    await forEachConcurrent(['a', 'b', 'c', 'd', 'e', 'f', 'g'], 3, new AbortController().signal, async (item, index) => {
      seen.push([index, item.charCodeAt(0) - 97]);
      peak = Math.max(peak, ++inFlight);
      await settleMicrotasks();
      inFlight--;
    });
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6].map((i) => [i, i]));
    expect(peak).toBe(3);
  });

  it('10 items, concurrency 3, item 0 fails: no item starts after the failure, and it settles only after the in-flight ones', async () => {
    const run = gatedRun(3);
    await settleMicrotasks();
    expect(run.started).toEqual([0, 1, 2]);

    run.gates[0]!.fail(new Error('item 0 failed'));
    await settleMicrotasks();
    expect(run.started).toEqual([0, 1, 2]); // item 0's slot is not handed to item 3
    expect(run.settled()).toBe(false); // items 1 and 2 are still in hand

    run.gates[1]!.open();
    await settleMicrotasks();
    expect(run.started).toEqual([0, 1, 2]); // a slot freed by a success after the failure starts nothing either
    expect(run.settled()).toBe(false);

    run.gates[2]!.open();
    await expect(run.done).rejects.toThrow('item 0 failed');
    expect(run.finished).toEqual([1, 2]);
    expect(run.started).toEqual([0, 1, 2]);
  });

  it('rethrows the first error when several items in hand fail', async () => {
    const run = gatedRun(3);
    await settleMicrotasks();
    run.gates[2]!.fail(new Error('first'));
    await settleMicrotasks();
    run.gates[0]!.fail(new Error('second'));
    run.gates[1]!.open();
    await expect(run.done).rejects.toThrow('first');
    expect(run.started).toEqual([0, 1, 2]);
  });

  it('on an aborted stop signal starts nothing new and resolves only after the items in hand', async () => {
    const stop = new AbortController();
    const run = gatedRun(3, stop.signal);
    await settleMicrotasks();
    run.gates[0]!.open();
    await settleMicrotasks();
    expect(run.started).toEqual([0, 1, 2, 3]);

    stop.abort(new Error('shutdown requested'));
    run.gates[1]!.open();
    await settleMicrotasks();
    expect(run.started).toEqual([0, 1, 2, 3]);
    expect(run.settled()).toBe(false);

    run.gates[2]!.open();
    run.gates[3]!.open();
    await run.done; // a stop is not an error: what was done stands
    expect(run.finished).toEqual([0, 1, 2, 3]);
    expect(run.started).toEqual([0, 1, 2, 3]);
  });

  it('starts nothing when the stop signal is already aborted', async () => {
    const calls: number[] = [];
    await forEachConcurrent([1, 2, 3], 2, AbortSignal.abort(), async (n) => void calls.push(n));
    expect(calls).toEqual([]);
  });

  it('reads a lazy iterable only as items start, and closes it on a failure', async () => {
    let pulled = 0;
    let closed = false;
    function* endless(): Generator<number> {
      try {
        for (let i = 0; ; i++) {
          pulled++;
          yield i;
        }
      } finally {
        closed = true;
      }
    }
    const gates = Array.from({ length: 3 }, gate);
    const done = forEachConcurrent(endless(), 3, new AbortController().signal, async (i) => {
      if (i < 3) await gates[i]!.promise;
      else throw new Error(`item ${i} failed`);
    });
    done.catch(() => undefined);
    await settleMicrotasks();
    expect(pulled).toBeLessThanOrEqual(4); // three in hand, at most one waiting for a slot
    gates[0]!.open(); // item 3 takes its slot and fails
    await settleMicrotasks();
    expect(pulled).toBeLessThanOrEqual(5); // read no further than the item that found the failure
    gates[1]!.open();
    gates[2]!.open();
    await expect(done).rejects.toThrow('item 3 failed');
    expect(pulled).toBeLessThanOrEqual(5);
    expect(closed).toBe(true);
  });

  it('awaits the items in hand when the iterable itself throws, then rethrows its error', async () => {
    const g = gate();
    let finished = false;
    function* broken(): Generator<number> {
      yield 0;
      throw new Error('source broke');
    }
    let settled = false;
    const done = forEachConcurrent(broken(), 2, new AbortController().signal, async () => {
      await g.promise;
      finished = true;
    }).finally(() => (settled = true));
    done.catch(() => undefined);
    await settleMicrotasks();
    expect(settled).toBe(false); // item 0 is still in hand
    g.open();
    await expect(done).rejects.toThrow('source broke');
    expect(finished).toBe(true);
  });
});

describe('forEachFed', () => {
  it('takes items across batch boundaries: the next batch starts while the last one still runs', async () => {
    const gates = Array.from({ length: 6 }, gate);
    const started: number[] = [];
    let handedOver = 0;
    const done = forEachFed<number>(
      2,
      new AbortController().signal,
      1,
      async (push) => {
        for (const batch of [[0, 1, 2], [3, 4, 5]]) {
          if (!(await push(batch))) return;
          handedOver++;
        }
      },
      async (item) => {
        started.push(item);
        await gates[item]!.promise;
      },
    );
    await settleMicrotasks();
    expect(started).toEqual([0, 1]);
    gates[0]!.open();
    await settleMicrotasks();
    // The lane freed by item 0 takes item 2; none waits now, so the second batch is handed over.
    expect(started).toEqual([0, 1, 2]);
    expect(handedOver).toBe(2);
    gates[2]!.open();
    await settleMicrotasks();
    // Item 1 of the first batch still runs, and item 3 of the second has started beside it.
    expect(started).toEqual([0, 1, 2, 3]);
    for (const g of gates) g.open();
    await done;
    expect(started).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('push waits while `buffer` items wait for a lane, so the producer reads no further ahead', async () => {
    const gates = Array.from({ length: 9 }, gate);
    const pushed: number[] = [];
    const done = forEachFed<number>(
      1,
      new AbortController().signal,
      2,
      async (push) => {
        for (const batch of [[0, 1, 2], [3, 4, 5], [6, 7, 8]]) {
          await push(batch);
          pushed.push(batch[0]!);
        }
      },
      async (item) => gates[item]!.promise,
    );
    await settleMicrotasks();
    // Item 0 runs, 1 and 2 wait (= buffer): the second batch is not taken.
    expect(pushed).toEqual([0]);
    gates[0]!.open();
    await settleMicrotasks();
    expect(pushed).toEqual([0, 3]);
    for (const g of gates) g.open();
    await done;
    expect(pushed).toEqual([0, 3, 6]);
  });

  it('after an item throws, no item starts, push resolves false, and the first error is rethrown once the items in hand settle', async () => {
    const gates = Array.from({ length: 6 }, gate);
    const started: number[] = [];
    const pushes: boolean[] = [];
    let settled = false;
    const done = forEachFed<number>(
      2,
      new AbortController().signal,
      10,
      async (push) => {
        pushes.push(await push([0, 1, 2]));
        await gates[5]!.promise;
        pushes.push(await push([3, 4]));
      },
      async (item) => {
        started.push(item);
        await gates[item]!.promise;
      },
    ).finally(() => (settled = true));
    done.catch(() => undefined);
    await settleMicrotasks();
    gates[0]!.fail(new Error('item 0 failed'));
    await settleMicrotasks();
    expect(started).toEqual([0, 1]);
    gates[5]!.open();
    await settleMicrotasks();
    expect(pushes).toEqual([true, false]);
    expect(settled).toBe(false); // item 1 is still in hand
    gates[1]!.open();
    await expect(done).rejects.toThrow('item 0 failed');
    expect(started).toEqual([0, 1]);
  });

  it('stops taking items once stop aborts, and rethrows a producer error after the items in hand', async () => {
    const stop = new AbortController();
    const gates = Array.from({ length: 4 }, gate);
    const started: number[] = [];
    const done = forEachFed<number>(
      1,
      stop.signal,
      10,
      async (push) => {
        await push([0, 1, 2, 3]);
        throw new Error('read failed');
      },
      async (item) => {
        started.push(item);
        await gates[item]!.promise;
      },
    );
    done.catch(() => undefined);
    await settleMicrotasks();
    stop.abort();
    gates[0]!.open();
    await expect(done).rejects.toThrow('read failed');
    expect(started).toEqual([0]);
  });
});
