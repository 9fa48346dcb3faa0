/**
 * Row types of the planviewer-mirror pipeline's own tables (created by migrations/0004_order_requests.ts), as
 * kysely sees them. The core's `DB` (src/db/schema.ts) lists only the tables every pipeline shares; each pipeline
 * adds its own here, by declaration merging, so the core names no pipeline table and every `Kysely<DB>` still
 * reaches them.
 */
import type { Generated } from 'kysely';
import type { Json, Timestamp } from '../../db/schema.js';

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
  /** Who recorded `selected_index` (the caller's name for the person); null from the CLI. */
  selected_by: string | null;
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

declare module '../../db/schema.js' {
  interface DB {
    planviewer_jobs: PlanviewerJobsTable;
    planviewer_files: PlanviewerFilesTable;
  }
}
