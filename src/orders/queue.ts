/**
 * The order-request queue and its money-safety state machine, shared by every pipeline that spends money
 * upstream. A request is a row in `order_requests`; `koppel order …` or any application inserts it. The promises, each held by the database rather than by care:
 *
 * 1. At most one order per request, ever: `claimForOrdering` inserts the request's row in `order_placements`
 *    (primary key = request id) and commits BEFORE the upstream is called.
 * 2. A crash between that commit and `recordOrderPlaced` leaves the request in `ordering`;
 *    `reconcileInterruptedOrders` (call it first in every run) turns it into `needs-attention` with a reason.
 *    It is never re-ordered automatically: only `resolveInterruptedOrder` (a human) can.
 * 3. The daily cap is koppel's own, counted across replicas: the claim locks the day's `order_days` row
 *    (SELECT … FOR UPDATE) and counts placements before inserting one.
 *
 * How an ordering pipeline uses it (each one's `ordering.ts` does exactly this; `upstream` is its own):
 * ```ts
 * await reconcileInterruptedOrders(db, { upstream, pipeline });          // once, at the start of apply
 * for (const req of await pendingOrderRequests(db, { upstream, pipeline })) {
 *   // …read-only upstream look-ups; markWaiting(db, req.id, reason) when a human must decide…
 *   const claim = await claimForOrdering(db, { requestId: req.id, upstream, pipeline, target, dailyCap, timeZone });
 *   if (!claim.ok) { if (claim.hold) { await markCapped(db, [req.id, …rest], claim.hold); break; } continue; } // cap reached / blocked
 *   try { orderId = await client.order(…) }                                        // never retried once it may have arrived
 *   catch (err) {
 *     if (definitelyNotPlaced(err)) await recordOrderRefused(db, req.id, { status: 'pending' | 'capped' | 'failed', reason, blockDay? });
 *     else await markNeedsAttention(db, req.id, reason);                           // outcome unknown: a human checks
 *     continue;
 *   }
 *   await db.transaction().execute(async (trx) => { await recordOrderPlaced(trx, req.id, orderId); …your rows… });
 * }
 * ```
 * Later: `markCompleted` / `markFailed` / `markVendorEnded` once the order's deliverables are in (or it failed, or
 * the vendor cancelled or refunded it). States and reasons: see `src/core/reasons.ts`; every reason is a `Reason`.
 *
 * The module's files: this one (queue and read), `claim.ts` (the claim), `daily-cap.ts` (the one cap query),
 * `transitions.ts` (every later move, and a human's answers), `status.ts` (what `koppel status` lists),
 * `candidates.ts` (a waiting request's choices, one line each), `tables.ts`. `upstream` is data: a new ordering
 * pipeline names its upstream in its calls and edits nothing here, nor a CHECK list.
 */
import { type Kysely, sql, type Transaction } from 'kysely';
import { ConfigError } from '../core/errors.js';
import type { RequestState } from '../core/reasons.js';
import type { DB } from '../db/schema.js';
import { interruptedReason } from './reasons.js';
import { reasonColumns } from './transitions.js';

/**
 * The upstream an ordering pipeline orders from: the name of its `upstreams.<name>` block, as data. Each
 * ordering pipeline passes its own; the `koppel order <upstream>` commands check a request belongs to theirs.
 */
export type OrderUpstream = string;

/** The states of a request: see `reasons.ts`. */
export type OrderRequestStatus = RequestState;

export interface OrderRequest<Payload = Record<string, unknown>> {
  id: number;
  upstream: OrderUpstream;
  pipeline: string | null;
  request: Payload;
  status: OrderRequestStatus;
  reason: string | null;
  reasonCode: string | null;
  nextAction: string | null;
  details: Record<string, unknown> | null;
  attempts: number;
  upstreamOrderId: string | null;
  /** The pipeline that claimed it for ordering, once one did. */
  claimedBy: string | null;
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
    reasonCode: (row.reason_code as string | null) ?? null,
    nextAction: (row.next_action as string | null) ?? null,
    details: (row.details as Record<string, unknown> | null) ?? null,
    attempts: Number(row.attempts),
    upstreamOrderId: (row.upstream_order_id as string | null) ?? null,
    claimedBy: (row.claimed_by as string | null) ?? null,
    createdAt: new Date(row.created_at as string | Date),
  };
}

/**
 * Queues a request. With an `idempotencyKey`, queuing the same key twice returns the first request
 * (`created: false`) instead of a second one that would be ordered again.
 */
export async function enqueueOrderRequest(
  db: Db,
  input: {
    upstream: OrderUpstream;
    pipeline?: string | null;
    request: Record<string, unknown>;
    idempotencyKey?: string | null;
    /** Who queued it by hand, as the caller names them (kept in `acted_by`). */
    actor?: string | undefined;
  },
): Promise<{ request: OrderRequest; created: boolean }> {
  const inserted = await db
    .insertInto('order_requests')
    .values({
      upstream: input.upstream,
      pipeline: input.pipeline ?? null,
      request: jsonb(input.request),
      idempotency_key: input.idempotencyKey ?? null,
      acted_by: input.actor ?? null,
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

/** Requests to examine: `pending` ones that are due (`not_before` passed) and `capped` ones (the cap may allow now), oldest first. */
export async function pendingOrderRequests(db: Db, q: { upstream: OrderUpstream; pipeline: string; limit?: number }): Promise<OrderRequest[]> {
  const rows = await db
    .selectFrom('order_requests')
    .selectAll()
    .where('upstream', '=', q.upstream)
    .where((eb) => eb.or([eb('pipeline', '=', q.pipeline), eb('pipeline', 'is', null)]))
    .where('status', 'in', ['pending', 'capped'])
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
  const out: OrderRequest[] = [];
  for (const r of await interruptedOrderRequests(db, q)) {
    const reason = interruptedReason({ upstream: q.upstream, requestId: r.id, intentAt: String(r.intentRecordedAt ?? '') });
    const row = await db
      .updateTable('order_requests')
      .set({ status: 'needs-attention', ...reasonColumns(reason), updated_at: sql`now()` })
      .where('id', '=', r.id)
      .where('status', '=', 'ordering')
      .returningAll()
      .executeTakeFirst();
    if (row) out.push(toRequest(row));
  }
  return out;
}

/** Requests this pipeline left in `ordering` (read-only: what `reconcileInterruptedOrders` will move; for plans). */
export async function interruptedOrderRequests(db: Db, q: { upstream: OrderUpstream; pipeline: string }): Promise<{ id: number; intentRecordedAt: Date | null }[]> {
  const rows = await db
    .selectFrom('order_requests')
    .select(['id', 'intent_recorded_at'])
    .where('upstream', '=', q.upstream)
    .where('claimed_by', '=', q.pipeline)
    .where('status', '=', 'ordering')
    .orderBy('id')
    .execute();
  return rows.map((r) => ({ id: Number(r.id), intentRecordedAt: r.intent_recorded_at }));
}

/** The request with this id, whatever its upstream, or undefined. */
export async function findOrderRequest(db: Db, id: number): Promise<OrderRequest | undefined> {
  const row = await db.selectFrom('order_requests').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toRequest(row) : undefined;
}

/**
 * Refuses a request of another upstream: `koppel order <upstream> …` answers only its own upstream's requests.
 * One that does not exist is left to the move that follows, which says so in its own words.
 */
export async function refuseOtherUpstream(db: Db, id: number, upstream: OrderUpstream): Promise<void> {
  const request = await findOrderRequest(db, id);
  if (request && request.upstream !== upstream) throw new ConfigError(`request ${id}: belongs to ${request.upstream}, not ${upstream}`);
}
