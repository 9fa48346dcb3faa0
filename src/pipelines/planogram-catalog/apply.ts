/**
 * Carries out the plan in an order that leaves nothing stale: images first, then creates and updates (which
 * regenerate thumbnails and 3D models from the new images), then Refresh for unchanged items whose images
 * changed, then deletions. Every item settles on its own; checkpoints are written in batches as items land.
 */
import { readFile } from 'node:fs/promises';
import { PermanentError } from '../../core/errors.js';
import type { Plan, PipelineContext } from '../../core/types.js';
import type { PlanogramBuilderClient } from '../../upstreams/planogrambuilder/client.js';
import { type ItemKind, ITEM_KINDS, itemMethod, type Requests } from '../../upstreams/planogrambuilder/wire.js';
import { forEachConcurrent } from '../../core/for-each-concurrent.js';
import type { PlanogramCatalogConfig } from './config.js';
import { imageState } from './images.js';
import { type CatalogPlanState, StateBuffer, type WriteAction } from './plan-state.js';

type Ctx = PipelineContext<PlanogramCatalogConfig>;

/** Vendor codes that mean "this row's values are refused", reported like a validation failure. */
const ROW_CODES = new Set(['PAE_INVALID_ARGUMENT', 'PAE_OUT_OF_RANGE']);

export async function applyCatalog(ctx: Ctx, plan: Plan<CatalogPlanState>): Promise<void> {
  const s = plan.state;
  try {
    const client = ctx.upstreams.planogrambuilder;
    const concurrency = 2 * (ctx.global.upstreams.planogrambuilder?.rate.concurrency ?? 4);
    const checkpoints = new StateBuffer(ctx.state);
    for (const settled of s.settled) await checkpoints.add(settled);
    const opts = (itemKey: string) => ({ signal: ctx.abortSignal, itemKey });
    /** Items whose thumbnail and 3D model were regenerated after this run's uploads (written or refreshed). */
    const regenerated = new Set<string>();
    const total = s.uploads.length + s.writes.length + s.refreshes.length + s.deletes.length;
    let done = 0;
    const step = () => ctx.progress(++done, total, 'applying');

    const uploaded = new Set<string>();
    await forEachConcurrent(s.uploads, concurrency, ctx.stopSignal, async (u) => {
      try {
        const data = await readFile(u.image.path);
        await client.call('UploadFile', { filename: u.image.name, data, replace: 'PAB_TRUE' }, opts(`file:${u.image.name}`));
        uploaded.add(u.image.name);
      } catch (err) {
        ctx.count('failed');
        ctx.log.error({ err, file: u.image.name }, 'image upload failed');
      }
      step();
    });

    await forEachConcurrent(s.writes, concurrency, ctx.stopSignal, async (w) => {
      try {
        ctx.count(await write(client, w, opts(w.key)));
        regenerated.add(w.key);
        await checkpoints.add({ key: w.key, hash: w.hash, remoteId: w.item.reference, data: null });
      } catch (err) {
        await settleFailure(ctx, err, w);
      }
      step();
    });

    // Refresh only items whose image did reach the service; a failed upload leaves the old image, not a stale item.
    const usesUploaded = new Set(s.uploads.filter((u) => uploaded.has(u.image.name)).flatMap((u) => u.users));
    const pendingRefresh = s.refreshes.filter((r) => usesUploaded.has(r.key));
    await forEachConcurrent(pendingRefresh, concurrency, ctx.stopSignal, async (r) => {
      try {
        await client.call(itemMethod(r.kind, 'Refresh'), { reference: r.reference }, opts(r.key));
        regenerated.add(r.key);
      } catch (err) {
        ctx.count('failed');
        ctx.log.error({ err, itemKey: r.key }, 'refresh failed');
      }
      step();
    });

    const deleted: string[] = [];
    await forEachConcurrent(s.deletes, concurrency, ctx.stopSignal, async (d) => {
      try {
        await client.call(itemMethod(d.kind, 'Delete'), { reference: d.reference }, opts(d.key));
        deleted.push(d.key);
        ctx.count('deleted');
      } catch (err) {
        if (err instanceof PermanentError && err.code === 'PAE_NOT_FOUND') deleted.push(d.key);
        else {
          ctx.count('failed');
          ctx.log.error({ err, itemKey: d.key }, 'delete failed');
        }
      }
      step();
    });
    await ctx.state.deleteMany(deleted);

    // An image counts as synced only once every item using it shows it; otherwise the next run uploads it again.
    for (const u of s.uploads) {
      if (uploaded.has(u.image.name) && u.users.every((k) => regenerated.has(k))) await checkpoints.add(imageState(u.image));
    }
    await checkpoints.flush();
    if (s.pruneRefused) throw new PermanentError(s.pruneRefused, { upstream: 'planogrambuilder', op: 'prune' });
  } finally {
    await s.release();
  }
}

/**
 * Create or update one item. A create that finds the item (a crash between creating it and recording it) becomes
 * an update; an update that finds none (deleted meanwhile) becomes a create.
 */
async function write(client: PlanogramBuilderClient, w: WriteAction, opts: { signal: AbortSignal; itemKey: string }): Promise<'created' | 'updated'> {
  const send = (verb: 'Create' | 'Update') =>
    client.call(itemMethod(w.kind, verb) as 'CreateProduct', { [ITEM_KINDS[w.kind].field]: w.item } as unknown as Requests['CreateProduct'], opts);
  const first = w.verb === 'create' ? 'Create' : 'Update';
  try {
    await send(first);
    return first === 'Create' ? 'created' : 'updated';
  } catch (err) {
    if (!(err instanceof PermanentError)) throw err;
    if (first === 'Create' && err.code === 'PAE_ALREADY_EXISTS') {
      await send('Update');
      return 'updated';
    }
    if (first === 'Update' && err.code === 'PAE_NOT_FOUND') {
      await send('Create');
      return 'created';
    }
    throw err;
  }
}

async function settleFailure(ctx: Ctx, err: unknown, w: WriteAction): Promise<void> {
  if (err instanceof PermanentError && ROW_CODES.has(String(err.code))) {
    // The service refused a value our checks let through: a bad row, reported like one.
    ctx.count('rejected');
    await ctx.reject.add({ itemKey: w.key, source: w.source, line: w.line, reason: err.message, value: w.item.reference });
    return;
  }
  ctx.count('failed');
  ctx.log.error({ err, itemKey: w.key, kind: w.kind satisfies ItemKind }, 'item write failed');
}
