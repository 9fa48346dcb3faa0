/**
 * The mirror's rows in Postgres: followed orders, their assets, received pushes. Every write here describes
 * something already true on disk (a file written or removed), so a crash between the two leaves a state the
 * next reconcile repairs: a file without its row is re-downloaded onto the same name, a row whose file is gone
 * is found by the disk check.
 */
import { type Insertable, type Kysely, type RawBuilder, sql, type Transaction } from 'kysely';
import type { DB } from '../../db/schema.js';
import type { AmbitaAssetsTable } from './tables.js';

type Db = Kysely<DB> | Transaction<DB>;

export interface StoredAssetRow {
  asset_id: string;
  order_id: number;
  state: 'stored' | 'deleted' | 'removed';
  path: string | null;
  size: number | null;
  sha256: string | null;
}

/** An asset row as the mirror writes it (the pipeline column is added by the store). */
export type AssetWrite = Omit<Insertable<AmbitaAssetsTable>, 'pipeline'>;

/** Starts following an order; a second call for the same order changes nothing. */
export async function trackOrder(
  db: Db,
  o: { pipeline: string; orderId: number; requestId?: number | null; technicalReference?: string | null; reference?: string | null; status?: string | null },
): Promise<boolean> {
  const result = await db
    .insertInto('ambita_orders')
    .values({
      pipeline: o.pipeline,
      order_id: o.orderId,
      request_id: o.requestId ?? null,
      technical_reference: o.technicalReference ?? null,
      reference: o.reference ?? null,
      status: o.status ?? null,
    })
    .onConflict((oc) => oc.columns(['pipeline', 'order_id']).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
}

export async function isTracked(db: Db, pipeline: string, orderId: number): Promise<boolean> {
  const row = await db.selectFrom('ambita_orders').select('order_id').where('pipeline', '=', pipeline).where('order_id', '=', orderId).executeTakeFirst();
  return row !== undefined;
}

export async function recordPush(db: Db, p: { pipeline: string; orderId: number; status: string | null }): Promise<void> {
  await db.insertInto('ambita_pushes').values({ pipeline: p.pipeline, order_id: p.orderId, push_status: p.status }).execute();
}

/** Pushes not yet handled, oldest first. */
export async function pendingPushes(db: Db, pipeline: string): Promise<{ id: number; orderId: number }[]> {
  const rows = await db.selectFrom('ambita_pushes').select(['id', 'order_id']).where('pipeline', '=', pipeline).where('handled_at', 'is', null).orderBy('id').execute();
  return rows.map((r) => ({ id: Number(r.id), orderId: Number(r.order_id) }));
}

export async function markPushesHandled(db: Db, ids: readonly number[], runId: number): Promise<void> {
  for (let i = 0; i < ids.length; i += 5000) {
    await db
      .updateTable('ambita_pushes')
      .set({ handled_at: sql`now()`, handled_run_id: runId })
      .where('id', 'in', ids.slice(i, i + 5000))
      .execute();
  }
}

/**
 * Orders to read in this run: those never read yet, and on a sweep every order whose files were not removed
 * (cancelled/refunded orders are final). FINISHED orders stay in the sweep: Ambita adds files after finishing.
 */
export async function ordersToRead(db: Db, pipeline: string, sweep: boolean): Promise<number[]> {
  let q = db.selectFrom('ambita_orders').select('order_id').where('pipeline', '=', pipeline);
  q = sweep ? q.where('files_removed_at', 'is', null) : q.where('checked_at', 'is', null);
  const rows = await q.orderBy('order_id').execute();
  return rows.map((r) => Number(r.order_id));
}

/** Known assets of these orders, grouped by order. */
export async function assetsOf(db: Db, pipeline: string, orderIds: readonly number[]): Promise<Map<number, Map<string, StoredAssetRow>>> {
  const out = new Map<number, Map<string, StoredAssetRow>>();
  for (let i = 0; i < orderIds.length; i += 5000) {
    const rows = await db
      .selectFrom('ambita_assets')
      .select(['asset_id', 'order_id', 'state', 'path', 'size', 'sha256'])
      .where('pipeline', '=', pipeline)
      .where('order_id', 'in', orderIds.slice(i, i + 5000))
      .execute();
    for (const r of rows) {
      const orderId = Number(r.order_id);
      if (!out.has(orderId)) out.set(orderId, new Map());
      out.get(orderId)!.set(r.asset_id, { ...r, order_id: orderId, size: r.size === null ? null : Number(r.size) });
    }
  }
  return out;
}

/** Inserts or overwrites the rows of files just downloaded, each already renamed into place. */
export async function writeStoredAssets(db: Db, pipeline: string, rows: readonly AssetWrite[]): Promise<void> {
  if (rows.length > 0) await storedAssetsInsert(pipeline, rows).execute(db);
}

/**
 * The upsert of downloaded files' rows, one statement for all (also run as part of recordOrderReads): an insert
 * from `unnest` of column arrays, as item-state writes its rows, since building a per-row VALUES list was most of
 * an order's write in CPU.
 */
function storedAssetsInsert(pipeline: string, rows: readonly AssetWrite[]): RawBuilder<Record<string, never>> {
  const column = <T>(pick: (a: AssetWrite) => T | undefined) => rows.map((a) => pick(a) ?? null);
  return sql<Record<string, never>>`
    insert into ambita_assets (pipeline, asset_id, order_id, supplier_order_id, order_line_id, name, filename, product_category, asset_status, state, path, size, sha256, downloaded_at)
    select ${pipeline}, a, o, so, ol, n, f, pc, st, 'stored', p, sz, sh, now()
    from unnest(${column((a) => a.asset_id)}::text[], ${column((a) => a.order_id)}::bigint[], ${column((a) => a.supplier_order_id)}::bigint[],
      ${column((a) => a.order_line_id)}::bigint[], ${column((a) => printable(a.name ?? null))}::text[], ${column((a) => printable(a.filename ?? null))}::text[],
      ${column((a) => a.product_category)}::text[], ${column((a) => a.asset_status)}::text[], ${column((a) => a.path)}::text[],
      ${column((a) => a.size)}::bigint[], ${column((a) => a.sha256)}::text[]) as t(a, o, so, ol, n, f, pc, st, p, sz, sh)
    on conflict (pipeline, asset_id) do update set
      asset_status = excluded.asset_status, state = 'stored', path = excluded.path, size = excluded.size, sha256 = excluded.sha256,
      downloaded_at = now(), removed_at = null, removed_reason = null, updated_at = now()`;
}

/** Inserts or overwrites one asset's row for a file just removed; the size and sha256 of the file that was there stay, for the record. */
export async function writeRemovedAsset(db: Db, pipeline: string, a: AssetWrite & { state: 'deleted' | 'removed' }): Promise<void> {
  const values = {
    pipeline,
    ...a,
    name: printable(a.name ?? null),
    filename: printable(a.filename ?? null),
    size: a.size ?? null,
    sha256: a.sha256 ?? null,
    removed_reason: a.removed_reason ?? null,
    downloaded_at: null,
    removed_at: sql<Date>`now()`,
  };
  await db
    .insertInto('ambita_assets')
    .values(values)
    .onConflict((oc) =>
      oc.columns(['pipeline', 'asset_id']).doUpdateSet({
        asset_status: a.asset_status,
        state: a.state,
        path: a.path,
        removed_at: sql`now()`,
        removed_reason: values.removed_reason,
        updated_at: sql`now()`,
      }),
    )
    .execute();
}

/** What one read of an order says about the order itself (its files aside). */
export interface OrderFacts {
  status: string;
  priceNet: number | null;
  priceVat: number | null;
  dateOrdered: string | null;
  dateStatus: string | null;
  reference: string | null;
}

export interface OrderRead extends OrderFacts {
  orderId: number;
  filesRemoved: boolean;
  /** Why some of its files are not yet mirrored (retried next run); absent = all went well. */
  error?: string | undefined;
}

/**
 * Records what the reads of some orders said, together with the rows of the files they brought: one statement
 * (the rows go in a data-modifying CTE, the orders' facts come from `unnest` arrays), so orders that finish
 * together share one round trip and one commit. The files' asset ids must be distinct (an upsert touches a row once).
 */
export async function recordOrderReads(db: Db, pipeline: string, reads: readonly OrderRead[], landed: readonly AssetWrite[] = []): Promise<void> {
  if (reads.length === 0) {
    await writeStoredAssets(db, pipeline, landed);
    return;
  }
  const column = <T>(pick: (o: OrderRead) => T) => reads.map(pick);
  const update = sql`
    update ambita_orders as o set status = r.status, price_net = r.price_net, price_vat = r.price_vat, date_ordered = r.date_ordered,
      date_status = r.date_status, reference = r.reference, checked_at = now(), last_error = r.last_error,
      files_removed_at = case when r.files_removed then coalesce(o.files_removed_at, now()) else o.files_removed_at end
    from unnest(${column((o) => o.orderId)}::bigint[], ${column((o) => o.status)}::text[], ${column((o) => o.priceNet)}::float8[],
      ${column((o) => o.priceVat)}::float8[], ${column((o) => o.dateOrdered)}::timestamptz[], ${column((o) => o.dateStatus)}::timestamptz[],
      ${column((o) => o.reference)}::text[], ${column((o) => (o.error === undefined ? null : o.error.slice(0, 1000)))}::text[],
      ${column((o) => o.filesRemoved)}::boolean[]) as r(order_id, status, price_net, price_vat, date_ordered, date_status, reference, last_error, files_removed)
    where o.pipeline = ${pipeline} and o.order_id = r.order_id`;
  // A raw CTE goes in no parentheses of its own.
  await (landed.length === 0 ? update : sql`with landed as (${storedAssetsInsert(pipeline, landed)}) ${update}`).execute(db);
}

export async function recordOrderError(db: Db, pipeline: string, orderId: number, message: string): Promise<void> {
  await db.updateTable('ambita_orders').set({ last_error: message.slice(0, 1000) }).where('pipeline', '=', pipeline).where('order_id', '=', orderId).execute();
}

/** The order requests behind these orders (orders koppel placed), by order; the others have none. */
export async function requestIdsOf(db: Db, pipeline: string, orderIds: readonly number[]): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for (let i = 0; i < orderIds.length; i += 5000) {
    const rows = await db
      .selectFrom('ambita_orders')
      .select(['order_id', 'request_id'])
      .where('pipeline', '=', pipeline)
      .where('order_id', 'in', orderIds.slice(i, i + 5000))
      .where('request_id', 'is not', null)
      .execute();
    for (const r of rows) out.set(Number(r.order_id), Number(r.request_id));
  }
  return out;
}

/** Marks a stored asset that no longer appears on its order (its file was just removed). */
export async function markAssetGone(db: Db, pipeline: string, assetId: string, state: 'deleted' | 'removed', reason: string): Promise<void> {
  await db
    .updateTable('ambita_assets')
    .set({ state, removed_reason: reason, removed_at: sql`now()`, updated_at: sql`now()` })
    .where('pipeline', '=', pipeline)
    .where('asset_id', '=', assetId)
    .execute();
}

/** When the last complete sweep started (ms epoch), from the `pipeline_marks` table; 0 = never. */
export async function lastSweepAt(db: Db, pipeline: string): Promise<number> {
  const row = await db.selectFrom('pipeline_marks').select('data').where('pipeline', '=', pipeline).where('name', '=', 'ambita-sweep').executeTakeFirst();
  const at = (row?.data as { startedAt?: unknown } | undefined)?.startedAt;
  return typeof at === 'number' ? at : 0;
}

export async function saveSweepAt(db: Db, pipeline: string, startedAt: number): Promise<void> {
  const data = JSON.stringify({ startedAt });
  await db
    .insertInto('pipeline_marks')
    .values({ pipeline, name: 'ambita-sweep', data })
    .onConflict((oc) => oc.columns(['pipeline', 'name']).doUpdateSet({ data, updated_at: sql`now()` }))
    .execute();
}

/**
 * Ambita's names as received, for humans, with control characters spelled out (`\x00`): they come from the
 * vendor's JSON, where `\u0000` is legal, and Postgres text refuses NUL (the row, and so the file, would never
 * be recorded). The file on disk is named separately, through sanitizeFilename.
 */
function printable(name: string | null): string | null {
  return name === null ? null : name.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
