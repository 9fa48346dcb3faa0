/**
 * Benchmark of `ambita-mirror` reconciles (figures, not a test): 500 orders with 5 assets each (3 on order
 * lines, 1 on the order, 1 added after FINISHED) in the Ambita sandbox, followed by one pipeline. Measures the
 * first sweep (reads every order, downloads 2,500 files) and a second sweep with nothing new (reads only),
 * on the embedded PGlite (on disk, the default) and on Postgres when one is reachable.
 *
 *   npx tsx bench/ambita-mirror.ts [--orders 500] [--concurrency 8] [--kb 2]
 *
 * Each database kind runs in its own child process, so each peak RSS is its own. The sandbox runs in that
 * process too; its in-memory files (orders × 5 × kb) are included in the peak RSS.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { stringify } from 'yaml';
import { parseConfig } from '../src/config/load-config.js';
import { openApp } from '../src/core/app.js';
import { trackOrder } from '../src/pipelines/ambita-mirror/mirror-store.js';
import { startAmbitaSandbox } from '../src/upstreams/ambita/sandbox.js';

const { values: args } = parseArgs({
  options: {
    orders: { type: 'string', default: '500' },
    concurrency: { type: 'string', default: '8' },
    kb: { type: 'string', default: '2' },
    db: { type: 'string' },
  },
});
const ORDERS = Number(args.orders);

async function bench(label: string, database: { url: string; pglite_dir: string }): Promise<void> {
  const sandbox = await startAmbitaSandbox({ dialect: 'mixed' });
  const root = await mkdtemp(join(tmpdir(), 'ambita-bench-'));
  const ids: number[] = [];
  for (let i = 0; i < ORDERS; i++) {
    const order = await sandbox.placeOrder({ productCodes: ['WI99990001', 'WI99990002', 'WI99990003'] });
    const content = Buffer.alloc(Number(args.kb) * 1024, i % 251);
    for (const line of order.orders[0]!.lines) sandbox.book.addAsset(order.id, { lineId: line.id, content });
    sandbox.book.addAsset(order.id, { content });
    sandbox.book.finish(order.id, { deliver: false });
    sandbox.book.addAsset(order.id, { lineId: order.orders[0]!.lines[0]!.id, content });
    ids.push(order.id);
  }
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
    let peak = process.memoryUsage.rss();
    const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20);
    const started = performance.now();
    const result = await app.runner.run('ambita-bench');
    const seconds = (performance.now() - started) / 1000;
    clearInterval(timer);
    peak = Math.max(peak, process.memoryUsage.rss());
    const requests = sandbox.requestCount() - before;
    process.stdout.write(
      `${label.padEnd(9)} ${phase.padEnd(28)} ${result.outcome.padEnd(9)} ${(ORDERS / seconds).toFixed(1).padStart(7)} orders/s  ` +
        `${seconds.toFixed(2).padStart(6)} s  ${String(requests).padStart(5)} requests  created ${result.counts.created}  unchanged ${result.counts.unchanged}  ` +
        `peak RSS ${(peak / 1024 / 1024).toFixed(0)} MiB\n`,
    );
  }
  await app.close();
  await sandbox.close();
  await rm(root, { recursive: true, force: true });
}

if (!args.db) {
  // Parent: one child per database kind, same flags.
  const self = fileURLToPath(import.meta.url);
  const rest = ['--orders', args.orders!, '--concurrency', args.concurrency!, '--kb', args.kb!];
  for (const db of ['pglite', 'postgres']) {
    spawnSync(process.execPath, [...process.execArgv, self, '--db', db, ...rest], { stdio: 'inherit' });
  }
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
