import { describe, expect, it } from 'vitest';
import { forEachConcurrent } from '../../src/core/for-each-concurrent.js';

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
