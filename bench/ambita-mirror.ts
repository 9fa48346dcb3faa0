/**
 * Benchmark of `ambita-mirror` reconciles (figures, not a test): 500 orders with 5 assets each (3 on order
 * lines, 1 on the order, 1 added after FINISHED) in the Ambita sandbox, followed by one pipeline. Measures the
 * first sweep (reads every order, downloads 2,500 files) and a second sweep with nothing new (reads only),
 * on the embedded PGlite (on disk, the default) and on Postgres when one is reachable.
 *
 *   npx tsx bench/ambita-mirror.ts [--orders 500] [--concurrency 8] [--kb 2] [--rounds 3]
 *
 * Each database kind runs in its own child process, so each peak RSS is its own; rounds are interleaved and
 * best and median printed. The sandbox runs in that
 * process too; its in-memory files (orders × 5 × kb) are included in the peak RSS. A third child measures the raw
 * building block: the same asset files fetched with the bearer token and streamed to disk, same concurrency.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { stringify } from 'yaml';
import { openApp, parseConfig } from '../src/registries.js';
import { trackOrder } from '../src/pipelines/ambita-mirror/mirror-store.js';
import { startAmbitaSandbox } from '../sandbox/ambita/server.js';
import { bestAndMedian } from './lib/measure-process.js';
import { reportResult } from './lib/sandbox-process.js';

const { values: args } = parseArgs({
  options: {
    orders: { type: 'string', default: '500' },
    concurrency: { type: 'string', default: '8' },
    kb: { type: 'string', default: '2' },
    db: { type: 'string' },
    rounds: { type: 'string', default: '3' },
  },
});
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

/**
 * The raw building block: the same asset files fetched with a bearer token and streamed to disk, at the same
 * concurrency — no order reads, no temp name, no hash, no index.
 */
async function rawDownloads(): Promise<void> {
  const { sandbox, assets } = await seededSandbox();
  const root = await mkdtemp(join(tmpdir(), 'ambita-bench-raw-'));
  const c = sandbox.credentials;
  const tokenRes = await fetch(`${sandbox.url}/authentication/v2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ grant_type: 'password', client_id: c.client_id, client_secret: c.client_secret, username: c.username, password: c.password }),
  });
  const { access_token: token } = (await tokenRes.json()) as { access_token: string };
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: Number(args.concurrency) }, async () => {
      while (next < assets.length) {
        const i = next++;
        const res = await fetch(`${sandbox.url}/shopping/v2/assets/${assets[i]}`, { headers: { authorization: `Bearer ${token}` } });
        if (!res.ok || !res.body) throw new Error(`raw asset fetch: ${res.status}`);
        await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), createWriteStream(join(root, String(i))));
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  process.stdout.write(`raw       fetch-to-file of the same ${assets.length} assets: ${(assets.length / seconds).toFixed(1)} files/s  ${seconds.toFixed(2)} s\n`);
  process.stdout.write(`FIGURES ${JSON.stringify({ label: 'raw', filesPerSec: assets.length / seconds })}\n`);
  await sandbox.close();
  await rm(root, { recursive: true, force: true });
}

async function bench(label: string, database: { url: string; pglite_dir: string }): Promise<void> {
  const { sandbox, ids, assets } = await seededSandbox();
  const root = await mkdtemp(join(tmpdir(), 'ambita-bench-'));
  const config = parseConfig(
    stringify({
      database,
      storage: { root },
      log: { level: 'warn' },
      upstreams: {
        ambita: {
          base_url: sandbox.url,
          client_id: sandbox.credentials.client_id,
          client_secret: sandbox.credentials.client_secret,
          username: sandbox.credentials.username,
          password: sandbox.credentials.password,
          rate: { concurrency: Number(args.concurrency), per_second: 10_000 },
        },
      },
      pipelines: [{ name: 'ambita-bench', type: 'ambita-mirror', sweep_interval_minutes: 0, concurrency: Number(args.concurrency) }],
    }),
    {},
  );
  const app = await openApp(config);
  for (const orderId of ids) await trackOrder(app.db.kysely, { pipeline: 'ambita-bench', orderId });
  for (const phase of ['first sweep (download all)', 'second sweep (nothing new)']) {
    const before = sandbox.requestCount();
    const started = performance.now();
    const result = await app.runner.run('ambita-bench');
    const seconds = (performance.now() - started) / 1000;
    // The kernel's high-water mark: polling rss() every 20 ms cost the measured process ~4 % of its CPU.
    const peak = process.resourceUsage().maxRSS * 1024;
    const requests = sandbox.requestCount() - before;
    process.stdout.write(
      `${label.padEnd(9)} ${phase.padEnd(28)} ${result.outcome.padEnd(9)} ${(ORDERS / seconds).toFixed(1).padStart(7)} orders/s  ` +
        `${seconds.toFixed(2).padStart(6)} s  ${String(requests).padStart(5)} requests  created ${result.counts.created}  unchanged ${result.counts.unchanged}  ` +
        `peak RSS ${(peak / 1024 / 1024).toFixed(0)} MiB\n`,
    );
    if (phase.startsWith('first')) {
      process.stdout.write(`${label.padEnd(9)} first sweep: ${(assets.length / seconds).toFixed(1)} asset files/s (${result.counts.created} created)\n`);
      process.stdout.write(`FIGURES ${JSON.stringify({ label, filesPerSec: assets.length / seconds, ordersPerSec: ORDERS / seconds, peakRssMiB: Math.round(peak / 1024 / 1024) })}\n`);
    }
  }
  await app.close();
  await sandbox.close();
  await rm(root, { recursive: true, force: true });
}

if (!args.db) {
  // Parent: one child per database kind and round, same flags; rounds interleaved (raw, PGlite, Postgres) so load
  // from other work hits every side alike.
  const self = fileURLToPath(import.meta.url);
  const rest = ['--orders', args.orders!, '--concurrency', args.concurrency!, '--kb', args.kb!];
  const figures = new Map<string, number[]>();
  for (let round = 0; round < Number(args.rounds); round++) {
    for (const db of ['raw', 'pglite', 'postgres']) {
      const r = spawnSync(process.execPath, [...process.execArgv, self, '--db', db, ...rest], { stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 * 1024 * 1024 });
      for (const line of r.stdout.toString().split('\n')) {
        if (line.startsWith('FIGURES ')) {
          const f = JSON.parse(line.slice('FIGURES '.length)) as { label: string; filesPerSec: number };
          figures.set(f.label, [...(figures.get(f.label) ?? []), f.filesPerSec]);
        } else if (line) process.stdout.write(`round ${round + 1} ${line}\n`);
      }
    }
  }
  const rates = new Map([...figures].map(([label, list]) => [label, bestAndMedian(list)]));
  for (const [label, r] of rates) process.stdout.write(`${label.padEnd(9)} first sweep asset files/s over ${args.rounds} rounds: best ${r.best.toFixed(1)}, median ${r.median.toFixed(1)}\n`);
  const raw = rates.get('raw');
  const mainLabel = rates.has('postgres') ? 'postgres' : 'pglite';
  const main = rates.get(mainLabel);
  if (raw && main) {
    for (const label of ['postgres', 'pglite']) {
      const k = rates.get(label);
      if (k) process.stdout.write(`first sweep (${label}) vs raw fetch-to-file of the same assets: ${(k.best / raw.best).toFixed(2)} best/best, ${(k.median / raw.median).toFixed(2)} median/median (the sweep also reads every order)\n`);
    }
    reportResult({
      bench: 'ambita-mirror',
      figure: { name: `asset files/s, first sweep (${mainLabel === 'postgres' ? 'Postgres' : 'PGlite'}, median of ${args.rounds})`, value: Number(main.median.toFixed(1)) },
      raw: { name: 'raw fetch-to-file files/s (median)', value: Number(raw.median.toFixed(1)) },
      ratio: Number((main.median / raw.median).toFixed(2)),
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
