/**
 * maasplassen-availability under SIGKILL: 20 runs, each on a new version of the availability file (prices change,
 * boats get blocked and freed again, values flip back), each killed at a seeded moment — when the sandbox has
 * received or has just answered the Nth availability update — then one run to completion. Proves: Maasplassen
 * holds exactly the last file's availability (nothing lost, nothing stale), the final run's counts are what it
 * pushed, a re-run pushes nothing, the run records tell the truth, and no secret reaches a log.
 */
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AvailabilityRow, dateRange, exampleAvailability, writeAvailabilityCsv } from '../../demo/availability-data.js';
import { type MaasplassenReceivedRequest, type MaasplassenSandbox, startMaasplassenSandbox } from '../../sandbox/maasplassen/server.js';
import { createRandom } from '../../sandbox/kit.js';
import { hasPostgres } from '../helpers/database.js';
import { between, type ChildRun, type CrashWorld, createCrashWorld, expectTruthfulRunRecords } from './crash-harness.js';

const KILLS = Number(process.env.KOPPEL_CRASH_RUNS ?? 20);
const SEED = Number(process.env.KOPPEL_CRASH_SEED ?? 20_240_611);
const BOATS = ['91', '92', '93', '94', '95'];
const DATES = dateRange('2027-07-01', 30);
const CHUNK = 10;
const isUpdate = (r: { path: string }) => r.path.endsWith('/availability/update');

/** The second value a boat-date can take: another price, or available where it was blocked (and back). */
function variant(r: AvailabilityRow): AvailabilityRow {
  return r.available ? { ...r, dayCents: (r.dayCents ?? 0) + 1000 } : { ...r, available: true, dayCents: 8000, halfDayCents: 4000 };
}

function prizesOf(r: AvailabilityRow): unknown {
  if (!r.available) return null;
  return [
    { desc: 'Hele dag', desc_de: 'Ganzer Tag', cents: r.dayCents },
    { desc: 'Halve dag', desc_de: 'Halber Tag', cents: r.halfDayCents },
  ];
}

/** Calls `listener(phase)` as each availability update arrives and as its answer has been sent. */
function watchUpdates(sandbox: MaasplassenSandbox, listener: (phase: 'received' | 'answered') => void): void {
  const requests = sandbox.requests as MaasplassenReceivedRequest[];
  requests.push = (...items: MaasplassenReceivedRequest[]) => {
    for (const entry of items) {
      if (!isUpdate(entry)) continue;
      listener('received');
      // The kit sets `status` when the response has finished: the update took effect and the client has its answer.
      let status: number | undefined;
      Object.defineProperty(entry, 'status', {
        enumerable: true,
        get: () => status,
        set: (v: number) => {
          status = v;
          if (v === 200) listener('answered');
        },
      });
    }
    return Array.prototype.push.apply(requests, items);
  };
}

describe.skipIf(!hasPostgres)('maasplassen-availability killed with SIGKILL', () => {
  let sandbox: MaasplassenSandbox;
  let world: CrashWorld;
  beforeAll(async () => {
    sandbox = await startMaasplassenSandbox();
    world = await createCrashWorld('boats');
  });
  afterAll(async () => {
    await world?.close();
    await sandbox?.close();
  });

  it(`converges to the last file after ${KILLS} killed runs (seed ${SEED})`, async () => {
    const csv = join(world.dir, 'availability.csv');
    await world.configure({
      log: { level: 'debug' },
      upstreams: {
        maasplassen: {
          base_url: sandbox.url,
          apikey: sandbox.credentials.apikey,
          secret: sandbox.credentials.secret,
          company_id: 1,
          rate: { concurrency: 2, per_second: 10_000 },
          retry: { base_delay_ms: 1, max_delay_ms: 5 },
        },
      },
      pipelines: [{ name: 'boats', type: 'maasplassen-availability', source: { csv }, chunk_size: CHUNK }],
    });
    const base = exampleAvailability(BOATS, DATES);
    const random = createRandom(SEED);
    let trigger: ((phase: 'received' | 'answered') => void) | undefined;
    watchUpdates(sandbox, (phase) => trigger?.(phase));

    const runs: ChildRun[] = [];
    let current = base;
    for (let i = 0; i < KILLS; i++) {
      // About half the boat-dates take the other value each time, so values also flip back to an older one.
      current = base.map((r) => (random() < 0.5 ? variant(r) : r));
      await writeAvailabilityCsv(csv, current);
      const phase = random() < 0.5 ? 'received' : 'answered';
      const at = between(random, 1, 6);
      let seen = 0;
      runs.push(
        await world.run((kill) => {
          trigger = (p) => p === phase && ++seen === at && kill();
          return () => (trigger = undefined);
        }),
      );
    }
    const kills = runs.filter((r) => r.killed).length;
    expect(kills).toBeGreaterThanOrEqual(KILLS / 2);

    // The final run, unkilled: its counts must be exactly what it pushed.
    const before = sandbox.requests.length;
    const final = await world.run();
    runs.push(final);
    const pushed = sandbox.requests.slice(before).filter(isUpdate).reduce((n, r) => n + (r.objects ?? 0), 0);
    expect(final.outcome).toBe('succeeded');
    expect(final.counts).toMatchObject({ seen: base.length, failed: 0, rejected: 0 });
    expect(final.counts!.created! + final.counts!.updated!).toBe(pushed);
    expect(final.counts!.unchanged).toBe(base.length - pushed);

    // Nothing lost, nothing stale: the service holds exactly the last file.
    expect(sandbox.availabilityCount(1)).toBe(base.length);
    const wrong = current.filter((r) => !isDeepStrictEqual(sandbox.availability(1, r.boat, r.date), prizesOf(r)));
    expect(wrong.map((r) => `${r.boat}|${r.date}`)).toEqual([]);

    // A re-run over the same file pushes nothing.
    const idleFrom = sandbox.requests.length;
    const idle = await world.run();
    runs.push(idle);
    expect(idle.counts).toMatchObject({ unchanged: base.length, created: 0, updated: 0 });
    expect(sandbox.requests.slice(idleFrom).filter(isUpdate)).toHaveLength(0);

    await expectTruthfulRunRecords(world.db, 'boats', runs);
    world.expectNoSecretsInLogs();
    console.info(`[crash maasplassen] seed ${SEED}: ${kills} kills, ${sandbox.requests.filter(isUpdate).length} updates`);
  });
});
