import type { Kysely } from 'kysely';
import { clearDownloadFailures, recordDownloadFailure } from '../../core/download-failures.js';
import { DownloadTooLargeError } from '../../core/download-limit.js';
import { coerceError } from '../../core/errors.js';
import { prepareFolder, removeStaleTemporaries, safeJoin, type StagedFile } from '../../core/file-store.js';
import { forEachConcurrent } from '../../core/for-each-concurrent.js';
import type { DB } from '../../db/schema.js';
import { markCompleted, markVendorEnded } from '../../orders/index.js';
import * as store from './mirror-store.js';
import type { MirrorContext as Ctx, MirrorPlanState } from './plan-state.js';
import * as why from './reasons.js';
import { type OrderPlan, removeFile } from './reconcile.js';

/**
 * Removals first (a replaced file never coexists with its successor), then downloads; resolves to the order's
 * record step: its files renamed into place and its rows written, true when all went well.
 */
export async function applyOrder(ctx: Ctx, order: OrderPlan, state: MirrorPlanState): Promise<() => Promise<boolean>> {
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
