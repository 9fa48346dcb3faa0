import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { dateRange, exampleAvailability, writeAvailabilityCsv } from '../../demo/availability-data.js';
import { type MaasplassenSandbox, startMaasplassenSandbox } from '../../sandbox/maasplassen/server.js';
import { type KoppelProcess, logRecords, startKoppel, writeConfig } from '../fixtures/koppel-process.js';
import { pollUntil } from '../fixtures/poll.js';
import type { TestApp } from '../helpers/app.js';
import { maasWorld } from '../helpers/maas-world.js';
import { hasPostgres } from '../helpers/database.js';

/** `run started` log records of one daemon process: which run it started for which tick. */
function startedRuns(p: KoppelProcess): { runId: number; tick: string }[] {
  return logRecords(p.stdout)
    .filter((r) => r.msg === 'run started')
    .map((r) => ({ runId: Number(r.runId), tick: String(r.tick) }));
}

describe.skipIf(!hasPostgres)('two daemon replicas on one database (real Postgres)', () => {
  let sandbox: MaasplassenSandbox;
  let app: TestApp;
  let raw: Record<string, unknown>;
  const daemons: KoppelProcess[] = [];
  let env: () => Record<string, string>;

  beforeAll(async () => {
    sandbox = await startMaasplassenSandbox();
  });
  afterAll(() => sandbox.close());

  beforeEach(async () => {
    const world = await maasWorld(sandbox, { kind: 'postgres', pipeline: { schedule: '* * * * * *' }, config: { log: { level: 'info' }, http: { host: '127.0.0.1' } } });
    ({ app, raw } = world);
    env = () => world.env;
    await writeAvailabilityCsv(world.csv, exampleAvailability(['91', '92'], dateRange('2027-06-01', 3)));
  });
  afterEach(async () => {
    for (const d of daemons.splice(0)) {
      d.child.kill('SIGKILL');
      await d.exited;
    }
    await app.dispose();
  });

  const runs = () => app.db.kysely.selectFrom('runs').selectAll().where('pipeline', '=', 'boats').orderBy('started_at').execute();

  it('each tick runs once in total, runs never overlap, and a survivor keeps running after a SIGKILL', async () => {
    // Every run reads the fleet with 300 ms latency, so replicas firing on the same tick contend for the lock.
    sandbox.faults.set({ latencyMs: 300 });
    const config = await writeConfig(join(app.dir, 'koppel.yaml'), { ...raw, database: { url: app.config.database.url } });
    const [a, b] = [startKoppel(['daemon', '--port', '0', '--config', config], env()), startKoppel(['daemon', '--port', '0', '--config', config], env())];
    daemons.push(a!, b!);
    for (const d of [a!, b!]) {
      await pollUntil('a daemon to start', () => {
        if (d.child.exitCode !== null) throw new Error(`daemon exited with ${d.child.exitCode}: ${d.stderr}`);
        return logRecords(d.stdout).some((r) => r.msg === 'daemon started');
      }, 30_000);
    }

    await pollUntil('four finished runs', async () => (await runs()).filter((r) => r.ended_at !== null).length >= 4, 20_000);
    a!.child.kill('SIGKILL');
    await a!.exited;
    const killedAt = Date.now();
    const survivor = b!.child.pid;
    await pollUntil(
      'two runs by the survivor after the kill',
      async () => (await runs()).filter((r) => r.pid === survivor && r.ended_at !== null && new Date(r.started_at).getTime() > killedAt).length >= 2,
      20_000,
    );
    b!.child.kill('SIGTERM');
    const stopped = await b!.exited;
    expect(stopped.code).toBe(0);

    const rows = await runs();
    // Each run was for its own tick: no tick appears in two `run started` records, across both processes.
    const started = [...startedRuns(a!), ...startedRuns(b!)];
    const ticks = started.map((s) => s.tick);
    expect(new Set(ticks).size).toBe(ticks.length);
    // Every run in the database is one of them (a killed process may not have flushed its last line).
    expect(rows.length - started.length).toBeGreaterThanOrEqual(0);
    expect(rows.length - started.length).toBeLessThanOrEqual(1);
    // And each of them holds the tick's claim in schedule_ticks, made by the process that ran it.
    const claims = await app.db.kysely.selectFrom('schedule_ticks').selectAll().where('pipeline', '=', 'boats').execute();
    const claimedBy = new Map(claims.map((c) => [new Date(c.tick).toISOString(), c.claimed_by]));
    for (const [p, list] of [
      [a!, startedRuns(a!)],
      [b!, startedRuns(b!)],
    ] as const) {
      for (const s of list) expect(claimedBy.get(s.tick)).toMatch(new RegExp(`:${p.child.pid}$`));
    }
    expect(rows.length).toBeLessThanOrEqual(claims.length);

    // Never two runs at once: each run ended before the next one started.
    for (let i = 1; i < rows.length; i++) {
      const prev = rows[i - 1]!;
      expect(prev.ended_at, `run ${prev.id} has no end`).not.toBeNull();
      expect(new Date(prev.ended_at!).getTime()).toBeLessThanOrEqual(new Date(rows[i]!.started_at).getTime());
    }
    // Nothing is left running; a run the SIGKILL interrupted (if any) was closed as crashed by the survivor.
    expect(rows.filter((r) => r.outcome === 'running')).toEqual([]);
    expect(rows.filter((r) => r.pid === a!.child.pid && r.outcome === 'crashed').length).toBeLessThanOrEqual(1);
    // Ticks every second against runs of about a second: a tick during a run gets a follow-up, so the survivor is
    // usually mid-run at its SIGTERM, and that last run is recorded as stopped (cut short at a checkpoint).
    const stoppedRuns = rows.filter((r) => r.outcome === 'stopped');
    expect(stoppedRuns.length).toBeLessThanOrEqual(1);
    if (stoppedRuns[0]) expect(stoppedRuns[0]).toMatchObject({ id: rows.at(-1)!.id, pid: survivor });
    expect(rows.filter((r) => r.outcome !== 'crashed' && r.outcome !== 'stopped').every((r) => r.outcome === 'succeeded')).toBe(true);
    expect(logRecords(stopped.stdout).at(-1)?.msg).toBe('stopped');
  });
});
