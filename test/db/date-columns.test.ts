import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type TestDatabase, createTestDatabase, testDatabaseKinds } from '../helpers/database.js';

// A `date` column (order_days.order_day) comes back as its YYYY-MM-DD text on both drivers, never as a JS Date
// at some midnight that a zone east or west of UTC would turn into another day.
describe.each(testDatabaseKinds)('date columns on %s', (kind) => {
  let t: TestDatabase;
  beforeEach(async () => {
    t = await createTestDatabase(kind);
  });
  afterEach(() => t.drop());

  it('reads a date as its calendar text', async () => {
    await t.db.kysely.insertInto('order_days').values({ upstream: 'planviewer', order_day: '2028-02-29' }).execute();
    const row = await t.db.kysely.selectFrom('order_days').select('order_day').executeTakeFirstOrThrow();
    expect(row.order_day).toBe('2028-02-29');
    const { rows } = await sql<{ d: unknown }>`select '2027-01-01'::date as d`.execute(t.db.kysely);
    expect(rows[0]!.d).toBe('2027-01-01');
  });
});
