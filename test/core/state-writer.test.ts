import { describe, expect, it } from 'vitest';
import type { ItemState } from '../../src/core/item-state.js';
import { StateWriter } from '../../src/core/state-writer.js';

const state = (key: string): ItemState => ({ key, hash: `h-${key}`, remoteId: null, data: null });

/** A store whose writes finish only when the test says so. */
function slowStore() {
  const writes: string[][] = [];
  const finish: ((error?: Error) => void)[] = [];
  return {
    writes,
    finishNext: (error?: Error) => finish.shift()!(error),
    putMany: (items: readonly ItemState[]) =>
      new Promise<void>((resolve, reject) => {
        writes.push(items.map((s) => s.key));
        finish.push((error) => (error ? reject(error) : resolve()));
      }),
  };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('StateWriter', () => {
  it('writes at once, and puts what is recorded during a write into one next write', async () => {
    const store = slowStore();
    const writer = new StateWriter(store);
    void writer.record([state('a')]);
    void writer.record([state('b')]);
    void writer.record([state('c'), state('d')]);
    expect(store.writes).toEqual([['a']]);
    store.finishNext();
    await tick(); // the writer waits one turn after a write, for more to land
    await tick();
    expect(store.writes).toEqual([['a'], ['b', 'c', 'd']]);
    let drained = false;
    const drain = writer.drain().then(() => (drained = true));
    await tick();
    expect(drained).toBe(false);
    store.finishNext();
    await drain;
    void writer.record([state('e')]);
    expect(store.writes).toEqual([['a'], ['b', 'c', 'd'], ['e']]);
    store.finishNext();
    await writer.drain();
  });

  it('after a write, takes what lands within the next turn into one write (a store that blocks the thread)', async () => {
    const writes: string[][] = [];
    const writer = new StateWriter({ putMany: async (items) => void writes.push(items.map((s) => s.key)) });
    void writer.record([state('a')]);
    setImmediate(() => void writer.record([state('b')]));
    setImmediate(() => void writer.record([state('c')]));
    await writer.drain();
    await tick();
    await writer.drain();
    expect(writes).toEqual([['a'], ['b', 'c']]);
  });

  it('after a failed write, refuses more records and drain rejects with that error', async () => {
    const store = slowStore();
    const writer = new StateWriter(store);
    void writer.record([state('a')]);
    void writer.record([state('b')]);
    store.finishNext(new Error('database gone'));
    await expect(writer.drain()).rejects.toThrow('database gone');
    await expect(writer.record([state('c')])).rejects.toThrow('database gone');
    expect(store.writes).toEqual([['a']]);
  });

  it('records nothing for an empty list and drains at once', async () => {
    const store = slowStore();
    const writer = new StateWriter(store);
    await writer.record([]);
    await writer.drain();
    expect(store.writes).toEqual([]);
  });

  it('makes a caller wait while the pending states reach the bound, until a write takes them', async () => {
    const store = slowStore();
    const writer = new StateWriter(store, 2);
    await writer.record([state('a')]); // written at once: nothing pending
    await writer.record([state('b')]); // one pending: room left
    let through = false;
    const full = writer.record([state('c')]).then(() => (through = true));
    await tick();
    expect(through).toBe(false);
    store.finishNext();
    await full;
    expect(store.writes).toEqual([['a'], ['b', 'c']]);
    store.finishNext();
    await writer.drain();
  });

  it('releases a waiting caller with the error when the write it waits for fails', async () => {
    const store = slowStore();
    const writer = new StateWriter(store, 1);
    await writer.record([state('a')]);
    const waiting = writer.record([state('b')]);
    store.finishNext(new Error('database gone'));
    await expect(waiting).rejects.toThrow('database gone');
  });
});
