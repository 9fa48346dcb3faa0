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
 * the vendor cancelled or refunded it). States and reasons: see `reasons.ts`; every reason is a `Reason`.
 */
import { type ExpressionBuilder, type Kysely, sql, type Transaction } from 'kysely';
import type { DB } from '../db/schema.js';
import { orderDay } from './order-day.js';
import { reasonColumns } from './order-request-transitions.js';
import { dayBlockedReason, interruptedReason, nextDayStart, ownCapReason, type Reason, type RequestState } from './reasons.js';

export type OrderUpstream = 'planviewer' | 'ambita';

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
  const stuck = await db
    .selectFrom('order_requests')
    .select(['id', 'intent_recorded_at'])
    .where('upstream', '=', q.upstream)
    .where('claimed_by', '=', q.pipeline)
    .where('status', '=', 'ordering')
    .execute();
  const out: OrderRequest[] = [];
  for (const r of stuck) {
    const reason = interruptedReason({ upstream: q.upstream, requestId: Number(r.id), intentAt: String(r.intent_recorded_at ?? '') });
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

export type ClaimResult =
  | { ok: true; placedToday: number }
  /** `hold`: why this request and the rest of today's queue wait (the cap, or a blocked day); mark them capped. */
  | { ok: false; reason: 'cap-reached' | 'blocked' | 'not-pending' | 'already-placed'; detail: string; hold?: Reason };

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
    /** The config key of `dailyCap`, named in the reason when the cap is reached. @default "daily_order_cap" */
    capKey?: string;
    timeZone: string;
    /** What a person runs to order a held request sooner, once the cause of a blocked day is fixed. */
    retryCommand?: string;
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
    if (today.blocked_reason) {
      const hold = dayBlockedReason({ upstream: c.upstream, blockedReason: today.blocked_reason, day, timeZone: c.timeZone, now: c.now, retryCommand: c.retryCommand ?? `koppel order ${c.upstream} retry <request>` });
      return { ok: false, reason: 'blocked', detail: today.blocked_reason, hold };
    }
    const request = await trx.selectFrom('order_requests').select('status').where('id', '=', c.requestId).forUpdate().executeTakeFirst();
    if (request?.status !== 'pending' && request?.status !== 'capped') return { ok: false, reason: 'not-pending', detail: `request is ${request?.status ?? 'gone'}` };
    const placed = await trx.selectFrom('order_placements').select('request_id').where('request_id', '=', c.requestId).executeTakeFirst();
    if (placed) return { ok: false, reason: 'already-placed', detail: 'an order was already recorded for this request' };
    const { n } = await trx
      .selectFrom('order_placements')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('upstream', '=', c.upstream)
      .where('order_day', '=', day)
      .executeTakeFirstOrThrow();
    if (Number(n) >= c.dailyCap) {
      const hold = ownCapReason({ upstream: c.upstream, capKey: c.capKey ?? 'daily_order_cap', cap: c.dailyCap, placed: Number(n), day, timeZone: c.timeZone, now: c.now });
      return { ok: false, reason: 'cap-reached', detail: hold.message, hold };
    }
    await trx.insertInto('order_placements').values({ request_id: c.requestId, upstream: c.upstream, target: c.target, order_day: day }).execute();
    await trx
      .updateTable('order_requests')
      .set({
        status: 'ordering',
        claimed_by: c.pipeline,
        intent_recorded_at: sql`now()`,
        attempts: sql`attempts + 1`,
        ...reasonColumns(null),
        updated_at: sql`now()`,
        ...(c.details ? { details: jsonb(c.details) } : {}),
      })
      .where('id', '=', c.requestId)
      .execute();
    return { ok: true, placedToday: Number(n) + 1 };
  });
}

export {
  markCapped,
  markCompleted,
  markCompletedMany,
  markFailed,
  markNeedsAttention,
  markVendorEnded,
  markWaiting,
  noteOrdered,
  notePending,
  recordOrderPlaced,
  recordOrderRefused,
  requeueOrderRequest,
  resolveInterruptedOrder,
} from './order-request-transitions.js';

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

/** One request as `status` lists it: its state, reason and next action, and what it asks for. */
export interface RequestLine {
  request: number;
  state: RequestState;
  /** What was asked, in the request's own words (address and product, cadastre and products…). */
  what: string;
  code: string | null;
  reason: string | null;
  next: string | null;
  /** The vendor's order or job id, once there is one. */
  vendor_id?: string | undefined;
  /** For `waiting`: the choices, one line each. */
  candidates?: string[] | undefined;
}

/** What `koppel status` shows of an upstream's order requests (the same shape for every ordering pipeline). */
export interface OrderRequestStatusReport {
  orders_today: { day: string; placed: number; koppel_cap: string; vendor_cap: string };
  requests: Record<string, number>;
  waiting: RequestLine[];
  capped: RequestLine[];
  needs_attention: RequestLine[];
  failed_paid_orders: RequestLine[];
  failed: RequestLine[];
  cancelled: RequestLine[];
  refunded: RequestLine[];
  /** Pending requests that were tried and carry a reason (rate limited, upstream unreachable…). */
  pending: RequestLine[];
}

const LISTED = 20;

/**
 * For `koppel status`: today's orders against both caps, the requests per state, and every request that is not
 * done with its reason and next action (the newest first per list, at most 20 each; `requests` has the counts).
 */
export async function orderRequestStatus(
  db: Db,
  q: {
    upstream: OrderUpstream;
    pipeline: string;
    dailyCap: number;
    capKey: string;
    timeZone: string;
    /** The vendor's cap in words, given whether ordering is blocked today (and why). */
    vendorCap: (blockedReason: string | null) => string;
    /** The request payload in the user's words. */
    describe: (request: Record<string, unknown>) => string;
    now?: Date;
  },
): Promise<OrderRequestStatusReport> {
  const scope = (eb: ExpressionBuilder<DB, 'order_requests'>) =>
    eb.and([eb('upstream', '=', q.upstream), eb.or([eb('pipeline', '=', q.pipeline), eb('pipeline', 'is', null), eb('claimed_by', '=', q.pipeline)])]);
  const counts = await db
    .selectFrom('order_requests')
    .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
    .where(scope)
    .groupBy('status')
    .execute();
  const list = async (states: RequestState[], extra?: (eb: ExpressionBuilder<DB, 'order_requests'>) => ReturnType<ExpressionBuilder<DB, 'order_requests'>['and']>) => {
    let query = db
      .selectFrom('order_requests')
      .select(['id', 'status', 'request', 'reason', 'reason_code', 'next_action', 'upstream_order_id', 'details'])
      .where(scope)
      .where('status', 'in', states);
    if (extra) query = query.where(extra);
    const rows = await query.orderBy('id', 'desc').limit(LISTED).execute();
    return rows.map(
      (r): RequestLine => ({
        request: Number(r.id),
        state: r.status as RequestState,
        what: q.describe(r.request as Record<string, unknown>),
        code: r.reason_code,
        reason: r.reason,
        next: r.next_action,
        ...(r.upstream_order_id ? { vendor_id: r.upstream_order_id } : {}),
        ...(r.status === 'waiting' ? { candidates: describeCandidates(r.details) } : {}),
      }),
    );
  };
  const cap = await orderCapToday(db, { upstream: q.upstream, dailyCap: q.dailyCap, timeZone: q.timeZone, now: q.now });
  const resets = nextDayStart(q.timeZone, q.now).toISOString();
  return {
    orders_today: {
      day: cap.day,
      placed: cap.placed,
      koppel_cap: `${cap.placed} of ${q.dailyCap} (${q.capKey}); ${cap.left} left; resets ${resets} (midnight ${q.timeZone})`,
      vendor_cap: q.vendorCap(cap.blockedReason),
    },
    requests: Object.fromEntries(counts.map((r) => [r.status, Number(r.n)])),
    waiting: await list(['waiting']),
    capped: await list(['capped']),
    needs_attention: await list(['needs-attention']),
    failed_paid_orders: await list(['failed'], (eb) => eb.and([eb('upstream_order_id', 'is not', null)])),
    failed: await list(['failed'], (eb) => eb.and([eb('upstream_order_id', 'is', null)])),
    cancelled: await list(['cancelled']),
    refunded: await list(['refunded']),
    pending: await list(['pending', 'ordered'], (eb) => eb.and([eb('reason_code', 'is not', null)])),
  };
}

/**
 * The candidates a waiting request lists (`details.candidates`), one line each: the uuid to answer with first,
 * then what tells them apart (title and score, or product and properties).
 */
function describeCandidates(details: unknown): string[] {
  const candidates = (details as { candidates?: unknown } | null)?.candidates;
  if (!Array.isArray(candidates)) return [];
  return candidates.map((c) => {
    if (!c || typeof c !== 'object') return String(c);
    const { uuid, title, properties, ...rest } = c as Record<string, unknown>;
    const parts = [
      ...(title === undefined ? [] : [String(title)]),
      ...Object.entries({ ...rest, ...(properties && typeof properties === 'object' ? properties : {}) }).map(
        ([k, v]) => `${k} ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`,
      ),
    ];
    return `${String(uuid ?? '?')}  ${parts.join(', ')}`;
  });
}
