/**
 * koppel's own daily order cap, read in one place. `claimForOrdering` decides with it (under the day's row
 * lock) and plans and `status` report it, so the cap a person is shown is the cap the claim enforces.
 */
import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../db/schema.js';
import { orderDay } from './order-day.js';

type Db = Kysely<DB> | Transaction<DB>;

/** An upstream's order day as the cap sees it. */
export interface OrderDayCap {
  /** The order day (YYYY-MM-DD in the upstream's time zone). */
  day: string;
  /** Orders placed (or being placed) on that day, across every replica. */
  placed: number;
  /** How many more the cap allows today; 0 once it is reached. */
  left: number;
  /** Why ordering is stopped for the day (the vendor's cap, a refused account), or null. */
  blockedReason: string | null;
}

/**
 * Today's placements against `dailyCap`, and whether ordering is blocked today: read-only for plans and
 * `status`. With `lock` (the claim, inside its transaction, after creating the day's row), the day's
 * `order_days` row is held FOR UPDATE first, so the count cannot change before the caller inserts its
 * placement: every replica's claim queues on that row.
 */
export async function orderCapToday(
  db: Db,
  q: { upstream: string; dailyCap: number; timeZone: string; now?: Date | undefined; lock?: boolean },
): Promise<OrderDayCap> {
  const day = orderDay(q.timeZone, q.now);
  let blocked = db.selectFrom('order_days').select('blocked_reason').where('upstream', '=', q.upstream).where('order_day', '=', day);
  if (q.lock) blocked = blocked.forUpdate();
  const row = await blocked.executeTakeFirst();
  const { n } = await db
    .selectFrom('order_placements')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('upstream', '=', q.upstream)
    .where('order_day', '=', day)
    .executeTakeFirstOrThrow();
  const placed = Number(n);
  return { day, placed, left: Math.max(0, q.dailyCap - placed), blockedReason: row?.blocked_reason ?? null };
}

/** Lifts today's block (a human fixed the account); the cap itself still applies. */
export async function unblockOrderDay(db: Db, q: { upstream: string; timeZone: string; now?: Date }): Promise<void> {
  await db
    .updateTable('order_days')
    .set({ blocked_reason: null, blocked_at: null })
    .where('upstream', '=', q.upstream)
    .where('order_day', '=', orderDay(q.timeZone, q.now))
    .execute();
}
