import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RejectionReporter } from '../../src/core/rejections.js';
import { type TestDatabase, createTestDatabase, testDatabaseKinds } from '../helpers/database.js';

describe.each(testDatabaseKinds)('RejectionReporter on %s', (kind) => {
  let t: TestDatabase;
  beforeEach(async () => {
    t = await createTestDatabase(kind);
  });
  afterEach(() => t.drop());

  it('stores long values shortened with their length, and a shortened value reported again as it is', async () => {
    const run = async () => (await t.db.kysely.insertInto('runs').values({ pipeline: 'p', type: 't', host: 'test', pid: 1, outcome: 'running', dry_run: false, full_sync: false }).returning('id').executeTakeFirstOrThrow()).id;
    const stored = async (runId: number) => (await t.db.kysely.selectFrom('rejections').select('value').where('run_id', '=', runId).orderBy('id').execute()).map((r) => r.value);
    const first = Number(await run());
    const reporter = new RejectionReporter(t.db.kysely, 'p', first, pino({ level: 'silent' }));
    const long = `${'ab'.repeat(150)}\u0000`;
    await reporter.add({ reason: 'too long', value: long });
    await reporter.add({ reason: 'short', value: 'x'.repeat(200) });
    await reporter.flush();
    const [shortened, kept] = await stored(first);
    expect(shortened).toBe(`${long.slice(0, 200)}… (301 chars)`);
    expect(kept).toBe('x'.repeat(200));

    const second = Number(await run());
    const again = new RejectionReporter(t.db.kysely, 'p', second, pino({ level: 'silent' }));
    await again.add({ reason: 'too long', value: shortened });
    await again.add({ reason: 'longer', value: `${shortened}!` });
    await again.flush();
    const [same, other] = await stored(second);
    expect(same).toBe(shortened);
    expect(other).toBe(`${shortened!.slice(0, 200)}… (214 chars)`);
  });
});
