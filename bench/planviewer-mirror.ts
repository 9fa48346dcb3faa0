/**
 * Benchmark of `planviewer-mirror` downloads (figures, not a test): 1,000 finished jobs of 1 MiB, then one
 * 200 MiB file, downloaded from a Planviewer sandbox running in its own process. Each measurement runs in a
 * fresh child process so its peak RSS is its own: koppel on the embedded PGlite (on disk, the default), koppel
 * on Postgres (when one is reachable), and a raw fetch-to-file of the same bytes at the same concurrency.
 *
 *   npx tsx bench/planviewer-mirror.ts [--jobs 1000] [--mib 1] [--big-mib 200] [--concurrency 4]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import PQueue from 'p-queue';
import pg from 'pg';
import { sql } from 'kysely';
import { stringify } from 'yaml';
import { parseConfig } from '../src/config/load-config.js';
import { openApp } from '../src/core/app.js';
import { PLANVIEWER_DEMO_CREDENTIALS, startPlanviewerSandbox } from '../src/upstreams/planviewer/sandbox.js';

const { values: args } = parseArgs({
  options: {
    jobs: { type: 'string', default: '1000' },
    mib: { type: 'string', default: '1' },
    'big-mib': { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '4' },
    serve: { type: 'boolean', default: false },
    phase: { type: 'string' },
    spec: { type: 'string' },
  },
});

const MiB = 1024 * 1024;
const SELF = fileURLToPath(import.meta.url);

interface Spec {
  url: string;
  jobs: { uuid: string; intention: string }[];
  big: { uuid: string; intention: string };
  concurrency: number;
  dir: string;
  database: { url: string; pglite_dir: string };
}
interface Figures {
  files: number;
  bytes: number;
  seconds: number;
  peakRssMiB: number;
}

if (args.serve) {
  // The sandbox alone in its process: its buffers do not count in koppel's RSS.
  const sandbox = await startPlanviewerSandbox();
  const intentions = [...sandbox.state.intentions.values()].filter((i) => i.outcome === 'finished');
  const jobs = Array.from({ length: Number(args.jobs) }, (_, i) => {
    const intention = intentions[i % intentions.length]!.uuid;
    return { uuid: sandbox.state.addFinishedJob(PLANVIEWER_DEMO_CREDENTIALS.access_key, intention, Number(args.mib) * MiB).uuid, intention };
  });
  const bigIntention = intentions[0]!.uuid;
  const big = { uuid: sandbox.state.addFinishedJob(PLANVIEWER_DEMO_CREDENTIALS.access_key, bigIntention, Number(args['big-mib']) * MiB).uuid, intention: bigIntention };
  process.stdout.write(`${JSON.stringify({ url: sandbox.url, jobs, big })}\n`);
} else if (args.phase) {
  const spec = JSON.parse(await readFile(args.spec!, 'utf8')) as Spec & { set: 'small' | 'big' };
  const figures = args.phase === 'raw' ? await rawPhase(spec) : await koppelPhase(spec);
  process.stdout.write(`${JSON.stringify(figures)}\n`);
} else {
  await main();
}

/** Samples RSS while `fn` runs; the figure is the process's peak during the measured work. */
async function measure(files: number, bytes: number, fn: () => Promise<void>): Promise<Figures> {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20);
  const started = performance.now();
  await fn();
  const seconds = (performance.now() - started) / 1000;
  clearInterval(timer);
  peak = Math.max(peak, process.memoryUsage.rss());
  return { files, bytes, seconds, peakRssMiB: Math.round(peak / MiB) };
}

function selected(spec: Spec & { set: 'small' | 'big' }) {
  return spec.set === 'small' ? spec.jobs : [spec.big];
}

async function rawPhase(spec: Spec & { set: 'small' | 'big' }): Promise<Figures> {
  const jobs = selected(spec);
  const auth = `Basic ${Buffer.from(`${PLANVIEWER_DEMO_CREDENTIALS.access_key}:${PLANVIEWER_DEMO_CREDENTIALS.secret}`).toString('base64')}`;
  const out = join(spec.dir, 'raw');
  await mkdir(out, { recursive: true });
  let bytes = 0;
  return measure(jobs.length, 0, async () => {
    const queue = new PQueue({ concurrency: spec.concurrency });
    for (const job of jobs) {
      void queue.add(async () => {
        const res = await fetch(`${spec.url}/product_api/v1/jobs/retrieve/${job.uuid}`, { headers: { authorization: auth } });
        await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), createWriteStream(join(out, job.uuid)));
        bytes += Number(res.headers.get('content-length'));
      });
    }
    await queue.onIdle();
  }).then((f) => ({ ...f, bytes }));
}

async function koppelPhase(spec: Spec & { set: 'small' | 'big' }): Promise<Figures> {
  const jobs = selected(spec);
  const yaml = stringify({
    database: spec.database,
    storage: { root: join(spec.dir, 'files') },
    log: { level: 'warn' },
    upstreams: {
      planviewer: { base_url: spec.url, ...PLANVIEWER_DEMO_CREDENTIALS, rate: { concurrency: spec.concurrency, per_second: 10_000 }, timeout_ms: 600_000 },
    },
    pipelines: [{ name: 'bench', type: 'planviewer-mirror', download_concurrency: spec.concurrency }],
  });
  const app = await openApp(parseConfig(yaml, {}, spec.dir, 'bench'));
  try {
    // The jobs are already ordered and finished: index them as a finished order would have.
    const db = app.db.kysely;
    for (let i = 0; i < jobs.length; i += 500) {
      await db.transaction().execute(async (trx) => {
        for (const job of jobs.slice(i, i + 500)) {
          const { id } = await trx
            .insertInto('order_requests')
            .values({ upstream: 'planviewer', pipeline: 'bench', request: sql`'{}'::jsonb`, status: 'ordered', upstream_order_id: job.uuid })
            .returning('id')
            .executeTakeFirstOrThrow();
          await trx
            .insertInto('planviewer_jobs')
            .values({ job_uuid: job.uuid, request_id: Number(id), pipeline: 'bench', product: 'vraagprijsrapport', intention_uuid: job.intention, status: 'finished' })
            .execute();
        }
      });
    }
    let result: Awaited<ReturnType<typeof app.runner.run>> | undefined;
    const figures = await measure(jobs.length, 0, async () => {
      result = await app.runner.run('bench');
    });
    if (result?.outcome !== 'succeeded' || result.counts.updated !== jobs.length) {
      throw new Error(`bench run ${result?.outcome}: ${JSON.stringify(result?.counts)} ${result?.error?.message ?? ''}`);
    }
    const { bytes } = await db
      .selectFrom('planviewer_files')
      .select(sql<number>`coalesce(sum(size), 0)`.as('bytes'))
      .executeTakeFirstOrThrow();
    return { ...figures, bytes: Number(bytes) };
  } finally {
    await app.close();
  }
}

async function child(argv: string[]): Promise<Figures> {
  const proc = spawn(process.execPath, ['--import', 'tsx', SELF, ...argv], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const [code] = (await once(proc, 'exit')) as [number];
  if (code !== 0) throw new Error(`bench phase ${argv.join(' ')} exited ${code}`);
  return JSON.parse(out.trim().split('\n').at(-1)!) as Figures;
}

async function postgresDatabase(): Promise<{ url: string; drop(): Promise<void> } | undefined> {
  const admin = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `koppel_bench_pv_${process.pid}`;
  const client = new pg.Client({ connectionString: admin });
  try {
    await client.connect();
    await client.query(`create database ${name}`);
  } catch {
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

async function main(): Promise<void> {
  const sandboxProc: ChildProcess = spawn(process.execPath, ['--import', 'tsx', SELF, '--serve', '--jobs', args.jobs!, '--mib', args.mib!, '--big-mib', args['big-mib']!], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [line] = (await once(createInterface({ input: sandboxProc.stdout! }), 'line')) as [string];
  const served = JSON.parse(line) as Pick<Spec, 'url' | 'jobs' | 'big'>;
  const rows: [string, string, Figures][] = [];
  const pgDb = await postgresDatabase();
  try {
    const variants: [string, Spec['database'] | null][] = [['raw fetch-to-file', null], ['koppel, PGlite on disk', { url: '', pglite_dir: '' }]];
    if (pgDb) variants.push(['koppel, Postgres', { url: pgDb.url, pglite_dir: './unused' }]);
    for (const [label, database] of variants) {
      for (const set of ['small', 'big'] as const) {
        const dir = await mkdtemp(join(tmpdir(), 'pv-bench-'));
        const db = database && !database.url ? { url: '', pglite_dir: join(dir, 'pglite') } : (database ?? { url: '', pglite_dir: '' });
        if (pgDb && database?.url) {
          // A clean schema per measurement: the koppel phase migrates it again.
          const c = new pg.Client({ connectionString: pgDb.url });
          await c.connect();
          await c.query('drop schema public cascade; create schema public');
          await c.end();
        }
        const spec = { ...served, concurrency: Number(args.concurrency), dir, database: db, set };
        const specFile = join(dir, 'spec.json');
        await writeFile(specFile, JSON.stringify(spec));
        const figures = await child(['--phase', database ? 'koppel' : 'raw', '--spec', specFile]);
        rows.push([label, set === 'small' ? `${served.jobs.length} × ${args.mib} MiB` : `1 × ${args['big-mib']} MiB`, figures]);
        await rm(dir, { recursive: true, force: true });
      }
    }
  } finally {
    sandboxProc.kill();
    await pgDb?.drop();
  }
  process.stdout.write(`planviewer-mirror downloads (concurrency ${args.concurrency}, sandbox in its own process)\n`);
  process.stdout.write(`${'variant'.padEnd(24)} ${'set'.padEnd(14)} ${'files/s'.padStart(9)} ${'MiB/s'.padStart(9)} ${'seconds'.padStart(9)} ${'peak RSS MiB'.padStart(13)}\n`);
  for (const [label, set, f] of rows) {
    process.stdout.write(
      `${label.padEnd(24)} ${set.padEnd(14)} ${(f.files / f.seconds).toFixed(1).padStart(9)} ${(f.bytes / MiB / f.seconds).toFixed(1).padStart(9)} ${f.seconds.toFixed(2).padStart(9)} ${String(f.peakRssMiB).padStart(13)}\n`,
    );
  }
}
