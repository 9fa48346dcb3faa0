/**
 * `ambita-mirror`: places queued Ambita orders, mirrors each municipality's product catalog, and keeps every
 * delivered file of the followed orders on disk and indexed in Postgres — added, replaced, deleted, cancelled
 * and refunded as Ambita reports. Plan reads (orders, catalog, queue); apply writes files and rows.
 */
import { clearDownloadFailures, knownDownloadFailures, recordDownloadFailure } from '../../core/download-failures.js';
import { DownloadTooLargeError } from '../../core/download-limit.js';
import { CredentialError, coerceError } from '../../core/errors.js';
import { removeStaleTemporaries, safeJoin } from '../../core/file-store.js';
import { markCompleted, markVendorEnded } from '../../orders/index.js';
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { type PlannedAction } from '../../core/types.js';
import { definePipeline, type ContextOf } from '../define-pipeline.js';
import { applyCatalog, type CatalogPlan, planCatalog } from './catalog.js';
import { type AmbitaMirrorConfig, ambitaMirrorConfigSchema } from './config.js';
import * as store from './mirror-store.js';
import { adoptResolvedOrders, placeOrders, plannedOrders } from './ordering.js';
import { forEachConcurrent } from '../../core/for-each-concurrent.js';
import { type OrderPlan, planOrder, removeFile } from './reconcile.js';
import * as why from './reasons.js';
import { mirrorStatus } from './status.js';
import { ambitaWebhooks } from './webhook.js';

export interface MirrorPlanState {
  sweepStartedAt: number | null;
  catalog: CatalogPlan | null;
  orders: OrderPlan[];
  readFailures: { orderId: number; error: string }[];
  /** Pushes this run answers, by order: marked handled once that order is reconciled. */
  pushes: Map<number, number[]>;
  /** Assets with a recorded download failure: a download that lands clears it. */
  failedBefore: Set<string>;
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
    const { orders, readFailures } = await readOrders(ctx, orderIds);
    // Assets refused for their size are not fetched again until max_download_bytes is raised (status lists them).
    const failures = await knownDownloadFailures(db, pipeline, ctx.global.upstreams.ambita!.max_download_bytes);
    const refused: PlannedAction[] = [];
    for (const o of orders) {
      for (const d of o.downloads) if (failures.refused.has(d.asset.assetId)) refused.push({ action: 'refused', key: d.asset.assetId, detail: { order: o.orderId, reason: 'larger than max_download_bytes' } });
      o.downloads = o.downloads.filter((d) => !failures.refused.has(d.asset.assetId));
    }

    const actions: PlannedAction[] = [];
    for (const r of requests) actions.push({ action: 'order', key: `request:${r.id}`, detail: r.request });
    for (const p of catalog?.upserts ?? []) actions.push({ action: 'catalog-upsert', key: `${p.municipality}/${p.code}`, detail: { name: p.name } });
    for (const d of catalog?.deletes ?? []) actions.push({ action: 'catalog-delete', key: `${d.municipality}/${d.code}` });
    for (const o of orders) {
      for (const d of o.downloads) actions.push({ action: 'download', key: d.asset.assetId, detail: { order: o.orderId, path: d.path, reason: d.reason } });
      for (const r of o.removals) actions.push({ action: r.hadFile ? 'delete-file' : 'mark-deleted', key: r.assetId, detail: { order: o.orderId, path: r.path, reason: r.reason } });
    }
    actions.push(...refused);
    for (const f of readFailures) actions.push({ action: 'read-failed', key: `order:${f.orderId}`, detail: { error: f.error } });
    const summary = {
      sweep: sweep ? 1 : 0,
      orders_to_place: requests.length,
      orders_read: orders.length,
      read_failures: readFailures.length,
      downloads: orders.reduce((n, o) => n + o.downloads.length, 0),
      refused_downloads: refused.length,
      deletions: orders.reduce((n, o) => n + o.removals.filter((r) => r.hadFile).length, 0),
      unchanged: orders.reduce((n, o) => n + o.unchanged, 0),
      catalog_changes: (catalog?.upserts.length ?? 0) + (catalog?.deletes.length ?? 0),
    };
    return { summary, actions, state: { sweepStartedAt: sweep ? now : null, catalog, orders, readFailures, pushes, failedBefore: failures.any } satisfies MirrorPlanState };
  },

  async apply(ctx, plan) {
    const { db, pipeline, log } = ctx;
    if (plan.state.catalog && (plan.state.catalog.upserts.length || plan.state.catalog.deletes.length)) {
      await applyCatalog(db, plan.state.catalog);
      log.info({ upserts: plan.state.catalog.upserts.length, deletes: plan.state.catalog.deletes.length }, 'ambita catalog updated');
    }
    await placeOrders(ctx);
    let done = 0;
    await forEachConcurrent(plan.state.orders, ctx.config.concurrency, ctx.stopSignal, async (order) => {
      const ok = await applyOrder(ctx, order, plan.state.failedBefore);
      if (ok) await store.markPushesHandled(db, plan.state.pushes.get(order.orderId) ?? [], ctx.runId);
      ctx.progress(++done, plan.state.orders.length, 'reconcile orders');
    });
    for (const f of plan.state.readFailures) {
      await store.recordOrderError(db, pipeline, f.orderId, f.error);
      ctx.count('failed');
    }
    const complete = !ctx.stopSignal.aborted && plan.state.readFailures.length === 0;
    if (plan.state.sweepStartedAt !== null && complete) await store.saveSweepAt(db, pipeline, plan.state.sweepStartedAt);
  },

  status: (ctx) => mirrorStatus(ctx.db, ctx.pipeline, ctx.config),
  webhooks: (ctx) => ambitaWebhooks(ctx),
});

/** Reads the orders (bounded concurrency) and plans each; a failed read is reported, never fatal to the others. */
async function readOrders(ctx: Ctx, orderIds: number[]): Promise<{ orders: OrderPlan[]; readFailures: MirrorPlanState['readFailures'] }> {
  const stored = await store.assetsOf(ctx.db, ctx.pipeline, orderIds);
  const disk = { root: ctx.global.storage.root, hash: !!ctx.options.full };
  const orders: OrderPlan[] = [];
  const readFailures: MirrorPlanState['readFailures'] = [];
  let done = 0;
  await forEachConcurrent(orderIds, ctx.config.concurrency, ctx.stopSignal, async (orderId) => {
    try {
      const collection = await ctx.upstreams.ambita.getOrder(orderId, ctx.abortSignal);
      orders.push(await planOrder(collection, stored.get(orderId) ?? new Map(), ctx.config.folder, disk));
    } catch (thrown) {
      const err = coerceError(thrown);
      // Bad credentials fail every read alike: fail the run once instead of once per order.
      if (err instanceof CredentialError || (err as { op?: string }).op === 'token' || ctx.abortSignal.aborted) throw err;
      ctx.log.warn({ orderId, err }, 'could not read ambita order');
      readFailures.push({ orderId, error: err.message });
    }
    ctx.progress(++done, orderIds.length, 'read orders');
  });
  return { orders, readFailures };
}

/** Removals first (a replaced file never coexists with its successor), then downloads; true when all went well. */
async function applyOrder(ctx: Ctx, order: OrderPlan, failedBefore: ReadonlySet<string>): Promise<boolean> {
  const { db, pipeline, log } = ctx;
  const root = ctx.global.storage.root;
  let failed = 0;
  ctx.count('seen', order.downloads.length + order.removals.length + order.unchanged);
  ctx.count('unchanged', order.unchanged);
  // A run killed mid-download leaves a temporary in the order's folder; this runner alone writes there now.
  await removeStaleTemporaries(safeJoin(root, ctx.config.folder, String(order.orderId)));
  for (const r of order.removals) {
    if (ctx.stopSignal.aborted) return false;
    try {
      if (r.path) await removeFile(root, r.path);
      if (r.asset) {
        const a = r.asset;
        await store.writeAsset(db, pipeline, {
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
  for (const d of order.downloads) {
    if (ctx.stopSignal.aborted) return false;
    const a = d.asset;
    try {
      const file = await ctx.upstreams.ambita.download({ id: a.assetId, downloadUrl: a.downloadUrl }, safeJoin(root, ...d.path.split('/')), ctx.abortSignal);
      await store.writeAsset(db, pipeline, {
        asset_id: a.assetId, order_id: order.orderId, supplier_order_id: a.supplierOrderId, order_line_id: a.orderLineId, name: a.name, filename: a.filename,
        product_category: a.productCategory, asset_status: a.assetStatus, state: 'stored', path: d.path, size: file.size, sha256: file.sha256,
      });
      ctx.count(d.reason === 'new' ? 'created' : 'updated');
      if (failedBefore.has(a.assetId)) await clearDownloadFailures(db, pipeline, [a.assetId]);
    } catch (thrown) {
      const err = coerceError(thrown);
      if (!ctx.abortSignal.aborted) await recordDownloadFailure(db, pipeline, a.assetId, err).catch((e: unknown) => log.warn({ err: e }, 'could not record a download failure'));
      if (err instanceof DownloadTooLargeError) {
        // The same answer would come back every run: refused (exit 3, listed by status) until the limit is raised.
        await ctx.reject.add({ itemKey: a.assetId, source: `order ${order.orderId}`, field: 'max_download_bytes', reason: err.message });
        continue;
      }
      failed++;
      ctx.count('failed');
      log.error({ orderId: order.orderId, assetId: a.assetId, err }, 'could not download ambita asset');
    }
  }
  if (order.unknownStatus.length) log.warn({ orderId: order.orderId, assets: order.unknownStatus }, 'assets in an unknown state left alone');
  if (failed > 0) {
    await store.recordOrderRead(db, pipeline, { orderId: order.orderId, ...order.order, filesRemoved: false });
    await store.recordOrderError(db, pipeline, order.orderId, `${failed} file operation(s) failed; retried next run`);
    return false;
  }
  // One transaction: a cancelled order is read for the last time when files_removed_at is set, so a kill between
  // the two writes would leave its request 'ordered' for ever.
  await db.transaction().execute(async (trx) => {
    await store.recordOrderRead(trx, pipeline, { orderId: order.orderId, ...order.order, filesRemoved: order.filesRemoved });
    await settleRequest(trx, pipeline, order);
  });
  return true;
}

/** The order request behind an order is completed once the order is finished and mirrored (files may still follow). */
async function settleRequest(db: Kysely<DB>, pipeline: string, order: OrderPlan): Promise<void> {
  const requestId = await store.requestIdOf(db, pipeline, order.orderId);
  if (requestId === null) return;
  if (order.order.status === 'FINISHED') await markCompleted(db, requestId, 'finished and mirrored');
  else if (order.filesRemoved) {
    const state = order.order.status === 'REFUNDED' ? 'refunded' : 'cancelled';
    await markVendorEnded(db, requestId, state, why.vendorEnded(order.orderId, state, order.order.dateStatus));
  }
}
