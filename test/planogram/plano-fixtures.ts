import pino from 'pino';
import { KoppelEvents } from '../../src/core/events.js';
import { UpstreamGateway } from '../../src/core/upstream-gateway.js';
import { PlanogramBuilderClient } from '../../src/upstreams/planogrambuilder/client.js';
import { type PlanogrambuilderConfig, planogrambuilderConfigSchema } from '../../src/upstreams/planogrambuilder/config.js';
import type { PlanogramBuilderSandbox } from '../../src/upstreams/planogrambuilder/sandbox.js';

/** The upstream block pointing at a sandbox, with fast retries so fault tests stay quick. */
export function sandboxUpstreamConfig(sandbox: PlanogramBuilderSandbox, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    endpoint: sandbox.endpoint,
    tls: false,
    account_id: String(sandbox.credentials.account_id),
    username: String(sandbox.credentials.username),
    password: String(sandbox.credentials.password),
    rate: { concurrency: 8, per_second: 10_000 },
    retry: { max_attempts: 8, base_delay_ms: 1, max_delay_ms: 5, max_retry_after_ms: 5_000 },
    timeout_ms: 5_000,
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
