/**
 * The claim: the step that makes "never pay twice, never past the cap" a property of the database. See
 * `queue.ts` for how an ordering pipeline uses it.
 */
import { type Kysely, sql } from 'kysely';
import type { Reason } from '../core/reasons.js';
import type { DB } from '../db/schema.js';
import { orderCapToday } from './daily-cap.js';
import { orderDay } from './order-day.js';
import { dayBlockedReason, ownCapReason } from './reasons.js';
import { reasonColumns } from './transitions.js';

export type ClaimResult =
  | { ok: true; placedToday: number }
  /** `hold`: why this request and the rest of today's queue wait (the cap, or a blocked day); mark them capped. */
  | { ok: false; reason: 'cap-reached' | 'blocked' | 'not-pending' | 'already-placed'; detail: string; hold?: Reason };

const jsonb = (value: unknown) => sql<Record<string, unknown>>`${JSON.stringify(value)}::jsonb`;

/**
 * Records the intent to order `target` for a pending request, in its own committed transaction, unless the
 * day's cap is reached or ordering is blocked today. Pass the root Kysely (not a transaction): the point is
 * that the intent is durable before the upstream call.
 */
export async function claimForOrdering(
  db: Kysely<DB>,
  c: {
    requestId: number;
    upstream: string;
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
  return db.transaction().execute(async (trx): Promise<ClaimResult> => {
    const { upstream, timeZone } = c;
    // One instant for the whole claim: the day row created, locked and counted must be the same day at midnight.
    const now = c.now ?? new Date();
    await trx.insertInto('order_days').values({ upstream, order_day: orderDay(timeZone, now) }).onConflict((oc) => oc.doNothing()).execute();
    // Every replica queues on the day's row here: the count it returns and the insert below are one step for the cap.
    const cap = await orderCapToday(trx, { upstream, dailyCap: c.dailyCap, timeZone, now, lock: true });
    if (cap.blockedReason) {
      const hold = dayBlockedReason({ upstream, blockedReason: cap.blockedReason, day: cap.day, timeZone, now, retryCommand: c.retryCommand ?? `koppel order ${upstream} retry <request>` });
      return { ok: false, reason: 'blocked', detail: cap.blockedReason, hold };
    }
    const request = await trx.selectFrom('order_requests').select('status').where('id', '=', c.requestId).forUpdate().executeTakeFirst();
    if (request?.status !== 'pending' && request?.status !== 'capped') return { ok: false, reason: 'not-pending', detail: `request is ${request?.status ?? 'gone'}` };
    const placed = await trx.selectFrom('order_placements').select('request_id').where('request_id', '=', c.requestId).executeTakeFirst();
    if (placed) return { ok: false, reason: 'already-placed', detail: 'an order was already recorded for this request' };
    if (cap.left === 0) {
      const hold = ownCapReason({ upstream, capKey: c.capKey ?? 'daily_order_cap', cap: c.dailyCap, placed: cap.placed, day: cap.day, timeZone, now });
      return { ok: false, reason: 'cap-reached', detail: hold.message, hold };
    }
    await trx.insertInto('order_placements').values({ request_id: c.requestId, upstream, target: c.target, order_day: cap.day }).execute();
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
    return { ok: true, placedToday: cap.placed + 1 };
  });
}
