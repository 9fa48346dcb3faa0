import pino, { type Logger } from 'pino';
import { KoppelEvents } from '../../src/core/events.js';
import { UpstreamGateway } from '../../src/core/upstream-gateway.js';
import { AmbitaClient } from '../../src/upstreams/ambita/client.js';
import { type AmbitaConfig, ambitaConfigSchema } from '../../src/upstreams/ambita/config.js';
import type { AmbitaSandbox } from '../../sandbox/ambita/server.js';

export const HOOK_TOKEN = 'test-hook-token-0123456789abcdef';

/**
 * The `upstreams.ambita` block pointing at a sandbox, with fast retries. The deadline is the product's default, not a
 * short one: the sandbox runs in the test's process, and on a loaded machine a short deadline expires on calls it
 * then carries out (a lost order answer would park the request as needs-attention). See plano-fixtures.ts.
 */
export function sandboxAmbitaConfig(sandbox: AmbitaSandbox, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    base_url: sandbox.url,
    token_url: sandbox.tokenUrl,
    client_id: sandbox.credentials.client_id,
    client_secret: sandbox.credentials.client_secret,
    username: sandbox.credentials.username,
    password: sandbox.credentials.password,
    webhook_token: HOOK_TOKEN,
    rate: { concurrency: 8, per_second: 10_000 },
    retry: { max_attempts: 6, base_delay_ms: 1, max_delay_ms: 5, max_retry_after_ms: 50 },
    ...overrides,
  };
}

/** A client on the sandbox; `log` (silent by default) is the upstream's logger, its gateway's too. */
export function makeClient(sandbox: AmbitaSandbox, overrides: Record<string, unknown> = {}, now?: () => number, log?: Logger) {
  const cfg: AmbitaConfig = ambitaConfigSchema.parse(sandboxAmbitaConfig(sandbox, overrides));
  const events = new KoppelEvents();
  const gateway = new UpstreamGateway('ambita', cfg.rate, cfg.retry, events, log);
  const calls: { op: string; ok: boolean; errorKind?: string | undefined }[] = [];
  events.on('upstream:request', (e) => calls.push({ op: e.op, ok: e.ok, errorKind: e.errorKind }));
  const client = new AmbitaClient(cfg, gateway, log ?? pino({ level: 'silent' }), now ? { now } : {});
  return { client, cfg, calls };
}
