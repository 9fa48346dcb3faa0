import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ItemStateStore, type ItemState } from '../../src/core/item-state.js';
import { type TestDatabase, createTestDatabase, testDatabaseKinds } from '../helpers/database.js';

// More than two write batches and more than one read batch (see item-state.ts), so every loop crosses a boundary.
const N = 5_250;
const key = (i: number) => `item-${String(i).padStart(6, '0')}`;
const states = (n: number, version: string): ItemState[] =>
  Array.from({ length: n }, (_, i) => ({ key: key(i), hash: `h${version}-${i}`, remoteId: i % 2 ? `r${i}` : null, data: i % 3 ? { i, version } : null }));

describe.each(testDatabaseKinds)('ItemStateStore on %s', (kind) => {
  let t: TestDatabase;
  beforeEach(async () => {
    t = await createTestDatabase(kind);
  });
  afterEach(() => t.drop());

  it('putMany/getMany/all round-trip across batch boundaries, keyed per pipeline', async () => {
    const store = new ItemStateStore(t.db.kysely, 'p1', null);
    const other = new ItemStateStore(t.db.kysely, 'p2', null);
    await store.putMany(states(N, 'a'));
    await other.putMany([{ key: key(1), hash: 'other', remoteId: null, data: null }]);

    const wanted = Array.from({ length: N + 10 }, (_, i) => key(i)); // 10 keys that were never stored
    const got = await store.getMany(wanted);
    expect(got.size).toBe(N);
    expect(got.get(key(1))).toEqual({ key: key(1), hash: 'ha-1', remoteId: 'r1', data: { i: 1, version: 'a' } });
    expect(got.get(key(3))).toEqual({ key: key(3), hash: 'ha-3', remoteId: 'r3', data: null });
    expect(got.get(key(5_200))?.hash).toBe('ha-5200');
    expect(got.has(key(N))).toBe(false);

    const all: string[] = [];
    for await (const s of store.all()) all.push(s.key);
    expect(all).toHaveLength(N);
    expect(all).toEqual([...all].sort());
    expect(new Set(all).size).toBe(N);
    expect((await other.getMany([key(1)])).get(key(1))?.hash).toBe('other');
  });

  it('isEmpty is true until the pipeline has a state, whatever other pipelines hold', async () => {
    const store = new ItemStateStore(t.db.kysely, 'p1', null);
    await new ItemStateStore(t.db.kysely, 'p2', null).putMany([{ key: key(1), hash: 'other', remoteId: null, data: null }]);
    expect(await store.isEmpty()).toBe(true);
    await store.putMany([{ key: key(1), hash: 'h', remoteId: null, data: null }]);
    expect(await store.isEmpty()).toBe(false);
  });

  it('insertMany records items that have no state, and refuses one that has', async () => {
    const store = new ItemStateStore(t.db.kysely, 'p1', null);
    await store.insertMany(states(N, 'a'));
    const got = await store.getMany([key(1), key(N - 1)]);
    expect(got.get(key(1))).toEqual({ key: key(1), hash: 'ha-1', remoteId: 'r1', data: { i: 1, version: 'a' } });
    expect(got.get(key(N - 1))?.hash).toBe(`ha-${N - 1}`);
    await expect(store.insertMany([{ key: key(2), hash: 'again', remoteId: null, data: null }])).rejects.toThrow();
    expect((await store.getMany([key(2)])).get(key(2))?.hash).toBe('ha-2');
  });

  it('digest tells whether the states under a key prefix are the same keys with the same hashes', async () => {
    const store = new ItemStateStore(t.db.kysely, 'p1', null);
    const put = (k: string, hash: string) => store.putMany([{ key: k, hash, remoteId: null, data: null }]);
    await store.putMany([
      { key: 'product:a', hash: 'h1', remoteId: null, data: null },
      { key: 'product:b', hash: 'h2', remoteId: null, data: null },
    ]);
    await put('productx:a', 'h1'); // another prefix
    await new ItemStateStore(t.db.kysely, 'p2', null).putMany([{ key: 'product:c', hash: 'h3', remoteId: null, data: null }]);
    const start = await store.digest('product:');
    expect(start).toMatch(/^2:-?\d+$/);
    await put('productx:b', 'h9');
    await put('product;', 'h9');
    await put('product:a', 'h1'); // written again, the same
    expect(await store.digest('product:')).toBe(start);
    await put('product:a', 'h2');
    const changed = await store.digest('product:');
    expect(changed).not.toBe(start);
    await put('product:a', 'h1');
    expect(await store.digest('product:')).toBe(start);
    await store.voidMany(['product:b']);
    expect(await store.digest('product:')).not.toBe(start);
    await put('product:b', 'h2');
    await store.deleteMany(['product:a']);
    expect(await store.digest('product:')).toMatch(/^1:/);
    expect(await store.digest('nothing:')).toBe('0:0');
  });

  it('putMany overwrites hash, remote id and data, and records the run', async () => {
    const run1 = await insertRun(t, 'p1');
    const run2 = await insertRun(t, 'p1');
    await new ItemStateStore(t.db.kysely, 'p1', run1).putMany(states(1_500, 'a'));
    const changed = states(1_500, 'b').map((s, i) => (i % 2 === 0 ? { ...s, remoteId: 'new', data: { changed: true } } : s));
    await new ItemStateStore(t.db.kysely, 'p1', run2).putMany(changed);
    const rows = await t.db.kysely.selectFrom('item_state').selectAll().where('pipeline', '=', 'p1').orderBy('item_key').execute();
    expect(rows).toHaveLength(1_500);
    expect(rows[0]).toMatchObject({ item_key: key(0), content_hash: 'hb-0', remote_id: 'new', data: { changed: true }, last_run_id: run2 });
    expect(rows[1]).toMatchObject({ item_key: key(1), content_hash: 'hb-1', remote_id: 'r1', data: { i: 1, version: 'b' } });
  });

  it('deleteMany removes exactly the given keys of its pipeline, across batches', async () => {
    const store = new ItemStateStore(t.db.kysely, 'p1', null);
    const other = new ItemStateStore(t.db.kysely, 'p2', null);
    await store.putMany(states(N, 'a'));
    await other.putMany(states(10, 'a'));
    const doomed = Array.from({ length: N }, (_, i) => key(i)).filter((_, i) => i % 5 !== 0);
    await store.deleteMany(doomed);
    const left: string[] = [];
    for await (const s of store.all()) left.push(s.key);
    expect(left).toHaveLength(N / 5);
    expect(left.every((k) => Number(k.slice(5)) % 5 === 0)).toBe(true);
    expect((await other.getMany(states(10, 'a').map((s) => s.key))).size).toBe(10);
  });

  it('handles empty inputs without a query error', async () => {
    const store = new ItemStateStore(t.db.kysely, 'p1', null);
    await store.putMany([]);
    await store.deleteMany([]);
    expect((await store.getMany([])).size).toBe(0);
    const all: ItemState[] = [];
    for await (const s of store.all()) all.push(s);
    expect(all).toEqual([]);
  });
});

async function insertRun(t: TestDatabase, pipeline: string): Promise<number> {
  const row = await t.db.kysely
    .insertInto('runs')
    .values({ pipeline, type: 'test', outcome: 'succeeded', dry_run: false, full_sync: false, host: 'h', pid: 1 })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}
