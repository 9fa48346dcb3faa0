/**
 * The tables of the order-request queue (migrations 0004, 0006, 0011). They belong to no pipeline: every
 * pipeline that spends money upstream shares them, and `upstream` is plain data (no union, no CHECK list), so
 * a new ordering pipeline adds rows, not code here. They join the core's `DB` by declaration merging, as a
 * pipeline's own tables do.
 */
import type { ColumnType, Generated } from 'kysely';
import type { Json, Timestamp } from '../db/schema.js';

/** One order koppel should place; see `src/orders/queue.ts` for the state machine. */
export interface OrderRequestsTable {
  id: Generated<number>;
  /** The upstream whose ordering pipeline takes the request (the name of its `upstreams.<name>` block). */
  upstream: string;
  pipeline: string | null;
  request: Json;
  idempotency_key: string | null;
  /** A RequestState (src/core/reasons.ts). */
  status: Generated<string>;
  /** The reason's message, in the user's words; with `reason_code` and `next_action` (src/core/reasons.ts). */
  reason: string | null;
  reason_code: string | null;
  next_action: string | null;
  details: Json | null;
  not_before: Timestamp | null;
  attempts: Generated<number>;
  claimed_by: string | null;
  intent_recorded_at: Timestamp | null;
  upstream_order_id: string | null;
  ordered_at: Timestamp | null;
  /** Who last acted on the request by hand (queued, resolved, retried it), as the caller names them; null from the CLI. */
  acted_by: string | null;
  created_at: Generated<Timestamp>;
  updated_at: Generated<Timestamp>;
}

/** At most one per request, ever (primary key): the intent to order, then the upstream's order id. */
export interface OrderPlacementsTable {
  request_id: number;
  upstream: string;
  target: string;
  order_day: ColumnType<string, string, string>;
  intent_recorded_at: Generated<Timestamp>;
  upstream_order_id: string | null;
  placed_at: Timestamp | null;
}

/** The per-upstream, per-day row locked while counting placements against the daily cap. */
export interface OrderDaysTable {
  upstream: string;
  order_day: ColumnType<string, string, string>;
  blocked_reason: string | null;
  blocked_at: Timestamp | null;
}

declare module '../db/schema.js' {
  interface DB {
    order_requests: OrderRequestsTable;
    order_placements: OrderPlacementsTable;
    order_days: OrderDaysTable;
  }
}
