/** A planviewer-mirror world for tests: sandbox on a real socket, a migrated database, a runner, the app's logger into a sink. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KoppelConfig } from '../../src/config/schema.js';
import { createAppLogger } from '../../src/core/app.js';
import { KoppelEvents } from '../../src/core/events.js';
import { enqueueOrderRequest } from '../../src/orders/index.js';
import { Runner } from '../../src/core/runner.js';
import type { RunOptions, RunResult } from '../../src/core/types.js';
import { UpstreamClients } from '../../src/core/upstream-clients.js';
import { registries } from '../../src/registries.js';
import { type PlanviewerSandbox, type PlanviewerSandboxOptions, startPlanviewerSandbox } from '../../sandbox/planviewer/server.js';
import { makeConfig } from '../helpers/config.js';
import { createTestDatabase, type TestDatabase, type TestDatabaseKind } from '../helpers/database.js';
import { LogSink } from '../helpers/logs.js';

export const PIPELINE = 'pv';

const ADDRESSES = ['6512EX 2', '6811LW 61', '2011RD 1', '9999AA 8a', '3511ED 1', '5611EB 12'];
const PRODUCTS = ['vraagprijsrapport', 'percelenrapport', 'koopsomoverzicht', 'maatvoering-perceel', 'kadastraledocumenten', 'uittreksel-kadastrale-kaart'];
/** 41 requests, each ordering a distinct intention that finishes (see sandbox/planviewer/data.ts): the crash suites' workload. */
export const FINISHING_REQUESTS = [
  ...ADDRESSES.flatMap((address) => PRODUCTS.map((product) => ({ address, product }))),
  ...ADDRESSES.filter((a) => a !== '6811LW 61').map((address) => ({ address, product: 'bestemmingsplankaart' })),
];

export interface World {
  sandbox: PlanviewerSandbox;
  t: TestDatabase;
  config: KoppelConfig;
  root: string;
  logs: LogSink;
  events: KoppelEvents;
  run(options?: RunOptions): Promise<RunResult>;
  enqueue(request: Record<string, unknown>): Promise<number>;
  close(): Promise<void>;
}

export function worldConfig(
  sandboxUrl: string,
  root: string,
  overrides: { cap?: number; pipeline?: Record<string, unknown>; upstream?: Record<string, unknown>; database?: unknown } = {},
): KoppelConfig {
  return makeConfig({
    ...(overrides.database ? { database: overrides.database } : {}),
    storage: { root },
    log: { level: 'info' },
    upstreams: {
      planviewer: {
        base_url: sandboxUrl,
        access_key: 'pv-demo-access-key',
        secret: 'pv-demo-secret',
        daily_order_cap: overrides.cap ?? 10,
        retry: { base_delay_ms: 1, max_delay_ms: 5, max_attempts: 4 },
        rate: { concurrency: 8, per_second: 10_000 },
        timeout_ms: 10_000,
        ...overrides.upstream,
      },
    },
    pipelines: [
      {
        name: PIPELINE,
        type: 'planviewer-mirror',
        poll: { initial_delay_ms: 0, max_delay_ms: 0, max_wait_ms: 60_000 },
        ...overrides.pipeline,
      },
    ],
  });
}

export async function createWorld(
  kind: TestDatabaseKind,
  options: { sandbox?: PlanviewerSandboxOptions; cap?: number; pipeline?: Record<string, unknown>; upstream?: Record<string, unknown> } = {},
): Promise<World> {
  const sandbox = await startPlanviewerSandbox(options.sandbox);
  const t = await createTestDatabase(kind);
  const root = await mkdtemp(join(tmpdir(), 'koppel-pv-files-'));
  const config = worldConfig(sandbox.url, root, options);
  const logs = new LogSink();
  // The app's own logger: a run's journal (run_events) gets the lines of that run, as in production.
  const log = createAppLogger(config, logs);
  const events = new KoppelEvents(log);
  const upstreams = new UpstreamClients(registries.upstreams, config.upstreams, events, log);
  const runner = new Runner({ config, db: t.db, registries, upstreams, events, log });
  return {
    sandbox,
    t,
    config,
    root,
    logs,
    events,
    run: (runOptions) => runner.run(PIPELINE, runOptions),
    enqueue: async (request) => (await enqueueOrderRequest(t.db.kysely, { upstream: 'planviewer', request })).request.id,
    async close() {
      await upstreams.close();
      await t.drop();
      await sandbox.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** Requests and their current state, by id. */
export async function requestStates(w: World): Promise<Map<number, { status: string; reason: string | null }>> {
  const rows = await w.t.db.kysely.selectFrom('order_requests').select(['id', 'status', 'reason']).orderBy('id').execute();
  return new Map(rows.map((r) => [Number(r.id), { status: r.status, reason: r.reason }]));
}
