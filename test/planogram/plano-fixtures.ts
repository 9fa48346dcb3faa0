import { join } from 'node:path';
import pino from 'pino';
import { KoppelEvents } from '../../src/core/events.js';
import { UpstreamGateway } from '../../src/core/upstream-gateway.js';
import { PlanogramBuilderClient } from '../../src/upstreams/planogrambuilder/client.js';
import { type PlanogrambuilderConfig, planogrambuilderConfigSchema } from '../../src/upstreams/planogrambuilder/config.js';
import type { PlanogramBuilderSandbox } from '../../sandbox/planogrambuilder/server.js';
import { writeExampleCatalog } from '../../demo/planogram-catalog-data.js';
import { createTestApp } from '../helpers/app.js';
import type { TestDatabaseKind } from '../helpers/database.js';

/**
 * The upstream block pointing at a sandbox, with fast retries so fault tests stay quick. The deadline is the
 * product's default (30 s), not a short one: the sandbox runs in the test's own process, so on a loaded machine
 * a short deadline expires on calls the sandbox then carries out. That loses answers no test injected: a create
 * is retried into an update, and a retried SignIn landing late revokes the token its retry got, failing items.
 */
export function sandboxUpstreamConfig(sandbox: PlanogramBuilderSandbox, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    endpoint: sandbox.endpoint,
    tls: false,
    account_id: String(sandbox.credentials.account_id),
    username: String(sandbox.credentials.username),
    password: String(sandbox.credentials.password),
    rate: { concurrency: 8, per_second: 10_000 },
    retry: { max_attempts: 8, base_delay_ms: 1, max_delay_ms: 5, max_retry_after_ms: 5_000 },
    ...overrides,
  };
}

export function makeClient(
  sandbox: PlanogramBuilderSandbox,
  overrides: Record<string, unknown> = {},
): { client: PlanogramBuilderClient; cfg: PlanogrambuilderConfig; events: KoppelEvents } {
  const cfg = planogrambuilderConfigSchema.parse(sandboxUpstreamConfig(sandbox, overrides));
  const events = new KoppelEvents();
  const gateway = new UpstreamGateway('planogrambuilder', cfg.rate, cfg.retry, events);
  return { client: new PlanogramBuilderClient(cfg, gateway, pino({ level: 'silent' })), cfg, events };
}

export const MAPPINGS = { products: 'mappings/products.yaml', accessories: 'mappings/accessories.yaml', materials: 'mappings/materials.yaml' };

/**
 * The one `catalog` pipeline entry of the planogram tests: the files `writeExampleCatalog({ dir })` writes, read
 * with the shipped mappings. `settings` are added to (or replace keys of) the entry.
 */
export function catalogPipeline(dir: string, settings: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'catalog',
    type: 'planogram-catalog',
    source: { products: join(dir, 'products.csv'), accessories: join(dir, 'accessories.csv'), materials: join(dir, 'materials.csv'), images: join(dir, 'images') },
    mapping: MAPPINGS,
    ...settings,
  };
}

/** An app with one `catalog` pipeline over the example catalog (40 products and bad rows, 5 accessories, 3 materials, images). */
export async function catalogApp(kind: TestDatabaseKind, sandbox: PlanogramBuilderSandbox, settings: Record<string, unknown> = {}) {
  const app = await createTestApp(kind, (dir) => ({
    upstreams: { planogrambuilder: sandboxUpstreamConfig(sandbox) },
    pipelines: [catalogPipeline(dir, settings)],
  }));
  const catalog = await writeExampleCatalog({ dir: app.dir, products: 40, accessories: 5, materials: 3, badRows: true, imageShare: 0.8 });
  return { app, catalog };
}
