/**
 * Row types of the tables every pipeline shares (runs, item state, rejections, locks and ticks, download
 * failures), as kysely sees them: the `DB` of the core. A pipeline's own tables are typed in its folder
 * (`src/pipelines/<type>/tables.ts`), and the order queue's in `src/orders/tables.ts`; each adds them to `DB` by
 * declaration merging (as graphile-worker's
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
  /** Log lines of the run its journal did not keep (over the per-run bound). */
  log_lines_dropped: Generated<number>;
  /** Phases of the run its journal did not keep (over the per-run bound). */
  phases_dropped: Generated<number>;
}

/** A run's phases and log lines (see migrations/0012_run_events.ts). */
export interface RunEventsTable {
  id: Generated<number>;
  run_id: number;
  kind: 'phase' | 'log';
  at: Timestamp;
  ended_at: Timestamp | null;
  level: number | null;
  message: string;
  fields: JSONColumnType<Record<string, unknown> | null, string | null, string | null>;
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

export interface DB {
  runs: RunsTable;
  item_state: ItemStateTable;
  rejections: RejectionsTable;
  run_events: RunEventsTable;
  pipeline_marks: PipelineMarksTable;
  schedule_ticks: ScheduleTicksTable;
  download_failures: DownloadFailuresTable;
}
