/**
 * planviewer-mirror under SIGKILL: requests arrive over time; 20 runs are each killed at a seeded moment (on the
 * Nth request the sandbox receives: a search, an order, a status poll or a download in flight), then runs to
 * completion. Proves the money and mirror promises: no intention ordered twice; every order either followed to
 * its file or left as a needs-attention request naming it; every finished job's file on disk exactly once with the
 * sandbox's bytes and no temporary left; run records that tell the truth; no secret in any log.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRandom } from '../../sandbox/kit.js';
import { FINISHING_REQUESTS } from '../planviewer/harness.js';
import { PLANVIEWER_DEMO_CREDENTIALS, type PlanviewerSandbox, startPlanviewerSandbox } from '../../sandbox/planviewer/server.js';
import { hasPostgres } from '../helpers/database.js';
import { type ChildRun, type CrashWorld, createCrashWorld, expectTruthfulRunRecords, finishAfterKills, runKilledAtRequestOrDownload, walkFiles } from './crash-harness.js';

const KILLS = Number(process.env.KOPPEL_CRASH_RUNS ?? 20);
const SEED = Number(process.env.KOPPEL_CRASH_SEED ?? 20_240_613);

describe.skipIf(!hasPostgres)('planviewer-mirror killed with SIGKILL', () => {
  let sandbox: PlanviewerSandbox;
  let world: CrashWorld;
  beforeAll(async () => {
    sandbox = await startPlanviewerSandbox({ dailyCap: 1000, deliverableSize: () => 2 * 1024 * 1024 });
    world = await createCrashWorld('pv');
  });
  afterAll(async () => {
    await world?.close();
    await sandbox?.close();
  });

  it(`keeps every promise across ${KILLS} killed runs (seed ${SEED})`, async () => {
    await world.configure({
      log: { level: 'debug' },
      upstreams: {
        planviewer: {
          base_url: sandbox.url,
          ...PLANVIEWER_DEMO_CREDENTIALS,
          daily_order_cap: 1000,
          retry: { base_delay_ms: 1, max_delay_ms: 5 },
          rate: { concurrency: 4, per_second: 10_000 },
        },
      },
      pipelines: [{ name: 'pv', type: 'planviewer-mirror', poll: { initial_delay_ms: 0, max_delay_ms: 0, max_wait_ms: 60_000 } }],
    });
    const random = createRandom(SEED);

    const runs: ChildRun[] = [];
    let partsSeen = 0;
    const perRun = Math.ceil(FINISHING_REQUESTS.length / KILLS);
    for (let i = 0; i < KILLS; i++) {
      // Requests arrive over time, so every killed run has orders to place, jobs to poll and files to fetch.
      for (const request of FINISHING_REQUESTS.slice(i * perRun, (i + 1) * perRun)) {
        await world.db.insertInto('order_requests').values({ upstream: 'planviewer', request: JSON.stringify(request) as never }).execute();
      }
      runs.push(
        await runKilledAtRequestOrDownload(world, sandbox.requests, random, {
          isDownload: (path) => path.includes('/jobs/retrieve/'),
          maxRequest: 12,
          maxDownload: 2,
        }),
      );
      partsSeen += (await walkFiles(world.root)).parts.length;
    }
    // Then to completion: a run follows jobs until they finish, so two clean runs converge; the last has no work.
    await finishAfterKills(world, runs, KILLS);

    // 1. No intention ordered twice, and no more orders than requests.
    const perIntention = sandbox.ordersPerIntention();
    expect([...perIntention.entries()].filter(([, n]) => n !== 1)).toEqual([]);
    expect(perIntention.size).toBeLessThanOrEqual(FINISHING_REQUESTS.length);

    // 2. Every request completed, or needs a human because a kill fell between its order and recording the job.
    const requests = await world.db.selectFrom('order_requests').select(['id', 'status', 'details']).execute();
    expect(requests.filter((r) => r.status !== 'completed' && r.status !== 'needs-attention')).toEqual([]);
    const attention = requests.filter((r) => r.status === 'needs-attention');
    const known = new Set((await world.db.selectFrom('planviewer_jobs').select('job_uuid').execute()).map((j) => j.job_uuid));
    const unknownOrders = sandbox.ordersPlaced().filter((o) => !known.has(o.job));
    const attentionIntentions = new Set(attention.map((r) => (r.details as { intention?: { uuid?: string } } | null)?.intention?.uuid));
    for (const o of unknownOrders) expect(attentionIntentions.has(o.intention), `order ${o.job} is followed or needs attention`).toBe(true);

    // 3. Every finished job koppel follows is on disk exactly once, with the sandbox's bytes; nothing else is.
    const jobs = await world.db.selectFrom('planviewer_jobs').select(['job_uuid', 'status']).execute();
    expect(jobs.filter((j) => j.status !== 'finished')).toEqual([]);
    const files = await world.db.selectFrom('planviewer_files').select(['job_uuid', 'path', 'sha256']).execute();
    expect(files.map((f) => f.job_uuid).sort()).toEqual(jobs.map((j) => j.job_uuid).sort());
    const disk = await walkFiles(world.root);
    // A kill mid-download leaves `.name.random.part` in the job's folder; the re-download removes it first.
    expect(disk.parts).toEqual([]);
    expect([...disk.files.keys()].sort()).toEqual(files.map((f) => f.path).sort());
    for (const f of files) {
      const expected = await sandbox.expectedSha256(f.job_uuid);
      expect(disk.files.get(f.path), f.path).toBe(expected);
      expect(f.sha256).toBe(expected);
    }

    await expectTruthfulRunRecords(world.db, 'pv', runs);
    world.expectNoSecretsInLogs();
    console.info(`[crash planviewer] seed ${SEED}: ${runs.filter((r) => r.killed).length} kills, ${sandbox.ordersPlaced().length} orders, ${files.length} files, ${attention.length} needs-attention, ${partsSeen} temporaries seen after kills`);
  });
});
