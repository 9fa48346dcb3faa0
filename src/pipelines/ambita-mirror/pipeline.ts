/**
 * `ambita-mirror`: places queued Ambita orders, mirrors each municipality's product catalog, and keeps every
 * delivered file of the followed orders on disk and indexed in Postgres — added, replaced, deleted, cancelled
 * and refunded as Ambita reports. Plan reads the catalog and the queue (and, for a dry run, the orders); apply
 * reads each order and writes its files and rows, so order reads, downloads and row writes overlap.
 */
import { knownDownloadFailures } from '../../core/download-failures.js';
import { CredentialError, coerceError } from '../../core/errors.js';
import { forEachConcurrent } from '../../core/for-each-concurrent.js';
import type { Plan, PlannedAction } from '../../core/types.js';
import { definePipeline } from '../define-pipeline.js';
import { applyOrder } from './apply-order.js';
import { applyCatalog, planCatalog } from './catalog.js';
import { ambitaMirrorConfigSchema } from './config.js';
import * as store from './mirror-store.js';
import { OrderRecorder } from './order-recorder.js';
import { adoptResolvedOrders, placeOrders, plannedOrders } from './ordering.js';
import type { MirrorContext, MirrorPlanState } from './plan-state.js';
import { type OrderPlan, planOrder } from './reconcile.js';
import { mirrorStatus } from './status.js';
import { ambitaWebhooks } from './webhook.js';

type Ctx = MirrorContext;

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
    // queue is not left idle through every order's row write; orders that finish together are recorded together
    // (order-recorder.ts). At most `concurrency` orders are being recorded at once, and all of them are before
    // apply ends (or rethrows).
    const recording = new Set<Promise<void>>();
    const recorder = new OrderRecorder(ctx, plan.state);
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
        const record = await applyOrder(ctx, read.order, recorder);
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
