/**
 * The order-request queue and its money-safety state machine, shared by every pipeline that spends money
 * upstream (Planviewer, Ambita). A request is a row in `order_requests`; `koppel order …` or any application
 * inserts it. The promises, each held by the database rather than by care:
 *
 * 1. At most one order per request, ever: `claimForOrdering` inserts the request's row in `order_placements`
 *    (primary key = request id) and commits BEFORE the upstream is called.
 * 2. A crash between that commit and `recordOrderPlaced` leaves the request in `ordering`;
 *    `reconcileInterruptedOrders` (call it first in every run) turns it into `needs-attention` with a reason.
 *    It is never re-ordered automatically: only `resolveInterruptedOrder` (a human) can.
 * 3. The daily cap is koppel's own, counted across replicas: the claim locks the day's `order_days` row
 *    (SELECT … FOR UPDATE) and counts placements before inserting one.
 *
 * How an ordering pipeline uses it (the Ambita pipeline does exactly this):
 * ```ts
 * await reconcileInterruptedOrders(db, { upstream: 'ambita', pipeline });          // once, at the start of apply
 * for (const req of await pendingOrderRequests(db, { upstream: 'ambita', pipeline })) {
 *   // …read-only upstream look-ups; markWaiting(db, req.id, reason) when a human must decide…
 *   const claim = await claimForOrdering(db, { requestId: req.id, upstream: 'ambita', pipeline, target, dailyCap, timeZone });
 *   if (!claim.ok) { if (claim.reason !== 'not-pending') break; continue; }        // cap reached / blocked: stop ordering
 *   try { orderId = await client.order(…) }                                        // never retried once it may have arrived
 *   catch (err) {
 *     if (definitelyNotPlaced(err)) await recordOrderRefused(db, req.id, { status: 'pending' | 'failed', reason, blockDay? });
 *     else await markNeedsAttention(db, req.id, reason);                           // outcome unknown: a human checks
 *     continue;
 *   }
 *   await db.transaction().execute(async (trx) => { await recordOrderPlaced(trx, req.id, orderId); …your rows… });
 * }
 * ```
 * Later: `markCompleted` / `markFailed` once the order's deliverables are in (or it failed upstream).
 */
import { type ExpressionBuilder, type Kysely, sql, type Transaction } from 'kysely';
import type { DB } from '../db/schema.js';
import { orderDay } from './order-day.js';

export type OrderUpstream = 'planviewer' | 'ambita';

/**
 * - pending: queued, to be examined (again); `not_before` may hold it back.
 * - waiting: a human must decide something before it can be ordered (reason says what); nothing was ordered.
 * - ordering: the intent to order is committed and the upstream call is (or was, if we crashed) in flight.
 * - ordered: the upstream accepted; `upstream_order_id` is known. The pipeline follows the order from here.
 * - completed / failed: final. failed before ordering = nothing was spent; after = the reason says so.
 * - needs-attention: money is at stake and koppel will not guess (interrupted order, unknown outcome, 402).
 */
export type OrderRequestStatus = 'pending' | 'waiting' | 'ordering' | 'ordered' | 'completed' | 'failed' | 'needs-attention';

export interface OrderRequest<Payload = Record<string, unknown>> {
  id: number;
  upstream: OrderUpstream;
  pipeline: string | null;
  request: Payload;
  status: OrderRequestStatus;
  reason: string | null;
  details: Record<string, unknown> | null;
  attempts: number;
  upstreamOrderId: string | null;
  createdAt: Date;
}

type Db = Kysely<DB> | Transaction<DB>;

const jsonb = (value: unknown) => sql<Record<string, unknown>>`${JSON.stringify(value)}::jsonb`;

function toRequest(row: Record<string, unknown>): OrderRequest {
  return {
    id: Number(row.id),
    upstream: row.upstream as OrderUpstream,
    pipeline: (row.pipeline as string | null) ?? null,
    request: row.request as Record<string, unknown>,
    status: row.status as OrderRequestStatus,
    reason: (row.reason as string | null) ?? null,
    details: (row.details as Record<string, unknown> | null) ?? null,
    attempts: Number(row.attempts),
    upstreamOrderId: (row.upstream_order_id as string | null) ?? null,
    createdAt: new Date(row.created_at as string | Date),
  };
}

/**
 * Queues a request. With an `idempotencyKey`, queuing the same key twice returns the first request
 * (`created: false`) instead of a second one that would be ordered again.
 */
export async function enqueueOrderRequest(
  db: Db,
  input: { upstream: OrderUpstream; pipeline?: string | null; request: Record<string, unknown>; idempotencyKey?: string | null },
): Promise<{ request: OrderRequest; created: boolean }> {
  const inserted = await db
    .insertInto('order_requests')
    .values({
      upstream: input.upstream,
      pipeline: input.pipeline ?? null,
      request: jsonb(input.request),
      idempotency_key: input.idempotencyKey ?? null,
    })
    .onConflict((oc) => oc.columns(['upstream', 'idempotency_key']).where('idempotency_key', 'is not', null).doNothing())
    .returningAll()
    .executeTakeFirst();
  if (inserted) return { request: toRequest(inserted), created: true };
  const existing = await db
    .selectFrom('order_requests')
    .selectAll()
    .where('upstream', '=', input.upstream)
    .where('idempotency_key', '=', input.idempotencyKey ?? '')
    .executeTakeFirstOrThrow();
  return { request: toRequest(existing), created: false };
}

/** Requests of this upstream for this pipeline (or for any pipeline) in the given statuses, oldest first. */
export async function listOrderRequests(
  db: Db,
  q: { upstream: OrderUpstream; pipeline: string; statuses: readonly OrderRequestStatus[]; limit?: number },
): Promise<OrderRequest[]> {
  const rows = await db
    .selectFrom('order_requests')
    .selectAll()
    .where('upstream', '=', q.upstream)
    .where((eb) => eb.or([eb('pipeline', '=', q.pipeline), eb('pipeline', 'is', null)]))
    .where('status', 'in', [...q.statuses])
    .orderBy('id')
    .limit(q.limit ?? 10_000)
    .execute();
  return rows.map(toRequest);
}

/** `pending` requests that are due (`not_before` passed), oldest first. */
export async function pendingOrderRequests(db: Db, q: { upstream: OrderUpstream; pipeline: string; limit?: number }): Promise<OrderRequest[]> {
  const rows = await db
    .selectFrom('order_requests')
    .selectAll()
    .where('upstream', '=', q.upstream)
    .where((eb) => eb.or([eb('pipeline', '=', q.pipeline), eb('pipeline', 'is', null)]))
    .where('status', '=', 'pending')
    .where((eb) => eb.or([eb('not_before', 'is', null), eb('not_before', '<=', sql<Date>`now()`)]))
    .orderBy('id')
    .limit(q.limit ?? 10_000)
    .execute();
  return rows.map(toRequest);
}

/**
 * Requests this pipeline left in `ordering` become `needs-attention`. Call it at the start of a run, while
 * holding the pipeline's lock (the runner's), so no live run of this pipeline can be mid-order.
 */
export async function reconcileInterruptedOrders(db: Db, q: { upstream: OrderUpstream; pipeline: string }): Promise<OrderRequest[]> {
  const rows = await db
    .updateTable('order_requests')
    .set({
      status: 'needs-attention',
      reason: sql<string>`'interrupted after recording the intent to order (at ' || to_char(intent_recorded_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS') || ' UTC) and before recording the answer: the upstream may or may not have placed the order. Check the account, then resolve it (koppel order ' || upstream || ' resolve ' || id || ' --ordered <order id> | --not-ordered)'`,
      updated_at: sql`now()`,
    })
    .where('upstream', '=', q.upstream)
    .where('claimed_by', '=', q.pipeline)
    .where('status', '=', 'ordering')
    .returningAll()
    .execute();
  return rows.map(toRequest);
}

export type ClaimResult =
  | { ok: true; placedToday: number }
  | { ok: false; reason: 'cap-reached' | 'blocked' | 'not-pending' | 'already-placed'; detail: string };

/**
 * Records the intent to order `target` for a pending request, in its own committed transaction, unless the
 * day's cap is reached or ordering is blocked today. Pass the root Kysely (not a transaction): the point is
 * that the intent is durable before the upstream call.
 */
export async function claimForOrdering(
  db: Kysely<DB>,
  c: {
    requestId: number;
    upstream: OrderUpstream;
    pipeline: string;
    /** What is being ordered (an intention uuid, a product code): kept on the placement for the human who checks. */
    target: string;
    dailyCap: number;
    timeZone: string;
    /** The pipeline's resolution (location, product…), stored on the request with the intent. */
    details?: Record<string, unknown>;
    now?: Date;
  },
): Promise<ClaimResult> {
  const day = orderDay(c.timeZone, c.now);
  return db.transaction().execute(async (trx): Promise<ClaimResult> => {
    await trx.insertInto('order_days').values({ upstream: c.upstream, order_day: day }).onConflict((oc) => oc.doNothing()).execute();
    // Every replica queues here: the count below and the insert after it are one step for the cap.
    const today = await trx
      .selectFrom('order_days')
      .select('blocked_reason')
      .where('upstream', '=', c.upstream)
      .where('order_day', '=', day)
      .forUpdate()
      .executeTakeFirstOrThrow();
    if (today.blocked_reason) return { ok: false, reason: 'blocked', detail: today.blocked_reason };
    const request = await trx.selectFrom('order_requests').select('status').where('id', '=', c.requestId).forUpdate().executeTakeFirst();
    if (request?.status !== 'pending') return { ok: false, reason: 'not-pending', detail: `request is ${request?.status ?? 'gone'}` };
    const placed = await trx.selectFrom('order_placements').select('request_id').where('request_id', '=', c.requestId).executeTakeFirst();
    if (placed) return { ok: false, reason: 'already-placed', detail: 'an order was already recorded for this request' };
    const { n } = await trx
      .selectFrom('order_placements')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('upstream', '=', c.upstream)
      .where('order_day', '=', day)
      .executeTakeFirstOrThrow();
    if (Number(n) >= c.dailyCap) {
      return { ok: false, reason: 'cap-reached', detail: `koppel's daily order cap of ${c.dailyCap} for ${c.upstream} is reached for ${day}` };
    }
    await trx.insertInto('order_placements').values({ request_id: c.requestId, upstream: c.upstream, target: c.target, order_day: day }).execute();
    await trx
      .updateTable('order_requests')
      .set({
        status: 'ordering',
        claimed_by: c.pipeline,
        intent_recorded_at: sql`now()`,
        attempts: sql`attempts + 1`,
        reason: null,
        updated_at: sql`now()`,
        ...(c.details ? { details: jsonb(c.details) } : {}),
      })
      .where('id', '=', c.requestId)
      .execute();
    return { ok: true, placedToday: Number(n) + 1 };
  });
}

export { markCompleted, markCompletedMany, markFailed, markNeedsAttention, markWaiting, recordOrderPlaced, recordOrderRefused, requeueOrderRequest, resolveInterruptedOrder } from './order-request-transitions.js';

/** Today's placements against the cap, and whether ordering is blocked today (read-only; for plans and status). */
export async function orderCapToday(
  db: Db,
  q: { upstream: OrderUpstream; dailyCap: number; timeZone: string; now?: Date },
): Promise<{ day: string; placed: number; left: number; blockedReason: string | null }> {
  const day = orderDay(q.timeZone, q.now);
  const { n } = await db
    .selectFrom('order_placements')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('upstream', '=', q.upstream)
    .where('order_day', '=', day)
    .executeTakeFirstOrThrow();
  const blocked = await db.selectFrom('order_days').select('blocked_reason').where('upstream', '=', q.upstream).where('order_day', '=', day).executeTakeFirst();
  return { day, placed: Number(n), left: Math.max(0, q.dailyCap - Number(n)), blockedReason: blocked?.blocked_reason ?? null };
}

/** Lifts today's block (a human fixed the account); the cap itself still applies. */
export async function unblockOrderDay(db: Db, q: { upstream: OrderUpstream; timeZone: string; now?: Date }): Promise<void> {
  await db
    .updateTable('order_days')
    .set({ blocked_reason: null, blocked_at: null })
    .where('upstream', '=', q.upstream)
    .where('order_day', '=', orderDay(q.timeZone, q.now))
    .execute();
}

/** For `koppel status`: requests per status, and those a human must look at, with their reasons. */
export async function orderRequestSummary(
  db: Db,
  q: { upstream: OrderUpstream; pipeline: string; limit?: number },
): Promise<{ counts: Record<string, number>; attention: { id: number; status: string; reason: string | null }[] }> {
  const scope = (eb: ExpressionBuilder<DB, 'order_requests'>) =>
    eb.and([eb('upstream', '=', q.upstream), eb.or([eb('pipeline', '=', q.pipeline), eb('pipeline', 'is', null), eb('claimed_by', '=', q.pipeline)])]);
  const rows = await db
    .selectFrom('order_requests')
    .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
    .where(scope)
    .groupBy('status')
    .execute();
  const attention = await db
    .selectFrom('order_requests')
    .select(['id', 'status', 'reason'])
    .where(scope)
    .where('status', 'in', ['needs-attention', 'waiting'])
    .orderBy('id')
    .limit(q.limit ?? 20)
    .execute();
  return {
    counts: Object.fromEntries(rows.map((r) => [r.status, Number(r.n)])),
    attention: attention.map((a) => ({ id: Number(a.id), status: a.status, reason: a.reason })),
  };
}
