import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ItemStateStore } from '../../src/core/item-state.js';
import { type TestDatabase, createTestDatabase, testDatabaseKinds } from '../helpers/database.js';

// A bulk first import into a never-analysed item_state (PGlite has no autovacuum; this server's is off) made every
// batch's `item_key = any(…)` read every row of the pipeline: the planner probed the key for `pipeline` only.
describe.each(testDatabaseKinds)('ItemStateStore keeps its key lookups probing the key on %s', (kind) => {
  let t: TestDatabase;
  beforeEach(async () => {
    t = await createTestDatabase(kind);
    // No autovacuum analysis may stand in for the store's own (servers with autovacuum on).
    await sql`alter table item_state set (autovacuum_enabled = false)`.execute(t.db.kysely);
  });
  afterEach(() => t.drop());

  /** The plan of the statement voidMany sends for 512 keys that are not stored. */
  async function voidPlan(): Promise<string> {
    const keys = Array.from({ length: 512 }, (_, i) => `product:new-${i}`);
    const { rows } = await sql<{ 'QUERY PLAN': string }>`
      explain update item_state set content_hash = 'voided', data = null
      where pipeline = 'p1' and item_key = any(${keys}::text[])`.execute(t.db.kysely);
    return rows.map((r) => r['QUERY PLAN']).join('\n');
  }

  it('after a run writes 100,000 states, a lookup of 512 keys is an index condition on the key, not a filter', async () => {
    const store = new ItemStateStore(t.db.kysely, 'p1', null);
    const states = Array.from({ length: 100_000 }, (_, i) => ({ key: `product:p${i}`, hash: `h${i}`, remoteId: null, data: null }));
    await store.insertMany(states.slice(0, 10_000));
    await store.putMany(states.slice(10_000));

    const plan = await voidPlan();
    expect(plan).toMatch(/Index Cond: .*item_key = ANY/);
    expect(plan).not.toMatch(/Filter: .*item_key = ANY/);
  });
});
