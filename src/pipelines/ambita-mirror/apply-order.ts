import { recordDownloadFailure } from '../../core/download-failures.js';
import { DownloadTooLargeError } from '../../core/download-limit.js';
import { coerceError } from '../../core/errors.js';
import { prepareFolder, removeStaleTemporaries, safeJoin } from '../../core/file-store.js';
import { forEachConcurrent } from '../../core/for-each-concurrent.js';
import * as store from './mirror-store.js';
import type { OrderRecorder, StagedOrder } from './order-recorder.js';
import type { MirrorContext as Ctx } from './plan-state.js';
import { type OrderPlan, removeFile } from './reconcile.js';

/**
 * Removals first (a replaced file never coexists with its successor), then downloads; resolves to the order's
 * record step (the recorder's: its files renamed into place and its rows written, true when all went well).
 */
export async function applyOrder(ctx: Ctx, order: OrderPlan, recorder: OrderRecorder): Promise<() => Promise<boolean>> {
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
  const staged: StagedOrder['staged'][number][] = order.downloads.map(() => undefined);
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
  return () => recorder.record({ order, staged, failed, stopped });
}
