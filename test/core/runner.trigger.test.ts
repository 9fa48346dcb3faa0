import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Runner } from '../../src/core/runner.js';
import type { RunResult } from '../../src/core/types.js';
import { dateRange, exampleAvailability, writeAvailabilityCsv } from '../../demo/availability-data.js';
import { type MaasplassenSandbox, startMaasplassenSandbox } from '../../sandbox/maasplassen/server.js';
import { pollUntil } from '../fixtures/poll.js';
import type { TestApp } from '../helpers/app.js';
import { maasWorld } from '../helpers/maas-world.js';
import { testDatabaseKinds } from '../helpers/database.js';
import { LastStepGate } from '../helpers/last-step-gate.js';

/** Lets every queued promise callback run (the next macrotask; no timer). */
const settleMicrotasks = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Tracks whether a request's promise has settled. */
function tracked(p: Promise<RunResult>): { result: Promise<RunResult>; settled: () => boolean } {
  let settled = false;
  const result = p.finally(() => (settled = true));
  return { result, settled: () => settled };
}

describe.each(testDatabaseKinds)('Runner: requests during a run (%s)', (kind) => {
  let sandbox: MaasplassenSandbox;
  let app: TestApp;
  let gate: LastStepGate;
  let runner: Runner;

  beforeAll(async () => {
    sandbox = await startMaasplassenSandbox();
  });
  afterAll(() => sandbox.close());

  beforeEach(async () => {
    sandbox.reset();
    const world = await maasWorld(sandbox, { kind, pipeline: { chunk_size: 5 } });
    app = world.app;
    await writeAvailabilityCsv(world.csv, exampleAvailability(['91', '92'], dateRange('2027-06-01', 5)));
    gate = new LastStepGate(app.db);
    runner = new Runner({ config: app.config, db: gate.db, registries: app.registries, upstreams: app.upstreams, events: app.events, log: app.log });
  });
  afterEach(() => app.dispose());

  const runs = () => app.db.kysely.selectFrom('runs').selectAll().where('pipeline', '=', 'boats').orderBy('id').execute();

  /** Runs never overlap: each one ended before the next one started. */
  async function expectNoOverlap(): Promise<void> {
    const rows = await runs();
    for (let i = 1; i < rows.length; i++) {
      expect(rows[i - 1]!.ended_at).not.toBeNull();
      expect(new Date(rows[i - 1]!.ended_at!).getTime()).toBeLessThanOrEqual(new Date(rows[i]!.started_at).getTime());
    }
  }

  it('requests arriving in a run\'s last step get exactly one follow-up run after it, shared by all', async () => {
    const held = gate.hold();
    const first = runner.trigger('boats');
    await held.reached; // recorded as finished, lock not yet released: the moment a push used to be lost
    const during = [
      tracked(runner.trigger('boats')),
      tracked(runner.run('boats')),
      tracked(runner.trigger('boats', { tick: new Date('2030-01-01T00:00:00Z') })),
      tracked(runner.trigger('boats', { full: true })),
    ];
    await settleMicrotasks();
    expect(during.map((d) => d.settled())).toEqual([false, false, false, false]); // none was answered "skipped"
    expect(runner.active).toEqual(['boats']);
    held.open();

    const firstResult = await first;
    const results = await Promise.all(during.map((d) => d.result));
    expect(firstResult.outcome).toBe('succeeded');
    const followUp = results[0]!;
    expect(followUp.outcome).toBe('succeeded');
    expect(followUp.runId).not.toBe(firstResult.runId);
    expect(results.map((r) => r.runId)).toEqual([followUp.runId, followUp.runId, followUp.runId, followUp.runId]);
    const rows = await runs();
    expect(rows.map((r) => r.id)).toEqual([firstResult.runId, followUp.runId]);
    expect(rows[1]!.full_sync).toBe(true); // one of the joined requests asked for --full
    await expectNoOverlap();
    // A push or manual request joined the ticks: the follow-up runs without a tick claim that could skip it.
    expect(await app.db.kysely.selectFrom('schedule_ticks').selectAll().execute()).toEqual([]);
    expect(runner.active).toEqual([]);

    // Afterwards a request starts a run of its own at once.
    const later = await runner.trigger('boats');
    expect(later.outcome).toBe('succeeded');
    expect((await runs()).length).toBe(3);
  });

  it('ticks alone during a run make one follow-up that claims the newest tick', async () => {
    const held = gate.hold();
    const first = runner.trigger('boats', { tick: new Date('2030-01-01T00:00:00Z') });
    await held.reached;
    const a = runner.trigger('boats', { tick: new Date('2030-01-01T00:01:00Z') });
    const b = runner.trigger('boats', { tick: new Date('2030-01-01T00:02:00Z') });
    held.open();
    await first;
    const [ra, rb] = await Promise.all([a, b]);
    expect(ra.runId).toBe(rb.runId);
    expect(ra.outcome).toBe('succeeded');
    const ticks = await app.db.kysely.selectFrom('schedule_ticks').select('tick').orderBy('tick').execute();
    expect(ticks.map((t) => new Date(t.tick).toISOString())).toEqual(['2030-01-01T00:00:00.000Z', '2030-01-01T00:02:00.000Z']);
    expect(await runs()).toHaveLength(2);
    await expectNoOverlap();
  });

  it('a dry run asked for during a run is answered "already running", not joined', async () => {
    const held = gate.hold();
    const first = runner.run('boats');
    await held.reached;
    expect(await runner.run('boats', { dryRun: true })).toMatchObject({ outcome: 'skipped', reason: 'already running in this process' });
    held.open();
    await first;
    expect(await runs()).toHaveLength(1);
  });

  it('shutdown: a follow-up not yet started is answered "shutting down" and never runs', async () => {
    const held = gate.hold();
    const first = runner.trigger('boats');
    await held.reached;
    const followUp = runner.trigger('boats');
    const stopped = runner.shutdown(30_000);
    held.open();
    await stopped;
    expect((await first).outcome).toBe('succeeded');
    expect(await followUp).toMatchObject({ outcome: 'skipped', reason: 'shutting down' });
    expect(await runs()).toHaveLength(1);
    expect(runner.active).toEqual([]);
  });

  it.runIf(kind === 'postgres')('another process holds the lock: run() is skipped, a trigger waits for the lock and then runs once', async () => {
    // A second session holding the pipeline's advisory lock stands in for another replica's run.
    const other = await app.db.tryLock('pipeline:boats');
    expect(other).not.toBeNull();
    let released = false;
    try {
      expect(await runner.run('boats')).toMatchObject({ outcome: 'skipped', reason: 'another process holds its lock' });
      const waiting = tracked(runner.trigger('boats'));
      await pollUntil('the trigger to wait for the lock', () =>
        app.logs.records.some((r) => r.msg === 'another process holds the pipeline lock: this run starts when that one ends'),
      );
      const joined = tracked(runner.trigger('boats'));
      expect(waiting.settled()).toBe(false);
      expect(await runs()).toEqual([]);
      await other!();
      released = true;
      const [result, joinedResult] = await Promise.all([waiting.result, joined.result]);
      expect(result.outcome).toBe('succeeded');
      // The second trigger arrived while the first waited: it gets one run after it (which finds nothing new).
      expect(joinedResult.outcome).toBe('succeeded');
      expect(joinedResult.runId).not.toBe(result.runId);
      expect(await runs()).toHaveLength(2);
      await expectNoOverlap();
    } finally {
      if (!released) await other?.();
    }
  });

  it.runIf(kind === 'postgres')('another process holds the lock for the same tick: the trigger is skipped at once, not run twice', async () => {
    const tick = new Date('2030-01-01T00:00:00Z');
    const other = await app.db.tryLock('pipeline:boats');
    try {
      // The holder claimed the tick when it started (as Runner does under its lock).
      await app.db.kysely.insertInto('schedule_ticks').values({ pipeline: 'boats', tick, claimed_by: 'other:1' }).execute();
      expect(await runner.trigger('boats', { tick })).toMatchObject({ outcome: 'skipped', reason: 'this schedule tick already ran on another replica' });
      expect(await runs()).toEqual([]);
    } finally {
      await other?.();
    }
  });
});
