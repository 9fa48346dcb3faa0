/**
 * Benchmark of `planviewer-mirror` downloads (figures, not a test): 1,000 finished jobs of 1 MiB, then one
 * 200 MiB file, downloaded from a Planviewer sandbox running in its own process.
 *
 * Measured the way production runs: the tree is built once (`tsc -p tsconfig.build.json` → dist/) and each
 * measurement is `node <the image's flags> dist/src/cli/main.js run bench` — plain node, no tsx — with the Postgres server
 * (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test) and with the embedded PGlite. Its peak RSS
 * is the kernel's high-water mark for that process; its idle baseline is the same command run again right
 * after, with nothing left to download (which also proves a downloaded file is never fetched again). The raw
 * building block is `bench/lib/raw-fetch-to-file.mjs` under plain node: fetch → file, same bytes, same
 * concurrency. Every case is repeated (the machine is shared); best and median are printed.
 *
 *   npx tsx bench/planviewer-mirror.ts [--jobs 1000] [--mib 1] [--big-mib 200] [--concurrency 4] [--repeat 3]
 *                                      [--db postgres,pglite] [--no-build] [--tunings [--removed-only]]
 *   --big-mib 0 leaves the big file out.
 *   --tunings adds koppel on Postgres without --expose-gc (no forced scavenges), with undici.request instead
 *   of the node:http download client, and without --max-semi-space-size=2; BENCH_ALT_CLI=<path
 *   to another build's dist/src/cli/main.js> (BENCH_ALT_LABEL names it) adds that build, e.g. a removed tuning's.
 *   BENCH_NODE_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the measured runs.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import pg from 'pg';
import { stringify } from 'yaml';
import { databaseConfigSchema } from '../src/db/config.js';
import { openDatabase } from '../src/db/database.js';
import { PLANVIEWER_DEMO_CREDENTIALS, startPlanviewerSandbox } from '../sandbox/planviewer/server.js';
import { bestAndMedian, buildDist, measureProcess } from './lib/measure-process.js';
import { extraNodeFlags, productionNodeFlags } from './lib/production-node-flags.js';
import { reportResult } from './lib/bench-result.js';

const { values: args } = parseArgs({
  options: {
    jobs: { type: 'string', default: '1000' },
    mib: { type: 'string', default: '1' },
    'big-mib': { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '4' },
    repeat: { type: 'string', default: '3' },
    db: { type: 'string', default: 'postgres,pglite' },
    'no-build': { type: 'boolean', default: false },
    serve: { type: 'boolean', default: false },
    /** Also runs koppel (Postgres) without each download tuning that stayed, interleaved with the rest. */
    tunings: { type: 'boolean', default: false },
    /** With --tunings: only the removed tunings' rows (the kept ones' with/without has its own run). */
    'removed-only': { type: 'boolean', default: false },
  },
});

const MiB = 1024 * 1024;
const SELF = fileURLToPath(import.meta.url);
const CLI = resolve('dist/src/cli/main.js');
const CONCURRENCY = Number(args.concurrency);

interface Job {
  uuid: string;
  intention: string;
}
interface Served {
  url: string;
  jobs: Job[];
  big: Job;
}
/** One measurement. */
interface Sample {
  files: number;
  bytes: number;
  seconds: number;
  peakRssMiB: number;
  idleRssMiB: number;
  /** CPU seconds of the whole measured process (start-up included), all threads. */
  cpuSeconds: number;
}

if (args.serve) {
  // The sandbox alone in its process: its buffers and CPU do not count in koppel's figures.
  const sandbox = await startPlanviewerSandbox();
  const intentions = [...sandbox.state.intentions.values()].filter((i) => i.outcome === 'finished');
  const add = (i: number, bytes: number): Job => {
    const intention = intentions[i % intentions.length]!.uuid;
    return { uuid: sandbox.state.addFinishedJob(PLANVIEWER_DEMO_CREDENTIALS.access_key, intention, bytes).uuid, intention };
  };
  const jobs = Array.from({ length: Number(args.jobs) }, (_, i) => add(i, Number(args.mib) * MiB));
  process.stdout.write(`${JSON.stringify({ url: sandbox.url, jobs, big: add(0, Number(args['big-mib']) * MiB) } satisfies Served)}\n`);
} else {
  await main();
}

function koppelConfig(database: Record<string, unknown>, root: string, url: string): string {
  return stringify({
    database,
    storage: { root },
    log: { level: 'info' }, // production's default: one line per downloaded file is part of the cost
    upstreams: {
      planviewer: {
        base_url: url,
        access_key: PLANVIEWER_DEMO_CREDENTIALS.access_key,
        secret: '${PV_BENCH_SECRET}',
        // The default (10 calls/s) is a politeness limit for the real vendor; the bench measures koppel itself.
        rate: { concurrency: CONCURRENCY, per_second: 10_000 },
      },
    },
    pipelines: [{ name: 'bench', type: 'planviewer-mirror', download_concurrency: CONCURRENCY }],
  });
}

/** Empties the pipeline's tables and queues `jobs` as finished, as a finished order would have left them. */
async function seed(database: { url: string; pglite_dir: string }, jobs: Job[]): Promise<void> {
  const db = await openDatabase(databaseConfigSchema.parse({ ...database, pool_size: 2 }));
  try {
    await db.kysely.transaction().execute(async (trx) => {
      await trx.deleteFrom('planviewer_files').execute();
      await trx.deleteFrom('planviewer_jobs').execute();
      await trx.deleteFrom('order_requests').execute();
      for (let i = 0; i < jobs.length; i += 500) {
        const chunk = jobs.slice(i, i + 500);
        const ids = await trx
          .insertInto('order_requests')
          .values(chunk.map((j) => ({ upstream: 'planviewer', pipeline: 'bench', request: sql`'{}'::jsonb`, status: 'ordered', upstream_order_id: j.uuid })))
          .returning(['id', 'upstream_order_id'])
          .execute();
        const idOf = new Map(ids.map((r) => [r.upstream_order_id, Number(r.id)]));
        await trx
          .insertInto('planviewer_jobs')
          .values(chunk.map((j) => ({ job_uuid: j.uuid, request_id: idOf.get(j.uuid)!, pipeline: 'bench', product: 'vraagprijsrapport', intention_uuid: j.intention, status: 'finished', finished_at: sql`now()` })))
          .execute();
      }
    });
  } finally {
    await db.close();
  }
}

/** Files indexed and requests completed after a run: what "every finished job downloaded" means. */
async function verify(database: { url: string; pglite_dir: string }, jobs: Job[]): Promise<number> {
  const db = await openDatabase(databaseConfigSchema.parse({ ...database, pool_size: 2 }));
  try {
    const files = await db.kysely.selectFrom('planviewer_files').select([sql<number>`count(*)`.as('n'), sql<number>`coalesce(sum(size), 0)`.as('bytes')]).executeTakeFirstOrThrow();
    const done = await db.kysely.selectFrom('order_requests').select(sql<number>`count(*)`.as('n')).where('status', '=', 'completed').executeTakeFirstOrThrow();
    if (Number(files.n) !== jobs.length || Number(done.n) !== jobs.length) throw new Error(`after the run: ${files.n} files, ${done.n} completed requests, expected ${jobs.length}`);
    return Number(files.bytes);
  } finally {
    await db.close();
  }
}

function runFinished(stdout: string): { durationMs: number; counts: Record<string, number>; outcome: string } {
  for (const line of stdout.split('\n').reverse()) {
    if (!line.includes('"run finished"')) continue;
    return JSON.parse(line) as { durationMs: number; counts: Record<string, number>; outcome: string };
  }
  throw new Error('no "run finished" line in the output');
}

/**
 * A tuning turned off: KOPPEL_BENCH_WITHOUT names (src/core/bench-switch.ts), node flags of the image left out;
 * or a removed one put back: node flags added, or another build's CLI (BENCH_ALT_CLI, e.g. an older tree's dist).
 */
interface Without {
  tunings?: string[];
  flags?: string[];
  addFlags?: string[];
  cli?: string;
}

async function koppelSample(database: { url: string; pglite_dir: string }, dir: string, url: string, jobs: Job[], without: Without = {}): Promise<Sample> {
  await seed(database, jobs);
  const root = join(dir, 'files');
  await rm(root, { recursive: true, force: true });
  const env = { ...process.env, KOPPEL_CONFIG: join(dir, 'koppel.yaml'), PV_BENCH_SECRET: PLANVIEWER_DEMO_CREDENTIALS.secret, KOPPEL_BENCH_WITHOUT: (without.tunings ?? []).join(',') };
  // The image's node flags for every koppel run; BENCH_NODE_FLAGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof")
  // reach the measured run only.
  const production = [...productionNodeFlags().filter((f) => !(without.flags ?? []).includes(f)), ...(without.addFlags ?? [])];
  const flags = [...production, ...extraNodeFlags()];
  const cli = without.cli ?? CLI;
  const run = await measureProcess(process.execPath, [...flags, cli, 'run', 'bench'], env);
  if (run.code !== 0) throw new Error(`koppel run exited ${run.code}: ${run.stderr.slice(0, 2000)}`);
  const done = runFinished(run.stdout);
  if (done.outcome !== 'succeeded' || done.counts.updated !== jobs.length) throw new Error(`koppel run: ${done.outcome} ${JSON.stringify(done.counts)}`);
  // Same command again with nothing to do: the idle baseline, and no file may be fetched a second time.
  const idle = await measureProcess(process.execPath, [...production, cli, 'run', 'bench'], env);
  const again = runFinished(idle.stdout);
  if (idle.code !== 0 || again.counts.updated !== 0 || idle.stdout.includes('deliverable downloaded')) throw new Error(`the second run downloaded again: ${JSON.stringify(again.counts)}`);
  const bytes = await verify(database, jobs);
  return { files: jobs.length, bytes, seconds: done.durationMs / 1000, peakRssMiB: run.peakRssMiB, idleRssMiB: idle.peakRssMiB, cpuSeconds: run.cpuSeconds };
}

async function rawSample(dir: string, url: string, jobs: Job[]): Promise<Sample> {
  const out = join(dir, 'raw');
  await rm(out, { recursive: true, force: true });
  const spec = join(dir, 'raw-spec.json');
  const auth = `Basic ${Buffer.from(`${PLANVIEWER_DEMO_CREDENTIALS.access_key}:${PLANVIEWER_DEMO_CREDENTIALS.secret}`).toString('base64')}`;
  await writeFile(spec, JSON.stringify({ urls: jobs.map((j) => `${url}/product_api/v1/jobs/retrieve/${j.uuid}`), headers: { authorization: auth }, dir: out, concurrency: CONCURRENCY }));
  const run = await measureProcess(process.execPath, [resolve('bench/lib/raw-fetch-to-file.mjs'), spec]);
  if (run.code !== 0) throw new Error(`raw fetch exited ${run.code}: ${run.stderr.slice(0, 2000)}`);
  const r = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { files: number; bytes: number; seconds: number; idleRssMiB: number };
  await rm(out, { recursive: true, force: true });
  return { ...r, peakRssMiB: run.peakRssMiB, cpuSeconds: run.cpuSeconds };
}

async function postgresDatabase(): Promise<{ url: string; drop(): Promise<void> } | undefined> {
  const admin = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
  const name = `koppel_bench_pv_${process.pid}`;
  const client = new pg.Client({ connectionString: admin });
  try {
    await client.connect();
    await client.query(`create database ${name}`);
  } catch (err) {
    process.stderr.write(`postgres not usable (${(err as Error).message}); skipped\n`);
    return undefined;
  } finally {
    await client.end().catch(() => undefined);
  }
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

function rate(s: Sample) {
  return { filesPerSec: s.files / s.seconds, mibPerSec: s.bytes / MiB / s.seconds };
}

async function main(): Promise<void> {
  if (!args['no-build']) buildDist();
  const sandboxProc: ChildProcess = spawn(process.execPath, ['--import', 'tsx', SELF, '--serve', '--jobs', args.jobs!, '--mib', args.mib!, '--big-mib', args['big-mib']!], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [line] = (await once(createInterface({ input: sandboxProc.stdout! }), 'line')) as [string];
  const served = JSON.parse(line) as Served;
  const dir = await mkdtemp(join(tmpdir(), 'pv-bench-'));
  const wanted = args.db!.split(',');
  const pgDb = wanted.includes('postgres') ? await postgresDatabase() : undefined;
  const variants: { label: string; database?: { url: string; pglite_dir: string }; dir: string; without?: Without }[] = [{ label: 'raw fetch-to-file', dir: join(dir, 'raw') }];
  if (pgDb) variants.push({ label: 'koppel, Postgres', database: { url: pgDb.url, pglite_dir: './unused' }, dir: join(dir, 'pg') });
  if (pgDb && args.tunings) {
    const offs: [string, Without][] = args['removed-only']
      ? []
      : [
          ['- forced GC', { flags: ['--expose-gc'] }],
          ['- node:http', { tunings: ['node-http'] }],
        ];
    // The image's young-generation cap (4 until issue 15, 2 since): what it costs the download rate.
    offs.push(['- semi-space 2', { flags: ['--max-semi-space-size=2'] }]);
    if (process.env.BENCH_ALT_CLI) offs.push([`+ ${process.env.BENCH_ALT_LABEL ?? 'alt build'}`, { cli: resolve(process.env.BENCH_ALT_CLI) }]);
    offs.forEach(([label, without], i) => variants.push({ label: `koppel ${label}`, database: { url: pgDb.url, pglite_dir: './unused' }, dir: join(dir, `pg-off-${i}`), without }));
  }
  if (wanted.includes('pglite')) variants.push({ label: 'koppel, PGlite', database: { url: '', pglite_dir: join(dir, 'pglite', 'data') }, dir: join(dir, 'pglite') });
  const samples = new Map<string, Sample[]>();
  const oneOff: string[] = [];
  try {
    for (const v of variants) {
      await mkdir(v.dir, { recursive: true });
      if (!v.database) continue;
      await writeFile(join(v.dir, 'koppel.yaml'), koppelConfig(v.database, join(v.dir, 'files'), served.url));
      const env = { ...process.env, KOPPEL_CONFIG: join(v.dir, 'koppel.yaml'), PV_BENCH_SECRET: PLANVIEWER_DEMO_CREDENTIALS.secret };
      const migrate = await measureProcess(process.execPath, [CLI, 'migrate'], env);
      if (migrate.code !== 0) throw new Error(`koppel migrate: ${migrate.stderr}`);
      oneOff.push(`${v.label}: koppel migrate (one-off${v.database.url ? '' : ', creates the data folder: initdb'}) peak RSS ${migrate.peakRssMiB} MiB`);
    }
    // Interleaved (raw, Postgres, PGlite per round) so load from other work on the machine hits all alike.
    for (let round = 0; round < Number(args.repeat); round++) {
      for (const set of Number(args['big-mib']) > 0 ? (['small', 'big'] as const) : (['small'] as const)) {
        const jobs = set === 'small' ? served.jobs : [served.big];
        for (const v of variants) {
          const s = v.database ? await koppelSample(v.database, v.dir, served.url, jobs, v.without) : await rawSample(v.dir, served.url, jobs);
          const key = `${v.label}|${set}`;
          samples.set(key, [...(samples.get(key) ?? []), s]);
          const r = rate(s);
          process.stderr.write(`  round ${round + 1} ${v.label.padEnd(22)} ${set.padEnd(5)} ${r.filesPerSec.toFixed(1)} files/s ${r.mibPerSec.toFixed(1)} MiB/s peak ${s.peakRssMiB} MiB idle ${s.idleRssMiB} MiB CPU ${s.cpuSeconds.toFixed(2)} s\n`);
        }
      }
    }
  } finally {
    sandboxProc.kill();
    await pgDb?.drop().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }

  const summary: Record<string, Record<string, number>> = {};
  const out = (s: string) => process.stdout.write(`${s}\n`);
  out(`planviewer-mirror downloads: concurrency ${CONCURRENCY}, sandbox in its own process, koppel = node ${CLI.replace(`${process.cwd()}/`, '')} run (built JS, plain node), ${args.repeat} rounds`);
  out(`${'variant'.padEnd(22)} ${'set'.padEnd(14)} ${'files/s best/med'.padStart(17)} ${'MiB/s best/med'.padStart(15)} ${'peak RSS best/med'.padStart(18)} ${'idle RSS'.padStart(9)} ${'CPU s med'.padStart(10)}`);
  for (const set of ['small', 'big'] as const) {
    for (const v of variants) {
      const list = samples.get(`${v.label}|${set}`) ?? [];
      if (list.length === 0) continue;
      const fps = bestAndMedian(list.map((s) => rate(s).filesPerSec));
      const mps = bestAndMedian(list.map((s) => rate(s).mibPerSec));
      const peak = bestAndMedian(list.map((s) => s.peakRssMiB), false);
      const idle = bestAndMedian(list.map((s) => s.idleRssMiB), false);
      const cpu = bestAndMedian(list.map((s) => s.cpuSeconds), false);
      summary[`${v.label}|${set}`] = { filesPerSecBest: fps.best, filesPerSecMedian: fps.median, mibPerSecBest: mps.best, mibPerSecMedian: mps.median, peakRssMiBBest: peak.best, peakRssMiBMedian: peak.median, idleRssMiB: idle.median, cpuSecondsMedian: cpu.median };
      const setLabel = set === 'small' ? `${served.jobs.length} × ${args.mib} MiB` : `1 × ${args['big-mib']} MiB`;
      out(
        `${v.label.padEnd(22)} ${setLabel.padEnd(14)} ${`${fps.best.toFixed(1)}/${fps.median.toFixed(1)}`.padStart(17)} ${`${mps.best.toFixed(1)}/${mps.median.toFixed(1)}`.padStart(15)} ${`${peak.best}/${peak.median}`.padStart(18)} ${String(idle.median).padStart(9)} ${cpu.median.toFixed(2).padStart(10)}`,
      );
    }
  }
  for (const line of oneOff) out(line);
  const main = summary['koppel, Postgres|small'] ?? summary['koppel, PGlite|small'];
  const raw = summary['raw fetch-to-file|small'];
  const bigK = summary['koppel, Postgres|big'] ?? summary['koppel, PGlite|big'];
  const bigRaw = summary['raw fetch-to-file|big'];
  if (main && raw) {
    const big = (pick: 'mibPerSecBest' | 'mibPerSecMedian') => (bigK && bigRaw ? `, ${(bigK[pick]! / bigRaw[pick]!).toFixed(2)} for the big file` : '');
    out(`ratio to raw (best/best): ${(main.filesPerSecBest! / raw.filesPerSecBest!).toFixed(2)} for 1 MiB files${big('mibPerSecBest')}`);
    out(`ratio to raw (median/median): ${(main.filesPerSecMedian! / raw.filesPerSecMedian!).toFixed(2)} for 1 MiB files${big('mibPerSecMedian')}`);
    reportResult({
      bench: 'planviewer-mirror',
      figure: { name: `files/s, ${served.jobs.length} × ${args.mib} MiB (${pgDb ? 'Postgres' : 'PGlite'}, best of ${args.repeat})`, value: Number(main.filesPerSecBest!.toFixed(1)) },
      raw: { name: 'raw fetch-to-file files/s', value: Number(raw.filesPerSecBest!.toFixed(1)) },
      ratio: Number((main.filesPerSecBest! / raw.filesPerSecBest!).toFixed(2)),
      big:
        bigK && bigRaw
          ? { mibPerSec: Number(bigK.mibPerSecBest!.toFixed(1)), rawMibPerSec: Number(bigRaw.mibPerSecBest!.toFixed(1)), ratio: Number((bigK.mibPerSecBest! / bigRaw.mibPerSecBest!).toFixed(2)), peakRssMiB: bigK.peakRssMiBBest }
          : undefined,
      summary,
      oneOff,
    });
  }
}
