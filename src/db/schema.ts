/**
 * Row types of the tables every pipeline shares (runs, item state, rejections, locks and ticks, the order
 * queue, download failures), as kysely sees them: the `DB` of the core. A pipeline's own tables are typed in its
 * folder (`src/pipelines/<type>/tables.ts`), which adds them to `DB` by declaration merging (as graphile-worker's
 * `GraphileWorker.Tasks`); migrations stay in `migrations/`.
 */
import type { ColumnType, Generated, JSONColumnType } from 'kysely';

// Already optional on insert: wrapping it in Generated<> would make selects return the ColumnType itself, not a Date.
export type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export interface RunsTable {
  id: Generated<number>;
  pipeline: string;
  type: string;
  /** running | succeeded | rejected | failed | dry-run | crashed */
  outcome: string;
  dry_run: boolean;
  full_sync: boolean;
  started_at: Timestamp;
  ended_at: Timestamp | null;
  seen: Generated<number>;
  created: Generated<number>;
  updated: Generated<number>;
  unchanged: Generated<number>;
  rejected: Generated<number>;
  failed: Generated<number>;
  /** Items synced with a warning (e.g. without a missing image): counted apart, each item is counted once above. */
  warnings: Generated<number>;
  error: string | null;
  host: string;
  pid: number;
}

export interface ItemStateTable {
  pipeline: string;
  item_key: string;
  content_hash: string;
  remote_id: string | null;
  /** jsonb; written as a JSON string. */
  data: ColumnType<Record<string, unknown> | null, string | null, string | null>;
  last_run_id: number | null;
  updated_at: Timestamp;
}

export interface RejectionsTable {
  id: Generated<number>;
  run_id: number;
  pipeline: string;
  item_key: string | null;
  source: string | null;
  line: number | null;
  field: string | null;
  reason: string;
  value: string | null;
  /** rejected (the item was not synced) | warning (synced, but something in it was left out) */
  severity: Generated<'rejected' | 'warning'>;
  created_at: Timestamp;
}

/** A few named values a pipeline keeps between runs (e.g. when its last complete sweep started). */
export interface PipelineMarksTable {
  pipeline: string;
  name: string;
  data: ColumnType<Record<string, unknown>, string, string>;
  updated_at: Timestamp;
}

/** Deliverables not on disk and why (see migrations/0007_download_failures.ts). */
export interface DownloadFailuresTable {
  pipeline: string;
  item_key: string;
  reason: string;
  permanent: boolean;
  bytes: number | null;
  limit_bytes: number | null;
  attempts: Generated<number>;
  failed_at: Timestamp;
}

export interface ScheduleTicksTable {
  pipeline: string;
  tick: Timestamp;
  claimed_by: string;
  claimed_at: Timestamp;
}

export type Json = JSONColumnType<Record<string, unknown>, Record<string, unknown>, Record<string, unknown>>;

/** One order koppel should place (Planviewer or Ambita); see `src/core/order-requests.ts` for the state machine. */
export interface OrderRequestsTable {
  id: Generated<number>;
  upstream: 'planviewer' | 'ambita';
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

export interface DB {
  runs: RunsTable;
  item_state: ItemStateTable;
  rejections: RejectionsTable;
  pipeline_marks: PipelineMarksTable;
  schedule_ticks: ScheduleTicksTable;
  order_requests: OrderRequestsTable;
  order_placements: OrderPlacementsTable;
  order_days: OrderDaysTable;
  download_failures: DownloadFailuresTable;
}
