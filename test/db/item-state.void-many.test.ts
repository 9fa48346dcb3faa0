import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ItemStateStore, VOIDED_HASH } from '../../src/core/item-state.js';
import { type TestDatabase, createTestDatabase, testDatabaseKinds } from '../helpers/database.js';

describe.each(testDatabaseKinds)('ItemStateStore.voidMany on %s', (kind) => {
  let t: TestDatabase;
  beforeEach(async () => {
    t = await createTestDatabase(kind);
  });
  afterEach(() => t.drop());

  it('voids the hash and data of existing keys of its pipeline only, keeps the rows, creates none', async () => {
    const store = new ItemStateStore(t.db.kysely, 'p1', 7);
    const other = new ItemStateStore(t.db.kysely, 'p2', null);
    await store.putMany([
      { key: 'a', hash: 'ha', remoteId: 'ra', data: { size: 1 } },
      { key: 'b', hash: 'hb', remoteId: null, data: null },
    ]);
    await other.putMany([{ key: 'a', hash: 'other', remoteId: null, data: null }]);

    await store.voidMany(['a', 'never-stored']);
    await store.voidMany([]);

    const got = await store.getMany(['a', 'b', 'never-stored']);
    expect(got.get('a')).toEqual({ key: 'a', hash: VOIDED_HASH, remoteId: 'ra', data: null });
    expect(got.get('b')?.hash).toBe('hb');
    expect(got.has('never-stored')).toBe(false);
    expect((await other.getMany(['a'])).get('a')?.hash).toBe('other');
  });
});
