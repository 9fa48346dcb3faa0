/**
 * The moves of an order request after a claim, and the ones only a human makes. Each is one guarded UPDATE
 * (the WHERE names the status it moves from), so a move from the wrong state changes nothing and says so.
 * See `queue.ts` for the state machine as a whole. The last two are a human's answers: they take the
 * answering person's name (`actor`, as the caller knows them; the CLI passes none) and record it on the request.
 */
import { type Kysely, sql, type Transaction } from 'kysely';
import { ConfigError } from '../core/errors.js';
import type { Reason, RequestState } from '../core/reasons.js';
import type { DB } from '../db/schema.js';
import { orderDay } from './order-day.js';

type Db = Kysely<DB> | Transaction<DB>;

const jsonb = (value: unknown) => sql<Record<string, unknown>>`${JSON.stringify(value)}::jsonb`;

/** Runs `fn` in a transaction, joining the caller's when `db` already is one (kysely does not nest them). */
function inTransaction<T>(db: Db, fn: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
  return db.isTransaction ? fn(db as Transaction<DB>) : db.transaction().execute(fn);
}

/** The three columns a Reason is stored in; `null` clears them. */
export function reasonColumns(reason: Reason | null): { reason: string | null; reason_code: string | null; next_action: string | null } {
  return { reason: reason?.message ?? null, reason_code: reason?.code ?? null, next_action: reason?.next ?? null };
}

async function move(
  db: Db,
  id: number,
  from: readonly RequestState[],
  set: Record<string, unknown>,
): Promise<boolean> {
  const result = await db
    .updateTable('order_requests')
    .set({ ...set, updated_at: sql`now()` })
    .where('id', '=', id)
    .where('status', 'in', [...from])
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/**
 * The upstream accepted the order: store its id on the placement and the request (`ordering` → `ordered`).
 * Run it in the same transaction as the pipeline's own rows for the order (pass the transaction).
 */
export async function recordOrderPlaced(db: Db, requestId: number, upstreamOrderId: string): Promise<void> {
  await db
    .updateTable('order_placements')
    .set({ upstream_order_id: upstreamOrderId, placed_at: sql`now()` })
    .where('request_id', '=', requestId)
    .execute();
  const moved = await move(db, requestId, ['ordering'], { status: 'ordered', upstream_order_id: upstreamOrderId, ordered_at: sql`now()`, ...reasonColumns(null) });
  if (!moved) throw new Error(`order request ${requestId} was not in 'ordering' when its order ${upstreamOrderId} was recorded`);
}

/**
 * The upstream definitely did NOT place the order (400, 402, 429 with the cap body): the placement is
 * removed, so the request may be ordered again once it is `pending`. `blockDay` stops all ordering on this
 * upstream for the rest of the day (the vendor's cap, or payment off), recorded for every replica.
 */
export async function recordOrderRefused(
  db: Db,
  requestId: number,
  r: {
    status: 'pending' | 'failed' | 'needs-attention' | 'waiting' | 'capped';
    reason: Reason;
    notBefore?: Date;
    blockDay?: { upstream: string; timeZone: string; reason: string; now?: Date };
  },
): Promise<void> {
  await inTransaction(db, async (trx) => {
    await trx.deleteFrom('order_placements').where('request_id', '=', requestId).where('upstream_order_id', 'is', null).execute();
    await move(trx, requestId, ['ordering'], { status: r.status, ...reasonColumns(r.reason), not_before: r.notBefore ?? null });
    if (r.blockDay) {
      const day = orderDay(r.blockDay.timeZone, r.blockDay.now);
      await trx
        .insertInto('order_days')
        .values({ upstream: r.blockDay.upstream, order_day: day, blocked_reason: r.blockDay.reason, blocked_at: sql`now()` })
        .onConflict((oc) => oc.columns(['upstream', 'order_day']).doUpdateSet({ blocked_reason: r.blockDay!.reason, blocked_at: sql`now()` }))
        .execute();
    }
  });
}

/**
 * Money is at stake and koppel will not guess: the order's outcome is unknown, or the account needs a human.
 * From `ordering` the placement stays, so the request can never be ordered again without `resolveInterruptedOrder`.
 */
export async function markNeedsAttention(db: Db, requestId: number, reason: Reason): Promise<boolean> {
  return move(db, requestId, ['pending', 'capped', 'ordering', 'ordered'], { status: 'needs-attention', ...reasonColumns(reason) });
}

/** A human must decide before this can be ordered (ambiguous location or intention); `details` lists the candidates. */
export async function markWaiting(db: Db, requestId: number, reason: Reason, details?: Record<string, unknown>): Promise<boolean> {
  return move(db, requestId, ['pending', 'capped'], { status: 'waiting', ...reasonColumns(reason), ...(details ? { details: jsonb(details) } : {}) });
}

/**
 * Held back by a daily cap (koppel's or the vendor's): nothing was ordered, and it is ordered by itself once the
 * cap allows. Only requests still due (`pending`, or `capped` from an earlier day) move; returns how many did.
 */
export async function markCapped(db: Db, requestIds: readonly number[], reason: Reason): Promise<number> {
  if (requestIds.length === 0) return 0;
  const result = await db
    .updateTable('order_requests')
    .set({ status: 'capped', ...reasonColumns(reason), updated_at: sql`now()` })
    .where('id', 'in', [...requestIds])
    .where('status', 'in', ['pending', 'capped'])
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Not ordered yet for a passing reason (rate limited, upstream unreachable): stays `pending`, with the reason. */
export async function notePending(db: Db, requestId: number, reason: Reason, notBefore?: Date): Promise<boolean> {
  return move(db, requestId, ['pending', 'capped'], { status: 'pending', ...reasonColumns(reason), not_before: notBefore ?? null });
}

/**
 * What an `ordered` request waits for (a choice at the vendor), or `null` once it waits for nothing: the state
 * stays `ordered`, the reason tells `status` what a person is asked to do.
 */
export async function noteOrdered(db: Db, requestId: number, reason: Reason | null): Promise<boolean> {
  return move(db, requestId, ['ordered'], reasonColumns(reason));
}

/** Final: the order's deliverables are in (`ordered` → `completed`). */
export async function markCompleted(db: Db, requestId: number, reason: string | null = null): Promise<boolean> {
  return move(db, requestId, ['ordered'], { status: 'completed', reason, reason_code: null, next_action: null });
}

/**
 * `markCompleted` for many requests in one statement (a batch of downloads indexed together). Only requests
 * still `ordered` move; returns how many did.
 */
export async function markCompletedMany(db: Db, requestIds: readonly number[], reason: string | null = null): Promise<number> {
  if (requestIds.length === 0) return 0;
  const result = await db
    .updateTable('order_requests')
    .set({ status: 'completed', reason, reason_code: null, next_action: null, updated_at: sql`now()` })
    .where('id', 'in', [...requestIds])
    .where('status', '=', 'ordered')
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Final failure, before ordering (nothing spent) or after (the upstream job failed: a failed paid order). */
export async function markFailed(db: Db, requestId: number, reason: Reason): Promise<boolean> {
  return move(db, requestId, ['pending', 'capped', 'ordered'], { status: 'failed', ...reasonColumns(reason) });
}

/** Final: the vendor cancelled or refunded the order (its own state: not a koppel fault). */
export async function markVendorEnded(db: Db, requestId: number, state: 'cancelled' | 'refunded', reason: Reason): Promise<boolean> {
  return move(db, requestId, ['ordered', 'completed'], { status: state, ...reasonColumns(reason) });
}

/**
 * Back to `pending` (a human edited the request or fixed the account), merging `requestPatch` into the
 * payload. Refused while an order is recorded for the request: that needs `resolveInterruptedOrder`.
 */
export async function requeueOrderRequest(db: Db, requestId: number, requestPatch: Record<string, unknown> = {}, actor?: string): Promise<void> {
  await inTransaction(db, async (trx) => {
    const placed = await trx.selectFrom('order_placements').select('request_id').where('request_id', '=', requestId).executeTakeFirst();
    if (placed) throw new ConfigError(`order request ${requestId}: an order is recorded for it; use resolve, not retry`);
    const moved = await move(trx, requestId, ['waiting', 'capped', 'failed', 'needs-attention', 'pending'], {
      status: 'pending',
      ...reasonColumns(null),
      not_before: null,
      request: sql`request || ${JSON.stringify(requestPatch)}::jsonb`,
      acted_by: actor ?? null,
    });
    if (!moved) throw new ConfigError(`order request ${requestId}: not found, or not in a state that can be retried`);
  });
}

/**
 * A human checked the upstream account for an interrupted order: either it was placed (`ordered` with its id,
 * so the pipeline follows it) or it was not (placement removed, back to `pending`, ordered on the next run).
 */
export async function resolveInterruptedOrder(
  db: Db,
  requestId: number,
  answer: { ordered: string } | { notOrdered: true },
  actor?: string,
): Promise<void> {
  await inTransaction(db, async (trx) => {
    const placement = await trx.selectFrom('order_placements').selectAll().where('request_id', '=', requestId).forUpdate().executeTakeFirst();
    if (!placement || placement.upstream_order_id !== null) {
      throw new ConfigError(`order request ${requestId}: no interrupted order to resolve`);
    }
    if ('ordered' in answer) {
      await trx.updateTable('order_placements').set({ upstream_order_id: answer.ordered, placed_at: sql`now()` }).where('request_id', '=', requestId).execute();
      const moved = await move(trx, requestId, ['needs-attention'], { status: 'ordered', upstream_order_id: answer.ordered, ordered_at: sql`now()`, reason: 'resolved by hand: ordered', reason_code: null, next_action: null, acted_by: actor ?? null });
      if (!moved) throw new ConfigError(`order request ${requestId}: expected it to need attention`);
    } else {
      await trx.deleteFrom('order_placements').where('request_id', '=', requestId).execute();
      const moved = await move(trx, requestId, ['needs-attention'], { status: 'pending', reason: 'resolved by hand: not ordered', reason_code: null, next_action: null, acted_by: actor ?? null });
      if (!moved) throw new ConfigError(`order request ${requestId}: expected it to need attention`);
    }
  });
}
