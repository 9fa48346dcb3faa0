import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/core/app.js';
import { openApp } from '../../src/registries.js';
import { dateRange, exampleAvailability, writeAvailabilityCsv } from '../../demo/availability-data.js';
import { type MaasplassenSandbox, startMaasplassenSandbox } from '../../sandbox/maasplassen/server.js';
import { startKoppel, writeConfig } from '../fixtures/koppel-process.js';
import { pollUntil } from '../fixtures/poll.js';
import type { TestApp } from '../helpers/app.js';
import { maasWorld } from '../helpers/maas-world.js';
import { hasPostgres } from '../helpers/database.js';
import { LogSink } from '../helpers/logs.js';

/** Advisory locks held on this database by anyone (koppel's pipeline locks are the only ones). */
async function advisoryLocks(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const res = await client.query<{ n: number }>(
      "select count(*)::int as n from pg_locks where locktype = 'advisory' and database = (select oid from pg_database where datname = current_database())",
    );
    return res.rows[0]!.n;
  } finally {
    await client.end();
  }
}

describe.skipIf(!hasPostgres)('one runner per pipeline across processes (real Postgres)', () => {
  let sandbox: MaasplassenSandbox;
  let app: TestApp;
  let raw: Record<string, unknown>;
  let env: () => Record<string, string>;

  beforeAll(async () => {
    sandbox = await startMaasplassenSandbox();
  });
  afterAll(() => sandbox.close());

  beforeEach(async () => {
    sandbox.reset();
    sandbox.faults.set({ latencyMs: 0 });
    const world = await maasWorld(sandbox, { kind: 'postgres', pipeline: { chunk_size: 2 }, config: { log: { level: 'info' } } });
    ({ app, raw } = world);
    env = () => world.env;
    await writeAvailabilityCsv(world.csv, exampleAvailability(['91', '92', '93'], dateRange('2027-06-01', 10)));
  });
  afterEach(() => app.dispose());

  const runs = () => app.db.kysely.selectFrom('runs').selectAll().where('pipeline', '=', 'boats').orderBy('id').execute();

  it('skips while another process holds the pipeline, and runs once that process is killed', async () => {
    const url = app.config.database.url;
    const config = await writeConfig(join(app.dir, 'koppel.yaml'), { ...raw, database: { url } });
    sandbox.faults.set({ latencyMs: 300 }); // 15 chunks × 300 ms: the child is mid-run for seconds
    const child = startKoppel(['run', 'boats', '--config', config], env());
    try {
      const held = await pollUntil(
        'the child process to start its run',
        async () => (await runs()).find((r) => r.outcome === 'running' && r.pid === child.child.pid),
        30_000,
      );
      expect(await advisoryLocks(url)).toBe(1);

      const skipped = await app.runner.run('boats');
      expect(skipped).toMatchObject({ outcome: 'skipped', runId: null, reason: 'another process holds its lock' });
      expect(await runs()).toHaveLength(1);

      child.child.kill('SIGKILL');
      const exited = await child.exited;
      expect(exited.signal).toBe('SIGKILL');
      await pollUntil('the killed session to release its lock', async () => (await advisoryLocks(url)) === 0);

      sandbox.faults.set({ latencyMs: 0 });
      const after = await app.runner.run('boats');
      expect(after.outcome).toBe('succeeded');
      const rows = await runs();
      expect(rows.map((r) => [r.id, r.outcome])).toEqual([
        [held.id, 'crashed'],
        [after.runId, 'succeeded'],
      ]);
      expect(await advisoryLocks(url)).toBe(0); // released after the run
    } finally {
      child.child.kill('SIGKILL');
      await child.exited;
    }
  });

  it('survives the server ending the lock session mid-run (no unhandled error), and the lock is free after', async () => {
    const url = app.config.database.url;
    sandbox.faults.set({ latencyMs: 100 });
    const running = app.runner.run('boats');
    await pollUntil('the run to take its lock', async () => (await advisoryLocks(url)) === 1);
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      const res = await admin.query<{ ok: boolean }>(
        "select pg_terminate_backend(pid) as ok from pg_locks where locktype = 'advisory' and database = (select oid from pg_database where datname = current_database())",
      );
      expect(res.rows.map((r) => r.ok)).toEqual([true]);
    } finally {
      await admin.end();
    }
    const result = await running;
    expect(result.outcome).toBe('succeeded');
    expect(await advisoryLocks(url)).toBe(0);
    sandbox.faults.set({ latencyMs: 0 });
    expect((await app.runner.run('boats')).outcome).toBe('succeeded');
  });

  describe('schedule tick claims', () => {
    let replica: App;
    beforeEach(async () => {
      replica = await openApp(app.config, { logDestination: new LogSink() });
    });
    afterEach(() => replica.close());

    it('of two runners given the same tick at once, exactly one runs it', async () => {
      sandbox.faults.set({ latencyMs: 50 });
      const tick = new Date('2030-01-01T00:00:00Z');
      const results = await Promise.all([app.runner.run('boats', { tick }), replica.runner.run('boats', { tick })]);
      expect(results.filter((r) => r.outcome === 'succeeded')).toHaveLength(1);
      expect(results.filter((r) => r.outcome === 'skipped')).toHaveLength(1);
      expect(await runs()).toHaveLength(1);
      const ticks = await app.db.kysely.selectFrom('schedule_ticks').selectAll().execute();
      expect(ticks).toHaveLength(1);
      expect(new Date(ticks[0]!.tick).toISOString()).toBe(tick.toISOString());
    });

    it('a runner arriving after the tick ran elsewhere skips it; the next tick runs', async () => {
      const tick = new Date('2030-01-01T00:00:01Z');
      expect((await app.runner.run('boats', { tick })).outcome).toBe('succeeded');
      const late = await replica.runner.run('boats', { tick });
      expect(late).toMatchObject({ outcome: 'skipped', reason: 'this schedule tick already ran on another replica' });
      const next = await replica.runner.run('boats', { tick: new Date('2030-01-01T00:00:02Z') });
      expect(next.outcome).toBe('succeeded');
      expect(await runs()).toHaveLength(2);
      expect(await advisoryLocks(app.config.database.url)).toBe(0);
    });
  });
});
