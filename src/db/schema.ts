/**
 * Row types of koppel's own tables, as kysely sees them. Each migration in `migrations/` that adds a table
 * adds its interface here.
 */
import type { ColumnType, Generated, JSONColumnType } from 'kysely';

// Already optional on insert: wrapping it in Generated<> would make selects return the ColumnType itself, not a Date.
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

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

export interface CheckpointsTable {
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

export interface MaasplassenFleetTable {
  company_id: number;
  boat_id: string;
  ext_id: string | null;
  name: string;
  type: string | null;
  visible: boolean;
  upstream_updated_at: string | null;
  synced_at: Generated<Timestamp>;
}

export interface ScheduleTicksTable {
  pipeline: string;
  tick: Timestamp;
  claimed_by: string;
  claimed_at: Timestamp;
}

type Json = JSONColumnType<Record<string, unknown>, Record<string, unknown>, Record<string, unknown>>;

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

export interface PlanviewerJobsTable {
  job_uuid: string;
  request_id: number;
  pipeline: string;
  location_uuid: string | null;
  location_title: string | null;
  product: string;
  intention_uuid: string;
  intention: Json | null;
  status: Generated<string>;
  progress_current: number | null;
  progress_total: number | null;
  waiting: Json | null;
  selected_index: number | null;
  polls: Generated<number>;
  last_polled_at: Timestamp | null;
  finished_at: Timestamp | null;
  created_at: Generated<Timestamp>;
  updated_at: Generated<Timestamp>;
}

export interface PlanviewerFilesTable {
  job_uuid: string;
  request_id: number;
  /** Relative to `storage.root`. */
  path: string;
  vendor_filename: string | null;
  size: number;
  sha256: string;
  content_type: string | null;
  downloaded_at: Generated<Timestamp>;
}

/** Ambita product catalog, per municipality (see migrations/0005_ambita.ts). */
export interface AmbitaProductsTable {
  municipality: string;
  code: string;
  name: string | null;
  description: string | null;
  input_type: string | null;
  product_type: string | null;
  delivery: string | null;
  status: string | null;
  price_net: number | null;
  price_vat: number | null;
  children: Json | null;
  content_hash: string;
  synced_at: Generated<Timestamp>;
}

/** An Ambita order collection a pipeline follows (placed from the queue, or tracked by hand). */
export interface AmbitaOrdersTable {
  pipeline: string;
  order_id: number;
  request_id: number | null;
  technical_reference: string | null;
  reference: string | null;
  /** NEW | PROGRESS | FINISHED | CANCELLED | REFUNDED as last read; null until the first read. */
  status: string | null;
  price_net: number | null;
  price_vat: number | null;
  date_ordered: Timestamp | null;
  date_status: Timestamp | null;
  tracked_at: Generated<Timestamp>;
  checked_at: Timestamp | null;
  files_removed_at: Timestamp | null;
  last_error: string | null;
}

/** One delivered asset, keyed by Ambita's unique asset id. state: stored (file on disk) | deleted | removed. */
export interface AmbitaAssetsTable {
  pipeline: string;
  asset_id: string;
  order_id: number;
  supplier_order_id: number | null;
  order_line_id: number | null;
  name: string | null;
  filename: string | null;
  product_category: string | null;
  asset_status: string;
  state: 'stored' | 'deleted' | 'removed';
  /** Relative to `storage.root`. */
  path: string | null;
  size: number | null;
  sha256: string | null;
  downloaded_at: Timestamp | null;
  removed_at: Timestamp | null;
  removed_reason: string | null;
  updated_at: Generated<Timestamp>;
}

/** A received push message, handled by the next run of its pipeline. */
export interface AmbitaPushesTable {
  id: Generated<number>;
  pipeline: string;
  order_id: number;
  push_status: string | null;
  received_at: Generated<Timestamp>;
  handled_at: Timestamp | null;
  handled_run_id: number | null;
}

export interface DB {
  runs: RunsTable;
  item_state: ItemStateTable;
  rejections: RejectionsTable;
  checkpoints: CheckpointsTable;
  schedule_ticks: ScheduleTicksTable;
  maasplassen_fleet: MaasplassenFleetTable;
  order_requests: OrderRequestsTable;
  order_placements: OrderPlacementsTable;
  order_days: OrderDaysTable;
  planviewer_jobs: PlanviewerJobsTable;
  planviewer_files: PlanviewerFilesTable;
  ambita_products: AmbitaProductsTable;
  ambita_orders: AmbitaOrdersTable;
  ambita_assets: AmbitaAssetsTable;
  ambita_pushes: AmbitaPushesTable;
  download_failures: DownloadFailuresTable;
}
