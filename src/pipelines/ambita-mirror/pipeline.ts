/**
 * `ambita-mirror`: places queued Ambita orders, mirrors each municipality's product catalog, and keeps every
 * delivered file of the followed orders on disk and indexed in Postgres — added, replaced, deleted, cancelled
 * and refunded as Ambita reports. Plan reads the catalog and the queue (and, for a dry run, the orders); apply
 * reads each order and writes its files and rows, so order reads, downloads and row writes overlap.
 */
import { clearDownloadFailures, knownDownloadFailures, recordDownloadFailure } from '../../core/download-failures.js';
import { DownloadTooLargeError } from '../../core/download-limit.js';
import { CredentialError, coerceError } from '../../core/errors.js';
import { prepareFolder, removeStaleTemporaries, safeJoin, type StagedFile } from '../../core/file-store.js';
import { markCompleted, markVendorEnded } from '../../orders/index.js';
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import type { Plan, PlannedAction } from '../../core/types.js';
import { definePipeline, type ContextOf } from '../define-pipeline.js';
import { applyCatalog, type CatalogPlan, planCatalog } from './catalog.js';
import { type AmbitaMirrorConfig, ambitaMirrorConfigSchema } from './config.js';
import * as store from './mirror-store.js';
import type { StoredAssetRow } from './mirror-store.js';
import { adoptResolvedOrders, placeOrders, plannedOrders } from './ordering.js';
import { forEachConcurrent } from '../../core/for-each-concurrent.js';
import { type OrderPlan, planOrder, removeFile } from './reconcile.js';
import * as why from './reasons.js';
import { mirrorStatus } from './status.js';
import { ambitaWebhooks } from './webhook.js';

export interface MirrorPlanState {
  sweepStartedAt: number | null;
  catalog: CatalogPlan | null;
  /**
   * The orders this run reads. A dry run reads them in plan; a run reads each while applying, so order reads,
   * downloads and row writes overlap (the plan's order counts and actions are filled in as each is read).
   */
  orderIds: number[];
  /** Known assets of those orders, by order (read once, before any order). */
  stored: Map<number, Map<string, StoredAssetRow>>;
  /** The order request behind each order koppel placed (set once, when the order is first followed). */
  requestIds: Map<number, number>;
  readFailures: { orderId: number; error: string }[];
  /** Pushes this run answers, by order: marked handled once that order is reconciled. */
  pushes: Map<number, number[]>;
  /** Assets with a recorded download failure: a download that lands clears it. */
  failedBefore: Set<string>;
  /** Assets refused for their size: not fetched again until max_download_bytes is raised (status lists them). */
  refused: Set<string>;
}

type Ctx = ContextOf<AmbitaMirrorConfig, 'ambita'>;

export const ambitaMirror = definePipeline({
  type: 'ambita-mirror',
  description: 'Ambita KODE: place queued orders, mirror the product catalog and every delivered file (push messages + sweeps)',
  upstreams: ['ambita'],
  config: ambitaMirrorConfigSchema,

  async plan(ctx) {
    const { db, pipeline, config } = ctx;
    const now = Date.now();
    // A person running it by hand (catching up after an outage) gets every followed order re-read; the daemon's
    // runs (schedule, pushes) sweep only once per interval and otherwise read just the pushed and new orders.
    const sweep =
      ctx.options.full || ctx.options.startedBy === 'person' || now - (await store.lastSweepAt(db, pipeline)) >= config.sweep_interval_minutes * 60_000;
    const catalog = sweep && config.municipalities.length > 0 ? await planCatalog(db, ctx.upstreams.ambita, config.municipalities, ctx.abortSignal) : null;
    await adoptResolvedOrders(ctx);
    const requests = await plannedOrders(db, pipeline);
    const pushes = new Map<number, number[]>();
    for (const p of await store.pendingPushes(db, pipeline)) pushes.set(p.orderId, [...(pushes.get(p.orderId) ?? []), p.id]);
    const orderIds = [...new Set([...pushes.keys(), ...(await store.ordersToRead(db, pipeline, sweep))])];
    const failures = await knownDownloadFailures(db, pipeline, ctx.global.upstreams.ambita!.max_download_bytes);

    const actions: PlannedAction[] = [];
    for (const r of requests) actions.push({ action: 'order', key: `request:${r.id}`, detail: r.request });
    for (const p of catalog?.upserts ?? []) actions.push({ action: 'catalog-upsert', key: `${p.municipality}/${p.code}`, detail: { name: p.name } });
    for (const d of catalog?.deletes ?? []) actions.push({ action: 'catalog-delete', key: `${d.municipality}/${d.code}` });
    const summary = {
      sweep: sweep ? 1 : 0,
      orders_to_place: requests.length,
      orders_read: 0,
      read_failures: 0,
      downloads: 0,
      refused_downloads: 0,
      deletions: 0,
      unchanged: 0,
      catalog_changes: (catalog?.upserts.length ?? 0) + (catalog?.deletes.length ?? 0),
    };
    const state: MirrorPlanState = {
      sweepStartedAt: sweep ? now : null,
      catalog,
      orderIds,
      stored: await store.assetsOf(db, pipeline, orderIds),
      requestIds: await store.requestIdsOf(db, pipeline, orderIds),
      readFailures: [],
      pushes,
      failedBefore: failures.any,
      refused: failures.refused,
    };
    const planned = { summary, actions, state };
    if (ctx.options.dryRun) {
      let done = 0;
      await forEachConcurrent(orderIds, config.concurrency, ctx.stopSignal, async (orderId) => {
        await readOrder(ctx, planned, orderId);
        ctx.progress(++done, orderIds.length, 'read orders');
      });
    }
    return planned;
  },

  async apply(ctx, plan) {
    const { db, pipeline, log } = ctx;
    if (plan.state.catalog && (plan.state.catalog.upserts.length || plan.state.catalog.deletes.length)) {
      await applyCatalog(db, plan.state.catalog);
      log.info({ upserts: plan.state.catalog.upserts.length, deletes: plan.state.catalog.deletes.length }, 'ambita catalog updated');
    }
    await placeOrders(ctx);
    const total = plan.state.orderIds.length;
    let done = 0;
    // An order's files are renamed and its rows written while its slot reads the next order, so the upstream's
    // queue is not left idle through every order's row write. At most `concurrency` orders are being recorded at
    // once, and all of them are before apply ends (or rethrows).
    const recording = new Set<Promise<void>>();
    let recordFailure: { error: unknown } | undefined;
    try {
      await forEachConcurrent(plan.state.orderIds, ctx.config.concurrency, ctx.stopSignal, async (orderId) => {
        if (recordFailure) throw recordFailure.error;
        const read = await readOrder(ctx, plan, orderId);
        if ('error' in read) {
          await store.recordOrderError(db, pipeline, orderId, read.error);
          ctx.count('failed');
          ctx.progress(++done, total, 'reconcile orders');
          return;
        }
        const record = await applyOrder(ctx, read.order, plan.state);
        const recorded: Promise<void> = (async () => {
          if (await record()) await store.markPushesHandled(db, plan.state.pushes.get(orderId) ?? [], ctx.runId);
          ctx.progress(++done, total, 'reconcile orders');
        })()
          .catch((error: unknown) => {
            recordFailure ??= { error };
          })
          .finally(() => recording.delete(recorded));
        recording.add(recorded);
        while (recording.size >= ctx.config.concurrency) await Promise.race(recording);
      });
    } finally {
      await Promise.all(recording);
    }
    if (recordFailure) throw recordFailure.error;
    const complete = !ctx.stopSignal.aborted && plan.state.readFailures.length === 0;
    if (plan.state.sweepStartedAt !== null && complete) await store.saveSweepAt(db, pipeline, plan.state.sweepStartedAt);
  },

  status: (ctx) => mirrorStatus(ctx.db, ctx.pipeline, ctx.config),
  webhooks: (ctx) => ambitaWebhooks(ctx),
});

/**
 * Reads one order and plans it, adding it to the plan's counts and actions; downloads refused for their size are
 * left out. A failed read is noted in the plan and returned, never fatal to the other orders.
 */
async function readOrder(ctx: Ctx, plan: Plan<MirrorPlanState>, orderId: number): Promise<{ order: OrderPlan } | { error: string }> {
  const { state, summary, actions } = plan;
  const disk = { root: ctx.global.storage.root, hash: !!ctx.options.full };
  let order: OrderPlan;
  try {
    const collection = await ctx.upstreams.ambita.getOrder(orderId, ctx.abortSignal);
    order = await planOrder(collection, state.stored.get(orderId) ?? new Map(), ctx.config.folder, disk);
  } catch (thrown) {
    const err = coerceError(thrown);
    // Bad credentials fail every read alike: fail the run once instead of once per order.
    if (err instanceof CredentialError || (err as { op?: string }).op === 'token' || ctx.abortSignal.aborted) throw err;
    ctx.log.warn({ orderId, err }, 'could not read ambita order');
    state.readFailures.push({ orderId, error: err.message });
    add(summary, 'read_failures', 1);
    actions.push({ action: 'read-failed', key: `order:${orderId}`, detail: { error: err.message } });
    return { error: err.message };
  }
  const refused = order.downloads.filter((d) => state.refused.has(d.asset.assetId));
  order.downloads = order.downloads.filter((d) => !state.refused.has(d.asset.assetId));
  add(summary, 'orders_read', 1);
  add(summary, 'downloads', order.downloads.length);
  add(summary, 'refused_downloads', refused.length);
  add(summary, 'deletions', order.removals.filter((r) => r.hadFile).length);
  add(summary, 'unchanged', order.unchanged);
  for (const d of order.downloads) actions.push({ action: 'download', key: d.asset.assetId, detail: { order: orderId, path: d.path, reason: d.reason } });
  for (const r of order.removals) actions.push({ action: r.hadFile ? 'delete-file' : 'mark-deleted', key: r.assetId, detail: { order: orderId, path: r.path, reason: r.reason } });
  for (const d of refused) actions.push({ action: 'refused', key: d.asset.assetId, detail: { order: orderId, reason: 'larger than max_download_bytes' } });
  return { order };
}

/** Adds to one of the plan's counts (filled in as orders are read). */
function add(summary: Record<string, number>, key: string, n: number): void {
  summary[key] = (summary[key] ?? 0) + n;
}

/**
 * Removals first (a replaced file never coexists with its successor), then downloads; resolves to the order's
 * record step: its files renamed into place and its rows written, true when all went well.
 */
async function applyOrder(ctx: Ctx, order: OrderPlan, state: MirrorPlanState): Promise<() => Promise<boolean>> {
  const { db, pipeline, log } = ctx;
  const root = ctx.global.storage.root;
  let failed = 0;
  ctx.count('seen', order.downloads.length + order.removals.length + order.unchanged);
  ctx.count('unchanged', order.unchanged);
  // A run killed mid-download leaves a temporary in the order's folder; this runner alone writes there now.
  const folder = safeJoin(root, ctx.config.folder, String(order.orderId));
  if (order.downloads.length > 0) await prepareFolder(folder);
  else await removeStaleTemporaries(folder);
  for (const r of order.removals) {
    if (ctx.stopSignal.aborted) return async () => false;
    try {
      if (r.path) await removeFile(root, r.path);
      if (r.asset) {
        const a = r.asset;
        await store.writeRemovedAsset(db, pipeline, {
          asset_id: a.assetId, order_id: order.orderId, supplier_order_id: a.supplierOrderId, order_line_id: a.orderLineId, name: a.name, filename: a.filename,
          product_category: a.productCategory, asset_status: a.assetStatus, state: r.state, path: r.path, removed_reason: r.reason,
        });
      } else {
        await store.markAssetGone(db, pipeline, r.assetId, r.state, r.reason);
      }
      ctx.count('deleted');
    } catch (err) {
      failed++;
      ctx.count('failed');
      log.error({ orderId: order.orderId, assetId: r.assetId, err }, 'could not remove ambita file');
    }
  }
  // The order's downloads go to the upstream's queue together (its rate limit bounds them), so one slow file does
  // not leave the queue idle; no new one starts once a stop is asked for. Slot i is download i's, empty if it failed.
  const staged: ({ file: StagedFile; row: store.AssetWrite } | undefined)[] = order.downloads.map(() => undefined);
  let started = 0;
  await forEachConcurrent(order.downloads, ctx.config.concurrency, ctx.stopSignal, async (d, i) => {
    started++;
    const a = d.asset;
    try {
      const file = await ctx.upstreams.ambita.stageDownload({ id: a.assetId, downloadUrl: a.downloadUrl }, safeJoin(root, ...d.path.split('/')), ctx.abortSignal);
      const row: store.AssetWrite = {
        asset_id: a.assetId, order_id: order.orderId, supplier_order_id: a.supplierOrderId, order_line_id: a.orderLineId, name: a.name, filename: a.filename,
        product_category: a.productCategory, asset_status: a.assetStatus, state: 'stored', path: d.path, size: file.size, sha256: file.sha256,
      };
      staged[i] = { file, row };
    } catch (thrown) {
      const err = coerceError(thrown);
      if (!ctx.abortSignal.aborted) await recordDownloadFailure(db, pipeline, a.assetId, err).catch((e: unknown) => log.warn({ err: e }, 'could not record a download failure'));
      if (err instanceof DownloadTooLargeError) {
        // The same answer would come back every run: refused (exit 3, listed by status) until the limit is raised.
        await ctx.reject.add({ itemKey: a.assetId, source: `order ${order.orderId}`, field: 'max_download_bytes', reason: err.message });
        return;
      }
      failed++;
      ctx.count('failed');
      log.error({ orderId: order.orderId, assetId: a.assetId, err }, 'could not download ambita asset');
    }
  });
  const stopped = started < order.downloads.length;
  return () => recordOrder(ctx, order, state, { staged, failed, stopped });
}

/** Publishes an order's staged files and writes their rows with the order's read; true when all went well. */
async function recordOrder(
  ctx: Ctx,
  order: OrderPlan,
  { failedBefore, requestIds }: MirrorPlanState,
  result: { staged: readonly ({ file: StagedFile; row: store.AssetWrite } | undefined)[]; failed: number; stopped: boolean },
): Promise<boolean> {
  const { db, pipeline, log } = ctx;
  const { staged, stopped } = result;
  let failed = result.failed;
  // Renamed into place only now, right before their rows are written: a kill while the order's files were still
  // downloading leaves temporaries (removed next run), never a file without its row.
  const published = await Promise.all(
    staged.map(async (s) => {
      if (!s) return undefined;
      try {
        await s.file.publish();
        return s.row;
      } catch (err) {
        await s.file.discard();
        failed++;
        ctx.count('failed');
        log.error({ orderId: order.orderId, assetId: s.row.asset_id, err }, 'could not store ambita asset');
        return undefined;
      }
    }),
  );
  const landed = published.filter((row) => row !== undefined);
  const read = { orderId: order.orderId, ...order.order };
  const requestId = requestIds.get(order.orderId);
  // The files' rows go with the order's read: one statement, or one transaction when a request is settled too.
  if (stopped) {
    // Stopped part-way: the files that landed get their rows; the order is read again next run.
    await store.writeStoredAssets(db, pipeline, landed);
  } else if (failed > 0) {
    await store.recordOrderRead(db, pipeline, { ...read, filesRemoved: false, error: `${failed} file operation(s) failed; retried next run` }, landed);
  } else if (requestId === undefined) {
    await store.recordOrderRead(db, pipeline, { ...read, filesRemoved: order.filesRemoved }, landed);
  } else {
    // One transaction: a cancelled order is read for the last time when files_removed_at is set, so a kill between
    // the two writes would leave its request 'ordered' for ever.
    await db.transaction().execute(async (trx) => {
      await store.recordOrderRead(trx, pipeline, { ...read, filesRemoved: order.filesRemoved }, landed);
      await settleRequest(trx, requestId, order);
    });
  }
  countLanded(ctx, order, landed);
  const cleared = landed.filter((r) => failedBefore.has(r.asset_id)).map((r) => r.asset_id);
  if (cleared.length) await clearDownloadFailures(db, pipeline, cleared);
  if (!stopped && order.unknownStatus.length) log.warn({ orderId: order.orderId, assets: order.unknownStatus }, 'assets in an unknown state left alone');
  return !stopped && failed === 0;
}

/** Counts the downloaded files once their rows are written. */
function countLanded(ctx: Ctx, order: OrderPlan, landed: readonly store.AssetWrite[]): void {
  const reasons = new Map(order.downloads.map((d) => [d.asset.assetId, d.reason]));
  for (const row of landed) ctx.count(reasons.get(row.asset_id) === 'new' ? 'created' : 'updated');
}

/** The order request behind an order is completed once the order is finished and mirrored (files may still follow). */
async function settleRequest(db: Kysely<DB>, requestId: number, order: OrderPlan): Promise<void> {
  if (order.order.status === 'FINISHED') await markCompleted(db, requestId, 'finished and mirrored');
  else if (order.filesRemoved) {
    const state = order.order.status === 'REFUNDED' ? 'refunded' : 'cancelled';
    await markVendorEnded(db, requestId, state, why.vendorEnded(order.orderId, state, order.order.dateStatus));
  }
}
