/**
 * Benchmark of `ambita-mirror` reconciles (figures, not a test): 500 orders with 5 assets each (3 on order
 * lines, 1 on the order, 1 added after FINISHED) in the Ambita sandbox, followed by one pipeline. Measures the
 * first sweep (reads every order, downloads 2,500 files) and a second sweep with nothing new (reads only),
 * on the embedded PGlite (on disk, the default) and on Postgres when one is reachable.
 *
 *   npx tsx bench/ambita-mirror.ts [--orders 500] [--concurrency 8] [--kb 2] [--rounds 3] [--no-build]
 *
 * Each database kind and round runs in its own child process, with the seeded sandbox in a process of its own,
 * and koppel measured as production runs it: `node <the image's flags> dist/src/cli/main.js run` (built JS, no
 * tsx), log level info; peak RSS is that process's VmHWM, time the run's own `durationMs`. Rounds are
 * interleaved and best and median printed. A third child measures the raw building block: the same asset
 * files fetched with the bearer token and streamed to disk, same concurrency. CPU seconds are printed for both
 * (koppel's whole process; raw's timed section), as they move far less than wall time on a loaded machine.
 * BENCH_NODE_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the measured koppel runs; BENCH_FIRST_ONLY=1 runs
 * the first sweep alone. Each sweep also prints where the CPU went: koppel (and its main thread, where the JavaScript
 * runs), the sandbox process, and the Postgres backends serving the run's database.
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { stringify } from 'yaml';
import { databaseConfigSchema } from '../src/db/config.js';
import { openDatabase } from '../src/db/database.js';
import { trackOrder } from '../src/pipelines/ambita-mirror/mirror-store.js';
import { startAmbitaSandbox } from '../sandbox/ambita/server.js';
import { bestAndMedian, buildDist, cpuOf, measureProcess, roundRatios, roundRatiosLine } from './lib/measure-process.js';
import { extraNodeFlags, productionNodeFlags } from './lib/production-node-flags.js';
import { reportResult } from './lib/bench-result.js';

const { values: args } = parseArgs({
  options: {
    orders: { type: 'string', default: '500' },
    concurrency: { type: 'string', default: '8' },
    kb: { type: 'string', default: '2' },
    db: { type: 'string' },
    rounds: { type: 'string', default: '3' },
    serve: { type: 'boolean', default: false },
    'no-build': { type: 'boolean', default: false },
  },
});
const SELF = fileURLToPath(import.meta.url);
const CLI = resolve('dist/src/cli/main.js');
const ORDERS = Number(args.orders);

/** The sandbox with ORDERS finished orders of 5 assets each; the same for every measurement. */
async function seededSandbox() {
  const sandbox = await startAmbitaSandbox({ dialect: 'mixed' });
  const ids: number[] = [];
  const assets: string[] = [];
  for (let i = 0; i < ORDERS; i++) {
    const order = await sandbox.placeOrder({ productCodes: ['WI99990001', 'WI99990002', 'WI99990003'] });
    const content = Buffer.alloc(Number(args.kb) * 1024, i % 251);
    for (const line of order.orders[0]!.lines) assets.push(sandbox.book.addAsset(order.id, { lineId: line.id, content }).asset.id);
    assets.push(sandbox.book.addAsset(order.id, { content }).asset.id);
    sandbox.book.finish(order.id, { deliver: false });
    assets.push(sandbox.book.addAsset(order.id, { lineId: order.orders[0]!.lines[0]!.id, content }).asset.id);
    ids.push(order.id);
  }
  return { sandbox, ids, assets };
}

/** What the sandbox process prints once seeded. */
interface Served {
  url: string;
  credentials: Record<string, string>;
  ids: number[];
  assets: string[];
}

/**
 * `--serve`: the seeded sandbox alone in this process. Prints what it serves as one JSON line, then answers each
 * line on stdin with its request count so far; stops when stdin closes (so it never outlives the benchmark).
 */
async function serve(): Promise<void> {
  const { sandbox, ids, assets } = await seededSandbox();
  process.stdout.write(`${JSON.stringify({ url: sandbox.url, credentials: sandbox.credentials as Record<string, string>, ids, assets } satisfies Served)}\n`);
  const lines = createInterface({ input: process.stdin });
  lines.on('line', () => {
    const cpu = process.cpuUsage();
    process.stdout.write(`${sandbox.requestCount()} ${(cpu.user + cpu.system) / 1e6}\n`);
  });
  await once(lines, 'close');
  await sandbox.close();
}

/** Starts `--serve` in its own process. */
async function startServed(): Promise<{ served: Served; counters(): Promise<{ requests: number; cpuSeconds: number }>; stop(): Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', SELF, '--serve', '--orders', args.orders!, '--kb', args.kb!], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const first = await lines.next();
  if (first.done) throw new Error('the sandbox process exited before serving');
  /** Requests served so far and the sandbox process's CPU seconds so far. */
  const counters = async () => {
    child.stdin.write('count\n');
    const [requests, cpuSeconds] = String((await lines.next()).value).split(' ').map(Number);
    return { requests: requests!, cpuSeconds: cpuSeconds! };
  };
  return {
    served: JSON.parse(first.value) as Served,
    counters,
    async stop() {
      const exited = once(child, 'exit');
      child.stdin.end();
      await exited;
    },
  };
}

/**
 * The raw building block: the same asset files fetched with a bearer token and streamed to disk, at the same
 * concurrency — no order reads, no temp name, no hash, no index.
 */
async function rawDownloads(): Promise<void> {
  const host = await startServed();
  const { url, assets, credentials: c } = host.served;
  const root = await mkdtemp(join(tmpdir(), 'ambita-bench-raw-'));
  const tokenRes = await fetch(`${url}/authentication/v2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ grant_type: 'password', client_id: c.client_id, client_secret: c.client_secret, username: c.username, password: c.password }),
  });
  const { access_token: token } = (await tokenRes.json()) as { access_token: string };
  const sandboxBefore = await host.counters();
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  let next = 0;
  await Promise.all(
    Array.from({ length: Number(args.concurrency) }, async () => {
      while (next < assets.length) {
        const i = next++;
        const res = await fetch(`${url}/shopping/v2/assets/${assets[i]}`, { headers: { authorization: `Bearer ${token}` } });
        if (!res.ok || !res.body) throw new Error(`raw asset fetch: ${res.status}`);
        await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), createWriteStream(join(root, String(i))));
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const sandboxCpu = (await host.counters()).cpuSeconds - sandboxBefore.cpuSeconds;
  process.stdout.write(
    `raw       fetch-to-file of the same ${assets.length} assets: ${(assets.length / seconds).toFixed(1)} files/s  ${seconds.toFixed(2)} s  CPU ${cpuSeconds.toFixed(2)} s (sandbox ${sandboxCpu.toFixed(2)} s)\n`,
  );
  process.stdout.write(`FIGURES ${JSON.stringify({ label: 'raw', filesPerSec: assets.length / seconds, cpuSeconds })}\n`);
  await host.stop();
  await rm(root, { recursive: true, force: true });
}

/** The `run finished` line koppel logs at the end of a run. */
function runFinished(stdout: string): { durationMs: number; counts: Record<string, number>; outcome: string } {
  const line = stdout.split('\n').findLast((l) => l.includes('"run finished"'));
  if (!line) throw new Error('no "run finished" line in the output');
  return JSON.parse(line) as { durationMs: number; counts: Record<string, number>; outcome: string };
}

async function bench(label: string, database: { url: string; pglite_dir: string }): Promise<void> {
  const host = await startServed();
  const { url, credentials, ids, assets } = host.served;
  const dir = await mkdtemp(join(tmpdir(), 'ambita-bench-'));
  const env = { ...process.env, KOPPEL_CONFIG: join(dir, 'koppel.yaml') };
  await writeFile(
    env.KOPPEL_CONFIG,
    stringify({
      database,
      storage: { root: join(dir, 'files') },
      log: { level: 'info' }, // production's default: one line per downloaded file is part of the cost
      upstreams: {
        ambita: {
          base_url: url,
          client_id: credentials.client_id,
          client_secret: credentials.client_secret,
          username: credentials.username,
          password: credentials.password,
          rate: { concurrency: Number(args.concurrency), per_second: 10_000 } },
      },
      pipelines: [{ name: 'ambita-bench', type: 'ambita-mirror', sweep_interval_minutes: 0, concurrency: Number(args.concurrency) }],
    }),
  );
  const migrate = await measureProcess(process.execPath, [CLI, 'migrate'], env);
  if (migrate.code !== 0) throw new Error(`koppel migrate: ${migrate.stderr}`);
  const db = await openDatabase(databaseConfigSchema.parse({ ...database, pool_size: 2 }));
  for (const orderId of ids) await trackOrder(db.kysely, { pipeline: 'ambita-bench', orderId });
  await db.close();
  // BENCH_FIRST_ONLY=1: the first sweep alone (profiling it).
  const phases = ['first sweep (download all)', 'second sweep (nothing new)'].slice(0, process.env.BENCH_FIRST_ONLY ? 1 : 2);
  for (const phase of phases) {
    const before = await host.counters();
    const flags = [...productionNodeFlags(), ...extraNodeFlags()];
    const backends = database.url ? watchBackends(new URL(database.url).pathname.slice(1)) : undefined;
    const run = await measureProcess(process.execPath, [...flags, CLI, 'run', 'ambita-bench'], env);
    const dbCpu = backends?.stop();
    if (run.code !== 0) throw new Error(`koppel run exited ${run.code}: ${run.stderr.slice(0, 2000)}`);
    const result = runFinished(run.stdout);
    const seconds = result.durationMs / 1000;
    const after = await host.counters();
    const requests = after.requests - before.requests;
    process.stdout.write(
      `${label.padEnd(9)} ${phase.padEnd(28)} CPU s: koppel ${run.cpuSeconds.toFixed(2)} (main thread ${run.mainThreadCpuSeconds.toFixed(2)}), ` +
        `sandbox ${(after.cpuSeconds - before.cpuSeconds).toFixed(2)}${dbCpu === undefined ? '' : `, Postgres backends ${dbCpu.toFixed(2)}`}\n`,
    );
    process.stdout.write(
      `${label.padEnd(9)} ${phase.padEnd(28)} ${result.outcome.padEnd(9)} ${(ORDERS / seconds).toFixed(1).padStart(7)} orders/s  ` +
        `${seconds.toFixed(2).padStart(6)} s  ${String(requests).padStart(5)} requests  created ${result.counts.created}  unchanged ${result.counts.unchanged}  ` +
        `CPU ${run.cpuSeconds.toFixed(2)} s  peak RSS ${run.peakRssMiB} MiB\n`,
    );
    if (phase.startsWith('first')) {
      process.stdout.write(`${label.padEnd(9)} first sweep: ${(assets.length / seconds).toFixed(1)} asset files/s (${result.counts.created} created)\n`);
      process.stdout.write(`FIGURES ${JSON.stringify({ label, filesPerSec: assets.length / seconds, ordersPerSec: ORDERS / seconds, peakRssMiB: run.peakRssMiB, cpuSeconds: run.cpuSeconds })}\n`);
    }
  }
  await host.stop();
  await rm(dir, { recursive: true, force: true });
}

if (args.serve) {
  await serve();
} else if (!args.db) {
  if (!args['no-build']) buildDist();
  // Parent: one child per database kind and round, same flags; rounds interleaved (raw, PGlite, Postgres) so load
  // from other work hits every side alike.
  const self = fileURLToPath(import.meta.url);
  const rest = ['--orders', args.orders!, '--concurrency', args.concurrency!, '--kb', args.kb!, '--no-build'];
  const figures = new Map<string, number[]>();
  const cpus = new Map<string, number[]>();
  for (let round = 0; round < Number(args.rounds); round++) {
    for (const db of ['raw', 'pglite', 'postgres']) {
      const r = spawnSync(process.execPath, [...process.execArgv, self, '--db', db, ...rest], { stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 * 1024 * 1024 });
      for (const line of r.stdout.toString().split('\n')) {
        if (line.startsWith('FIGURES ')) {
          const f = JSON.parse(line.slice('FIGURES '.length)) as { label: string; filesPerSec: number; cpuSeconds: number };
          figures.set(f.label, [...(figures.get(f.label) ?? []), f.filesPerSec]);
          cpus.set(f.label, [...(cpus.get(f.label) ?? []), f.cpuSeconds]);
        } else if (line) process.stdout.write(`round ${round + 1} ${line}\n`);
      }
    }
  }
  const rates = new Map([...figures].map(([label, list]) => [label, bestAndMedian(list)]));
  for (const [label, r] of rates) {
    const cpu = bestAndMedian(cpus.get(label) ?? [], false);
    process.stdout.write(
      `${label.padEnd(9)} first sweep asset files/s over ${args.rounds} rounds: best ${r.best.toFixed(1)}, median ${r.median.toFixed(1)}; ` +
        `CPU s (${label === 'raw' ? 'its downloads' : 'whole koppel process'}): best ${cpu.best.toFixed(2)}, median ${cpu.median.toFixed(2)}\n`,
    );
  }
  const raw = rates.get('raw');
  const mainLabel = rates.has('postgres') ? 'postgres' : 'pglite';
  const main = rates.get(mainLabel);
  if (raw && main) {
    const perRound = new Map<string, ReturnType<typeof roundRatios>>();
    for (const label of ['postgres', 'pglite']) {
      const k = rates.get(label);
      if (!k) continue;
      process.stdout.write(`first sweep (${label}) vs raw fetch-to-file of the same assets: ${(k.best / raw.best).toFixed(2)} best/best, ${(k.median / raw.median).toFixed(2)} median/median (the sweep also reads every order)\n`);
      perRound.set(label, roundRatios(figures.get(label)!, figures.get('raw')!));
      process.stdout.write(`${roundRatiosLine(`first sweep (${label}) vs raw`, perRound.get(label)!)}\n`);
    }
    reportResult({
      bench: 'ambita-mirror',
      figure: { name: `asset files/s, first sweep (${mainLabel === 'postgres' ? 'Postgres' : 'PGlite'}, median of ${args.rounds})`, value: Number(main.median.toFixed(1)) },
      raw: { name: 'raw fetch-to-file files/s (median)', value: Number(raw.median.toFixed(1)) },
      ratio: Number((main.median / raw.median).toFixed(2)),
      roundRatios: perRound.get(mainLabel),
      runs: Object.fromEntries(figures),
    });
  }
} else if (args.db === 'raw') {
  await rawDownloads();
} else if (args.db === 'pglite') {
  const pgliteDir = await mkdtemp(join(tmpdir(), 'ambita-bench-pglite-'));
  await bench('pglite', { url: '', pglite_dir: pgliteDir });
  await rm(pgliteDir, { recursive: true, force: true });
} else {
  await benchPostgres();
}

/**
 * CPU seconds of the Postgres backends serving database `name` (their command lines name it), sampled until
 * stopped: what koppel's queries cost the server. A backend's last 20 ms may be missed.
 */
function watchBackends(name: string): { stop(): number } {
  /** Backend pid → its CPU seconds at the last sample. */
  const backends = new Map<number, number>();
  /** Processes that are not Postgres: never read again. */
  const others = new Set<number>();
  const sample = () => {
    for (const entry of readdirSync('/proc')) {
      const pid = Number(entry);
      if (!pid || others.has(pid)) continue;
      try {
        if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'postgres') {
          others.add(pid);
          continue;
        }
        // A backend names its database in its title; one just forked still has the postmaster's: read again later.
        if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(` ${name} `)) continue;
      } catch {
        continue;
      }
      const cpu = cpuOf(pid);
      if (cpu !== undefined) backends.set(pid, cpu);
    }
  };
  const timer = setInterval(sample, 20);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return [...backends.values()].reduce((sum, cpu) => sum + cpu, 0);
    },
  };
}

async function benchPostgres(): Promise<void> {
  const adminUrl = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
  const admin = new pg.Client({ connectionString: adminUrl });
  try {
    await admin.connect();
  } catch {
    process.stdout.write('postgres: not reachable, skipped\n');
    return;
  }
  const name = `koppel_bench_${process.pid}`;
  await admin.query(`create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  try {
    await bench('postgres', { url: url.toString(), pglite_dir: './data/pglite' });
  } finally {
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}
