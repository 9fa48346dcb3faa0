/**
 * Places Ambita orders from the shared order-request queue (`src/orders/queue.ts`), with its money
 * safety: the intent is committed before the call, `technicalReference` carries koppel's request id, and an
 * order whose outcome is unknown (timeout, dropped connection, 5xx, crash) goes to a human, never re-ordered.
 */
import type { Kysely } from 'kysely';
import { BackOffError, CredentialError, PermanentError, coerceError } from '../../core/errors.js';
import {
  claimForOrdering,
  markCapped,
  markFailed,
  markNeedsAttention,
  type OrderRequest,
  pendingOrderRequests,
  reconcileInterruptedOrders,
  recordOrderPlaced,
  recordOrderRefused,
} from '../../orders/index.js';
import type { ContextOf } from '../define-pipeline.js';
import type { DB } from '../../db/schema.js';
import { OrderOutcomeUnknownError } from '../../upstreams/ambita/errors.js';
import { INPUT_TYPE_TO_KIND, type OrderKind } from '../../upstreams/ambita/wire.js';
import type { AmbitaMirrorConfig } from './config.js';
import { type AmbitaOrderRequest, ambitaOrderRequestSchema } from './mapping.js';
import { trackOrder } from './mirror-store.js';
import * as why from './reasons.js';

const UPSTREAM = 'ambita';

/** Pending requests, for the plan (nothing is claimed or sent). */
export async function plannedOrders(db: Kysely<DB>, pipeline: string): Promise<OrderRequest[]> {
  return pendingOrderRequests(db, { upstream: UPSTREAM, pipeline });
}

/** Places every due request, one at a time, stopping at the cap, a blocked day, or shutdown. */
export async function placeOrders(ctx: ContextOf<AmbitaMirrorConfig, 'ambita'>): Promise<void> {
  const { db, pipeline, log } = ctx;
  for (const req of await reconcileInterruptedOrders(db, { upstream: UPSTREAM, pipeline })) {
    log.error({ requestId: req.id }, 'order request interrupted mid-order: needs attention (never re-ordered automatically)');
  }
  const queue = await pendingOrderRequests(db, { upstream: UPSTREAM, pipeline });
  for (const [i, req] of queue.entries()) {
    if (ctx.stopSignal.aborted) return;
    const parsed = ambitaOrderRequestSchema.safeParse(req.request);
    if (!parsed.success) {
      const reason = `not a valid Ambita order request: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`;
      await markFailed(db, req.id, why.invalidRequest(reason));
      await ctx.reject.add({ itemKey: `request:${req.id}`, source: 'order_requests', reason });
      continue;
    }
    const kind = parsed.data.kind ?? kindOf(parsed.data.orderData);
    const mismatch = await catalogMismatch(db, parsed.data.products, kind);
    if (mismatch) {
      // Caught here, a wrong product costs nothing; Ambita would answer 400 anyway.
      await markFailed(db, req.id, why.productMismatch(mismatch));
      await ctx.reject.add({ itemKey: `request:${req.id}`, source: 'order_requests', field: 'products', reason: mismatch });
      continue;
    }
    const claim = await claimForOrdering(db, {
      requestId: req.id,
      upstream: UPSTREAM,
      pipeline,
      target: `${kind}:${parsed.data.products.join('+')}:${JSON.stringify(parsed.data.orderData)}`,
      dailyCap: ctx.config.daily_order_cap,
      capKey: why.capKey(pipeline),
      timeZone: ctx.config.time_zone,
    });
    if (!claim.ok) {
      if (claim.hold) {
        // This request and every one after it wait for the cap, each saying which cap and when it resets.
        await markCapped(db, queue.slice(i).map((r) => r.id), claim.hold);
        log.warn({ requests: queue.length - i, reason: claim.detail }, 'not ordering more today');
        return;
      }
      continue;
    }
    if (!(await placeOne(ctx, req.id, kind, parsed.data))) return;
  }
}

/** One order call. Returns false when ordering should stop for this run. */
async function placeOne(ctx: ContextOf<AmbitaMirrorConfig, 'ambita'>, requestId: number, kind: OrderKind, request: AmbitaOrderRequest): Promise<boolean> {
  const { db, pipeline, log } = ctx;
  const technicalReference = String(requestId);
  let collection;
  try {
    collection = await ctx.upstreams.ambita.createOrder(
      kind,
      { orderData: request.orderData, products: request.products.map((code) => ({ code })), reference: request.reference, technicalReference },
      ctx.abortSignal,
    );
  } catch (thrown) {
    const err = coerceError(thrown);
    const op = (err as { op?: string }).op;
    if (err instanceof OrderOutcomeUnknownError || !(err instanceof PermanentError || err instanceof BackOffError || op === 'token')) {
      // Not provably refused: Ambita may have placed it. A human looks for technicalReference in the account.
      await markNeedsAttention(db, requestId, why.outcomeUnknown(requestId, err.message));
      ctx.count('failed');
      log.error({ requestId, err }, 'order outcome unknown: needs attention');
      return true;
    }
    if (err instanceof CredentialError) {
      // The token was refused before any order was sent: nothing placed; the run ends at this first refusal.
      await recordOrderRefused(db, requestId, { status: 'pending', reason: why.credentialsRefused(err.message) });
      throw err;
    }
    if (err instanceof BackOffError || op === 'token') {
      const notBefore = new Date(Date.now() + Math.min(Number.isFinite((err as BackOffError).waitMs) ? (err as BackOffError).waitMs : 3_600_000, 3_600_000));
      await recordOrderRefused(db, requestId, { status: 'pending', reason: why.notOrderedYet(err.message, notBefore), notBefore });
      log.warn({ requestId, err }, 'order not placed (will retry later)');
      return false;
    }
    await recordOrderRefused(db, requestId, { status: 'failed', reason: why.refused(err.message) });
    await ctx.reject.add({ itemKey: `request:${requestId}`, source: 'order_requests', reason: err.message });
    return true;
  }
  await db.transaction().execute(async (trx) => {
    await recordOrderPlaced(trx, requestId, String(collection.id));
    await trackOrder(trx, { pipeline, orderId: collection.id, requestId, technicalReference, reference: request.reference ?? null, status: collection.status });
  });
  ctx.count('created');
  log.info({ requestId, orderId: collection.id }, 'ambita order placed');
  return true;
}

/**
 * Requests a human resolved as "ordered" (`koppel order ambita resolve … --ordered <id>`) are followed from now
 * on. Called from plan (it only adds koppel's own tracking rows), so the same run already reads those orders.
 */
export async function adoptResolvedOrders(ctx: ContextOf<AmbitaMirrorConfig, 'ambita'>): Promise<void> {
  const rows = await ctx.db
    .selectFrom('order_requests as r')
    .select(['r.id', 'r.upstream_order_id'])
    .where('r.upstream', '=', UPSTREAM)
    .where('r.status', '=', 'ordered')
    .where((eb) => eb.or([eb('r.pipeline', '=', ctx.pipeline), eb('r.pipeline', 'is', null)]))
    .where('r.upstream_order_id', '~', '^[0-9]{1,15}$')
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom('ambita_orders as o').select('o.order_id').where('o.pipeline', '=', ctx.pipeline).whereRef('o.request_id', '=', 'r.id'))),
    )
    .execute();
  for (const r of rows) {
    const orderId = Number(r.upstream_order_id);
    await trackOrder(ctx.db, { pipeline: ctx.pipeline, orderId, requestId: Number(r.id), technicalReference: String(r.id) });
    ctx.log.info({ requestId: r.id, orderId }, 'following an order resolved by hand');
  }
}

/** The order endpoint follows from the shape of `orderData`: a cadastre, a share, or a map geometry. */
function kindOf(orderData: AmbitaOrderRequest['orderData']): OrderKind {
  if ('cadastre' in orderData) return 'cadastre';
  if ('organizationNumber' in orderData) return 'share';
  return 'map';
}

/** A product the mirrored catalog knows to take another input type (products not in the catalog pass). */
async function catalogMismatch(db: Kysely<DB>, codes: readonly string[], kind: OrderKind): Promise<string | undefined> {
  const rows = await db.selectFrom('ambita_products').select(['code', 'input_type']).where('code', 'in', [...codes]).execute();
  const wrong = rows.find((r) => r.input_type && INPUT_TYPE_TO_KIND[r.input_type] !== kind);
  return wrong ? `product ${wrong.code} takes ${wrong.input_type}, but the order is a ${kind} order` : undefined;
}
