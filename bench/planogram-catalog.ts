/**
 * Benchmark of `planogram-catalog` (figures, not a test): a 100k-product CSV imported into a PlanogramBuilder
 * sandbox running in a child process, then re-run without changes. Prints items/s, calls per item and peak RSS
 * of each run, next to the raw @grpc/grpc-js unary rate against the same sandbox at the same concurrency, so the
 * ratio shows what koppel adds (CSV, mapping, validation, hashing, queue, retry, state in the database).
 *
 *   npx tsx bench/planogram-catalog.ts [--products 100000] [--concurrency 8] [--images 0]
 * DATABASE_URL set = use that Postgres; else the embedded PGlite on disk (the default a user gets).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { stringify } from 'yaml';
import { parseConfig } from '../src/config/load-config.js';
import { openApp } from '../src/core/app.js';
import { writeExampleCatalog } from '../src/demo/planogram-catalog-data.js';
import { defaultItem } from '../src/upstreams/planogrambuilder/defaults.js';
import { loadPlanoService, MAX_MESSAGE_BYTES } from '../src/upstreams/planogrambuilder/proto.js';
import { startPlanogramBuilderSandbox } from '../src/upstreams/planogrambuilder/sandbox.js';
import { METHOD_NAMES, MUTATING_METHODS } from '../src/upstreams/planogrambuilder/wire.js';

const { values: args } = parseArgs({
  options: {
    products: { type: 'string', default: '100000' },
    concurrency: { type: 'string', default: '8' },
    images: { type: 'string', default: '0' },
    raw: { type: 'string', default: '20000' },
    serve: { type: 'boolean', default: false },
  },
});

if (args.serve) {
  // Child mode: the sandbox alone in its own process, so it does not share an event loop with koppel.
  const sandbox = await startPlanogramBuilderSandbox();
  process.stdout.write(`${JSON.stringify({ endpoint: sandbox.endpoint, ...sandbox.credentials })}\n`);
  process.on('message', (msg) => {
    if (msg === 'calls') process.send!(sandbox.calls());
    if (msg === 'reset') sandbox.resetCalls();
  });
} else {
  await main();
}

async function main(): Promise<void> {
  const products = Number(args.products);
  const concurrency = Number(args.concurrency);
  const dir = await mkdtemp(join(tmpdir(), 'plano-bench-'));
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--serve'], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  try {
    const [line] = (await once(child.stdout!, 'data')) as [Buffer];
    const sandbox = JSON.parse(line.toString().split('\n')[0]!) as { endpoint: string; account_id: string; username: string; password: string };
    const calls = () => ask<Record<string, number>>(child, 'calls');

    let t = performance.now();
    const catalog = await writeExampleCatalog({ dir, products, imageShare: Number(args.images) });
    log(`generated ${products} products (${catalog.imageCount} images) in ${((performance.now() - t) / 1000).toFixed(1)} s`);

    const config = parseConfig(
      stringify({
        log: { level: 'error' },
        database: process.env.DATABASE_URL ? { url: process.env.DATABASE_URL } : { url: '', pglite_dir: join(dir, 'pglite') },
        upstreams: {
          planogrambuilder: {
            endpoint: sandbox.endpoint, tls: false, account_id: sandbox.account_id, username: sandbox.username, password: sandbox.password,
            rate: { concurrency, per_second: 10_000 }, page_size: 1000,
          },
        },
        pipelines: [{ name: 'bench', type: 'planogram-catalog', source: { products: catalog.products, images: catalog.images }, mapping: 'mappings/products.yaml' }],
      }),
      {},
    );
    const app = await openApp(config);
    log(`RSS with the app open (database migrated, before any run): ${Math.round(process.memoryUsage.rss() / 1048576)} MiB`);
    const figures: Record<string, unknown>[] = [];
    for (const label of ['first import', 'no-change re-run']) {
      await ask(child, 'reset');
      const rss = sampleRss();
      t = performance.now();
      const result = await app.runner.run('bench');
      const seconds = (performance.now() - t) / 1000;
      const peak = rss.stop();
      const c = await calls();
      const total = METHOD_NAMES.reduce((s, m) => s + (c?.[m] ?? 0), 0);
      const mutating = MUTATING_METHODS.reduce((s, m) => s + (c?.[m] ?? 0), 0);
      if (result.error) log(`${label}: ${result.outcome}: ${result.error.message}`);
      figures.push({
        run: label, outcome: result.outcome, items: result.counts.seen, seconds: +seconds.toFixed(1),
        'items/s': Math.round(result.counts.seen / seconds), calls: total, 'calls/item': +(total / result.counts.seen).toFixed(3),
        mutating, 'calls/s': Math.round(total / seconds), 'peak RSS MiB': peak,
      });
    }
    await app.close();

    const raw = await rawUnaryRate(sandbox, concurrency, Number(args.raw));
    figures.push({ run: `raw grpc-js CreateProduct ×${args.raw}`, items: Number(args.raw), seconds: +raw.seconds.toFixed(1), 'calls/s': Math.round(raw.rate), 'calls/item': 1 });
    console.table(figures);
    const first = figures[0]!['calls/s'] as number;
    log(`koppel first import makes ${first} calls/s vs raw ${Math.round(raw.rate)} calls/s at concurrency ${concurrency}: ${(first / raw.rate * 100).toFixed(0)} % of the raw rate`);
  } finally {
    child.kill();
    await rm(dir, { recursive: true, force: true });
  }
}

/** CreateProduct with prebuilt messages and nothing else, `concurrency` in flight: the ceiling for this sandbox. */
async function rawUnaryRate(sandbox: { endpoint: string; account_id: string; username: string; password: string }, concurrency: number, n: number) {
  const service = loadPlanoService({ package: 'planoapiv1', service: 'PlanoAPI' });
  const client = new grpc.Client(sandbox.endpoint, grpc.credentials.createInsecure(), { 'grpc.max_receive_message_length': MAX_MESSAGE_BYTES });
  const unary = (method: string, req: object) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const def = service[method]!;
      client.makeUnaryRequest(def.path, def.requestSerialize, def.responseDeserialize, req, new grpc.Metadata(), { deadline: Date.now() + 30_000 }, (err, v) =>
        err ? reject(err) : resolve(v as Record<string, unknown>),
      );
    });
  // Sign in as a second administrator session would revoke koppel's: koppel is done by now.
  const { access_token } = await unary('SignIn', { account_id: sandbox.account_id, username: sandbox.username, password: sandbox.password });
  const template = { ...defaultItem('product'), name: 'raw', width: 10, height: 20, depth: 5, images: ['raw.png'], color: '0xFF336699' };
  let next = 0;
  const t = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = next++;
        await unary('CreateProduct', { product: { ...template, reference: `RAW-${i}` }, access_token });
      }
    }),
  );
  const seconds = (performance.now() - t) / 1000;
  client.close();
  return { seconds, rate: n / seconds };
}

function sampleRss(): { stop(): number } {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 50);
  return {
    stop() {
      clearInterval(timer);
      return Math.round(Math.max(peak, process.memoryUsage.rss()) / 1048576);
    },
  };
}

function ask<T>(child: ChildProcess, msg: string): Promise<T | undefined> {
  if (msg === 'reset') {
    child.send(msg);
    return Promise.resolve(undefined);
  }
  return new Promise((resolve) => {
    child.once('message', (m) => resolve(m as T));
    child.send(msg);
  });
}

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}
