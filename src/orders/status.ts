/**
 * What `koppel status` shows of an upstream's order requests: the same shape for every ordering pipeline, each
 * pipeline giving only its words (how a request reads, what the vendor's cap is).
 */
import type { ExpressionBuilder, Kysely, Transaction } from 'kysely';
import type { RequestState } from '../core/reasons.js';
import type { DB } from '../db/schema.js';
import { candidateLines } from './candidates.js';
import { orderCapToday } from './daily-cap.js';
import { nextDayStart } from './order-day.js';

type Db = Kysely<DB> | Transaction<DB>;

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
    upstream: string;
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
        ...(r.status === 'waiting' ? { candidates: candidateLines(r.details) } : {}),
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
