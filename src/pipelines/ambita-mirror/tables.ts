/**
 * Row types of the ambita-mirror pipeline's own tables (created by migrations/0005_ambita.ts), as kysely sees
 * them. The core's `DB` (src/db/schema.ts) lists only the tables every pipeline shares; each pipeline adds its
 * own here, by declaration merging, so the core names no pipeline table and every `Kysely<DB>` reaches them.
 */
import type { Generated } from 'kysely';
import type { Json, Timestamp } from '../../db/schema.js';

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

declare module '../../db/schema.js' {
  interface DB {
    ambita_products: AmbitaProductsTable;
    ambita_orders: AmbitaOrdersTable;
    ambita_assets: AmbitaAssetsTable;
    ambita_pushes: AmbitaPushesTable;
  }
}
