/**
 * A whole ambita-mirror setup on real sockets: the sandbox, a migrated database, the runner, and the daemon's
 * webhook server serving the pipeline's routes. By default a push's trigger is only counted, and `settle` runs
 * the pipeline for the triggers since the last call, so a test decides when runs happen. With `liveTriggers`
 * a push triggers the runner at once, exactly as in the daemon (Runner.trigger, coalesced by the runner), and
 * `settle` awaits those runs. `gate` holds a run's last step, so a test can land pushes at that moment.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import pino from 'pino';
import { expect } from 'vitest';
import { KoppelEvents } from '../../src/core/events.js';
import { startHttpServer } from '../../src/core/http-server.js';
import { enqueueOrderRequest } from '../../src/orders/index.js';
import { Runner } from '../../src/core/runner.js';
import type { RunOptions, RunResult } from '../../src/core/types.js';
import { ambitaMirror } from '../../src/pipelines/ambita-mirror/pipeline.js';
import type { AmbitaMirrorConfig } from '../../src/pipelines/ambita-mirror/config.js';
import { type AmbitaSandbox, type AmbitaSandboxOptions, startAmbitaSandbox } from '../../sandbox/ambita/server.js';
import { UpstreamClients } from '../../src/core/upstream-clients.js';
import { registries } from '../../src/registries.js';
import { makeConfig } from '../helpers/config.js';
import { createTestDatabase, type TestDatabase, type TestDatabaseKind } from '../helpers/database.js';
import { LastStepGate } from '../helpers/last-step-gate.js';
import { LogSink } from '../helpers/logs.js';
import { HOOK_TOKEN, sandboxAmbitaConfig } from './fixtures.js';

export const PIPELINE = 'ambita';

export interface MirrorHarness {
  sandbox: AmbitaSandbox;
  t: TestDatabase;
  root: string;
  runner: Runner;
  logs: LogSink;
  hookUrl: string;
  /** Runs the pipeline once now. */
  run(options?: RunOptions): Promise<RunResult>;
  /**
   * Delivers the pushes on their way, then runs the pipeline for the triggers since the last call (several
   * coalesce into one run), or with `liveTriggers` awaits the runs they led to (each run once).
   */
  settle(): Promise<RunResult[]>;
  triggers: number;
  gate: LastStepGate;
  /** Queues an order request as `koppel order ambita` does. */
  order(request: Record<string, unknown>): Promise<number>;
  close(): Promise<void>;
}

export async function startMirrorHarness(
  kind: TestDatabaseKind,
  options: { sandbox?: AmbitaSandboxOptions; pipeline?: Partial<AmbitaMirrorConfig>; ambita?: Record<string, unknown>; liveTriggers?: boolean } = {},
): Promise<MirrorHarness> {
  const sandbox = await startAmbitaSandbox(options.sandbox);
  const t = await createTestDatabase(kind);
  const root = await mkdtemp(join(tmpdir(), 'ambita-mirror-'));
  const config = makeConfig({
    storage: { root },
    log: { level: 'info' },
    upstreams: { ambita: sandboxAmbitaConfig(sandbox, options.ambita) },
    pipelines: [{ name: PIPELINE, type: 'ambita-mirror', municipalities: ['9999'], sweep_interval_minutes: 60, ...options.pipeline }],
  });
  const logs = new LogSink();
  const log = pino({ level: 'info' }, logs);
  const events = new KoppelEvents(log);
  const upstreams = new UpstreamClients(registries.upstreams, config.upstreams, events, log);
  const gate = new LastStepGate(t.db);
  const runner = new Runner({ config, db: gate.db, registries, upstreams, events, log });
  const entry = config.pipelines[0]!;
  /** Live: the runs the webhook's triggers led to, not yet awaited by `settle`. Deferred: triggers not yet run. */
  const triggered: Promise<RunResult>[] = [];
  let pending = 0;
  const routes = ambitaMirror.webhooks!({
    pipeline: PIPELINE,
    config: entry.settings as AmbitaMirrorConfig,
    global: config,
    db: t.db.kysely,
    log,
    trigger: (opts) => (options.liveTriggers ? void triggered.push(runner.trigger(PIPELINE, opts)) : void pending++),
  });
  const http = await startHttpServer({
    port: 0,
    host: '127.0.0.1',
    log,
    routes,
    health: async () => ({ ok: true, detail: {} }),
    metrics: async () => ({ contentType: 'text/plain', body: '' }),
  });
  const hookUrl = `http://127.0.0.1:${http.port}/hooks/${PIPELINE}`;
  sandbox.setCallbackUrl(`${hookUrl}/${HOOK_TOKEN}`);
  const h: MirrorHarness = {
    sandbox,
    t,
    root,
    runner,
    logs,
    hookUrl,
    triggers: 0,
    gate,
    run: (opts) => runner.trigger(PIPELINE, opts),
    async settle() {
      const results = new Set<RunResult>();
      await sandbox.flushPushes();
      while (pending > 0) {
        h.triggers += pending;
        pending = 0; // several pushes before a run coalesce into one run, as in the daemon
        results.add(await runner.run(PIPELINE));
      }
      while (triggered.length > 0) {
        const batch = triggered.splice(0);
        h.triggers += batch.length;
        // Triggers the runner coalesced share one run (one result object).
        for (const result of await Promise.all(batch)) results.add(result);
      }
      return [...results];
    },
    async order(request) {
      const { request: row } = await enqueueOrderRequest(t.db.kysely, { upstream: 'ambita', pipeline: PIPELINE, request });
      return row.id;
    },
    async close() {
      if (options.liveTriggers) await h.settle(); // no triggered run may outlive the database it writes to
      await http.close();
      await upstreams.close();
      await sandbox.close();
      await t.drop();
      await rm(root, { recursive: true, force: true });
    },
  };
  return h;
}

export const CADASTRE_REQUEST = {
  products: ['WI99990001', 'WI99990002'],
  orderData: { address: 'Infoveien 1, 9999 Infoland', cadastre: '9999-1-1-0-0' },
  reference: 'case-42',
};

/** Every file under `dir`, as paths relative to it. */
export async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name))).sort();
}

/**
 * The invariant of the issue: files on disk and `stored` rows equal exactly the sandbox's OK assets of live
 * orders, byte for byte, with nothing else on disk (no partial files, no leftovers of deleted assets).
 */
export async function expectMirrorEqualsSandbox(h: MirrorHarness): Promise<void> {
  const expected = new Map(h.sandbox.liveAssets().map((a) => [a.asset.id, a]));
  const rows = await h.t.db.kysely.selectFrom('ambita_assets').selectAll().where('pipeline', '=', PIPELINE).where('state', '=', 'stored').execute();
  expect(new Set(rows.map((r) => r.asset_id))).toEqual(new Set(expected.keys()));
  for (const row of rows) {
    const want = expected.get(row.asset_id)!;
    expect(Number(row.order_id)).toBe(want.orderId);
    const bytes = await readFile(join(h.root, row.path!));
    expect(bytes.equals(want.asset.content), `content of ${row.path}`).toBe(true);
    expect(row.sha256).toBe(createHash('sha256').update(want.asset.content).digest('hex'));
  }
  expect(await listFiles(h.root)).toEqual(rows.map((r) => r.path!).sort());
}
