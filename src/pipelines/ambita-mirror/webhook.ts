/**
 * The push-message callback. Ambita signs nothing, so the route is guarded by koppel's own secret, in the path
 * (the URL registered with Ambita support) or in a header, compared in constant time. A push is only a hint:
 * it is recorded in `ambita_pushes` (durable, so a push acknowledged just before a crash is not lost) and a
 * run is triggered, which re-reads the order through the API under the pipeline's lock.
 *
 * Why a triggered run rather than reconciling in the request handler: the runner holds the cross-replica
 * advisory lock, so a push can never race a scheduled run over the same order's files; it records the run; and
 * several pushes arriving together coalesce into one run. The handler answers at once either way.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { WebhookRequest, WebhookRoute } from '../../core/types.js';
import type { WebhookContextOf } from '../define-pipeline.js';
import { pushMessageSchema } from '../../upstreams/ambita/wire.js';
import type { AmbitaMirrorConfig } from './config.js';
import { isTracked, recordPush } from './mirror-store.js';

/** Push bodies are a handful of fields; anything larger is not from Ambita. */
export const PUSH_MAX_BODY_BYTES = 16 * 1024;

export function ambitaWebhooks(ctx: WebhookContextOf<AmbitaMirrorConfig, 'ambita'>): WebhookRoute[] {
  const secret = ctx.global.upstreams.ambita?.webhook_token;
  if (!secret) {
    ctx.log.warn({ pipeline: ctx.pipeline }, 'upstreams.ambita.webhook_token is not set: no push callback is served (sweeps still catch every change)');
    return [];
  }
  const handle = (req: WebhookRequest) => handlePush(ctx, secret, req);
  const base = `/hooks/${ctx.pipeline}`;
  return [
    { method: 'POST', path: `${base}/:token`, maxBodyBytes: PUSH_MAX_BODY_BYTES, handle },
    { method: 'POST', path: base, maxBodyBytes: PUSH_MAX_BODY_BYTES, handle },
  ];
}

export async function handlePush(ctx: WebhookContextOf<AmbitaMirrorConfig, 'ambita'>, secret: string, req: WebhookRequest): Promise<{ status: number; body?: unknown }> {
  if (!tokenMatches(presentedToken(req), secret)) return { status: 401, body: { error: 'unauthorized' } };
  if (req.body.length > PUSH_MAX_BODY_BYTES) return { status: 413, body: { error: 'body too large' } };
  let json: unknown;
  try {
    json = JSON.parse(req.body.toString('utf8'));
  } catch {
    return { status: 400, body: { error: 'body must be JSON' } };
  }
  const parsed = pushMessageSchema.safeParse(json);
  if (!parsed.success) return { status: 400, body: { error: 'not a push message' } };
  if (parsed.data.eventType !== undefined) return { status: 200, body: { ignored: 'distributor message' } };
  const orderId = parsed.data.orderCollectionId ?? parsed.data.orderId;
  if (orderId === undefined || !Number.isSafeInteger(orderId)) return { status: 400, body: { error: 'orderCollectionId missing' } };
  // Unknown orders are acknowledged (so Ambita does not keep sending) and otherwise ignored.
  if (!(await isTracked(ctx.db, ctx.pipeline, orderId))) {
    ctx.log.info({ orderId }, 'push for an order this pipeline does not follow: ignored');
    return { status: 200, body: { ignored: 'unknown order' } };
  }
  await recordPush(ctx.db, { pipeline: ctx.pipeline, orderId, status: parsed.data.status ?? null });
  ctx.log.info({ orderId, status: parsed.data.status }, 'push received');
  ctx.trigger();
  return { status: 202, body: { accepted: true } };
}

function presentedToken(req: WebhookRequest): string {
  if (req.params.token) return req.params.token;
  const header = req.headers['x-koppel-token'];
  if (typeof header === 'string') return header;
  const auth = req.headers.authorization;
  return typeof auth === 'string' ? (/^Bearer\s+(\S+)$/i.exec(auth)?.[1] ?? '') : '';
}

/** Constant time regardless of where the strings differ or how long they are (both hashed to 32 bytes). */
function tokenMatches(presented: string, secret: string): boolean {
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(secret).digest();
  return timingSafeEqual(a, b) && presented.length > 0;
}
