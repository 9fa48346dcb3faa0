import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { dateRange, exampleAvailability, writeAvailabilityCsv } from '../../demo/availability-data.js';
import { type MaasplassenSandbox, startMaasplassenSandbox } from '../../sandbox/maasplassen/server.js';
import { pollUntil } from '../fixtures/poll.js';
import type { TestApp } from '../helpers/app.js';
import { maasWorld } from '../helpers/maas-world.js';
import { testDatabaseKinds } from '../helpers/database.js';

const BOATS = ['91', '92', '93'];
const DATES = dateRange('2027-06-01', 10);

describe.each(testDatabaseKinds)('Runner.run on %s', (kind) => {
  let sandbox: MaasplassenSandbox;
  let app: TestApp;
  let csv: string;

  beforeAll(async () => {
    sandbox = await startMaasplassenSandbox();
  });
  afterAll(() => sandbox.close());

  beforeEach(async () => {
    sandbox.reset();
    sandbox.faults.set({ latencyMs: 0, errorRate: 0 });
    ({ app, csv } = await maasWorld(sandbox, {
      kind,
      pipeline: { chunk_size: 5 },
      more: (csv, dir) => [
        { name: 'other', type: 'maasplassen-availability', source: { csv: join(dir, 'missing.csv') } },
        { name: 'off', type: 'maasplassen-availability', enabled: false, source: { csv } },
      ],
    }));
    await writeAvailabilityCsv(csv, exampleAvailability(BOATS, DATES));
  });
  afterEach(() => app.dispose());

  const runs = (pipeline = 'boats') => app.db.kysely.selectFrom('runs').selectAll().where('pipeline', '=', pipeline).orderBy('id').execute();

  it('records every run with start, end, outcome and counts', async () => {
    const before = Date.now();
    const first = await app.runner.run('boats');
    const second = await app.runner.run('boats');
    expect(first.outcome).toBe('succeeded');
    expect(second.outcome).toBe('succeeded');
    const rows = await runs();
    expect(rows.map((r) => r.id)).toEqual([first.runId, second.runId]);
    expect(rows[0]).toMatchObject({ type: 'maasplassen-availability', outcome: 'succeeded', dry_run: false, full_sync: false, seen: 30, created: 30, updated: 0, unchanged: 0, rejected: 0, failed: 0, error: null, pid: process.pid });
    expect(rows[1]).toMatchObject({ outcome: 'succeeded', seen: 30, created: 0, unchanged: 30 });
    for (const r of rows) {
      expect(new Date(r.started_at).getTime()).toBeGreaterThanOrEqual(before - 1000);
      expect(r.ended_at).not.toBeNull();
      expect(new Date(r.ended_at!).getTime()).toBeGreaterThanOrEqual(new Date(r.started_at).getTime());
    }
    expect(first.counts).toEqual({ seen: 30, created: 30, updated: 0, unchanged: 0, rejected: 0, failed: 0 });
  });

  it('a second request while the pipeline runs in this process gets one run after it, never overlapping it', async () => {
    sandbox.faults.set({ latencyMs: 100 });
    const first = app.runner.run('boats');
    await pollUntil('the first run to be recorded as running', async () => (await runs()).some((r) => r.outcome === 'running'));
    expect(app.runner.active).toEqual(['boats']);
    const second = app.runner.run('boats');
    const third = app.runner.run('boats');
    // Another pipeline is not blocked by it.
    const other = await app.runner.run('other');
    expect(other.outcome).toBe('failed');
    const [a, b, c] = await Promise.all([first, second, third]);
    expect(a.outcome).toBe('succeeded');
    expect(b).toBe(c); // the two requests share one follow-up run
    expect(b.outcome).toBe('succeeded');
    const rows = await runs();
    expect(rows.map((r) => r.id)).toEqual([a.runId, b.runId]);
    expect(new Date(rows[0]!.ended_at!).getTime()).toBeLessThanOrEqual(new Date(rows[1]!.started_at).getTime());
    expect(app.runner.active).toEqual([]);
    // A dry run is a look, not work to be done: it is not queued behind a run in progress.
    const again = app.runner.run('boats');
    await pollUntil('the next run to be recorded as running', async () => (await runs()).some((r) => r.outcome === 'running'));
    expect(await app.runner.run('boats', { dryRun: true })).toMatchObject({ outcome: 'skipped', runId: null, reason: 'already running in this process' });
    expect((await again).outcome).toBe('succeeded');
  });

  it("journals each run's phases and its own log lines (info and above), a failing one's error included", async () => {
    const events = (runId: number | null) => app.db.kysely.selectFrom('run_events').select(['kind', 'message', 'level', 'at', 'ended_at', 'fields']).where('run_id', '=', runId!).orderBy('at').orderBy('id').execute();
    const ok = await app.runner.run('boats');
    const rows = await events(ok.runId);
    const phases = rows.filter((r) => r.kind === 'phase');
    // The runner's plan and apply, and the phase the pipeline reports progress under, in the order they ran.
    expect(phases.map((p) => p.message)).toEqual(['plan', 'apply', 'push']);
    expect(phases.at(-1)!.fields).toEqual({ done: 30, total: 30 }); // its last progress report
    for (const p of phases) expect(p.ended_at!.getTime()).toBeGreaterThanOrEqual(p.at.getTime());
    const lines = rows.filter((r) => r.kind === 'log');
    expect(lines[0]).toMatchObject({ message: 'run started', level: 30 });
    expect(lines.at(-1)).toMatchObject({ message: 'run finished', level: 30 });
    expect(lines.at(-1)!.fields).toMatchObject({ outcome: 'succeeded' });

    const failed = await app.runner.run('other');
    expect(failed.outcome).toBe('failed');
    const failing = (await events(failed.runId)).filter((r) => r.kind === 'log');
    expect(failing.find((l) => l.message === 'run failed')).toMatchObject({ level: 50, fields: { err: expect.stringContaining('missing.csv') } });
    // Each run has its own lines only.
    expect(failing.some((l) => l.fields?.outcome === 'succeeded')).toBe(false);
  });

  it("journals the upstream's retry warnings under the run that caused them", async () => {
    sandbox.faults.set({ latencyMs: 0, errorRate: 1 }); // every push fails: the gateway retries, then gives up
    const run = await app.runner.run('boats');
    expect(run.outcome).toBe('failed');
    const lines = await app.db.kysely.selectFrom('run_events').select(['message', 'fields']).where('run_id', '=', run.runId!).where('kind', '=', 'log').execute();
    const retries = lines.filter((l) => l.message === 'upstream call failed, retrying');
    expect(retries.length).toBeGreaterThan(0);
    // Logged by the upstream's own logger (made once per process), not the run's.
    expect(retries[0]!.fields).toMatchObject({ upstream: 'maasplassen', attempt: 1 });
  });

  it('closes a run left running by a dead process as crashed', async () => {
    const dead = await app.db.kysely
      .insertInto('runs')
      .values({ pipeline: 'boats', type: 'maasplassen-availability', outcome: 'running', dry_run: false, full_sync: false, host: 'gone', pid: 999_999 })
      .returning('id')
      .executeTakeFirstOrThrow();
    const untouched = await app.db.kysely
      .insertInto('runs')
      .values({ pipeline: 'other', type: 'maasplassen-availability', outcome: 'running', dry_run: false, full_sync: false, host: 'gone', pid: 999_999 })
      .returning('id')
      .executeTakeFirstOrThrow();
    const result = await app.runner.run('boats');
    expect(result.outcome).toBe('succeeded');
    const rows = await runs();
    expect(rows[0]).toMatchObject({ id: dead.id, outcome: 'crashed' });
    expect(rows[0]!.ended_at).not.toBeNull();
    expect(rows[0]!.error).toContain('ended before the run was recorded');
    expect(rows[1]).toMatchObject({ id: result.runId, outcome: 'succeeded' });
    // Only the pipeline that ran closes its own stale runs.
    expect((await runs('other'))[0]).toMatchObject({ id: untouched.id, outcome: 'running' });
  });

  it('records a failing run as failed with the error message', async () => {
    const result = await app.runner.run('other');
    expect(result.outcome).toBe('failed');
    expect(result.error?.message).toMatch(/missing\.csv/);
    const [row] = await runs('other');
    expect(row).toMatchObject({ id: result.runId, outcome: 'failed' });
    expect(row!.error).toBe(result.error!.message);
    expect(row!.ended_at).not.toBeNull();
    expect(app.logs.records.some((r) => r.msg === 'run failed' && r.pipeline === 'other')).toBe(true);
  });

  it('records an upstream failure as failed with its message', async () => {
    sandbox.faults.set({ errorRate: 1 });
    const result = await app.runner.run('boats');
    expect(result.outcome).toBe('failed');
    const [row] = await runs();
    expect(row!.outcome).toBe('failed');
    expect(row!.error).toBeTruthy();
    expect(row!.error).toBe(result.error!.message);
  });

  it('records dry runs as dry-run and sends nothing mutating', async () => {
    const result = await app.runner.run('boats', { dryRun: true, full: true });
    expect(result.outcome).toBe('dry-run');
    expect(result.plan?.summary).toMatchObject({ push: 30 });
    expect(sandbox.availabilityCount(1)).toBe(0);
    expect(await runs()).toMatchObject([{ id: result.runId, outcome: 'dry-run', dry_run: true, full_sync: true }]);
    expect((await app.db.kysely.selectFrom('item_state').select('item_key').execute()).length).toBe(0);
  });

  it('stores rejected items in rejections with the run id, beyond one flush batch', async () => {
    // 600 bad rows: more than the reporter's flush size (500), so both the mid-run and the final flush are used.
    const bad = Array.from({ length: 600 }, (_, i) => `91,2027-13-${String((i % 28) + 1).padStart(2, '0')},ja,Hele dag,,9500,,,`);
    await writeAvailabilityCsv(csv, exampleAvailability(BOATS, DATES), bad);
    const earlier = await app.runner.run('other'); // a run of another pipeline, whose rejections must not mix in
    const result = await app.runner.run('boats');
    expect(result.outcome).toBe('rejected');
    expect(result.counts).toMatchObject({ created: 30, rejected: 600 });
    const rows = await app.db.kysely.selectFrom('rejections').selectAll().orderBy('line').execute();
    expect(rows).toHaveLength(600);
    expect(rows.every((r) => r.run_id === result.runId && r.pipeline === 'boats' && r.field === 'date')).toBe(true);
    expect(rows[0]).toMatchObject({ line: 32, reason: 'expected a date YYYY-MM-DD', value: '2027-13-01' });
    expect(earlier.runId).not.toBe(result.runId);
    const [row] = (await runs()).slice(-1);
    expect(row).toMatchObject({ outcome: 'rejected', rejected: 600 });
  });

  it('refuses unknown and disabled pipelines as usage errors', async () => {
    await expect(app.runner.run('nope')).rejects.toThrow(/pipeline "nope" is not in the config \(configured: boats, other, off\)/);
    await expect(app.runner.run('off')).rejects.toThrow(/disabled/);
    expect(await app.db.kysely.selectFrom('runs').select('id').execute()).toEqual([]);
  });
});
