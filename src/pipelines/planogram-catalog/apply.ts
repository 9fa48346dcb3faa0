/**
 * Carries out the plan in an order that leaves nothing stale: images first, then creates and updates (which
 * regenerate thumbnails and 3D models from the new images), then Refresh for unchanged items whose images
 * changed, then deletions. Items are read again from the catalogs and sent in bounded batches, each item
 * settling on its own; checkpoints are written in batches as items land, so memory does not grow with the file.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { PermanentError } from '../../core/errors.js';
import { type ItemState, VOIDED_HASH } from '../../core/item-state.js';
import { StateWriter } from '../../core/state-writer.js';
import { forEachConcurrent, forEachFed } from '../../core/for-each-concurrent.js';
import type { Plan } from '../../core/types.js';
import type { ContextOf } from '../define-pipeline.js';
import type { PlanogramBuilderClient } from '../../upstreams/planogrambuilder/client.js';
import { type AnyItem, type ItemKind, itemMethod } from '../../upstreams/planogrambuilder/wire.js';
import { type AcceptedRow, acceptedRows } from './catalog-rows.js';
import { imagesOf, itemHash, itemKey } from './compare.js';
import type { PlanogramCatalogConfig } from './config.js';
import { saveSnapshot, voidSnapshots } from './file-snapshot.js';
import { fileKey, imageState, type LocalImage } from './images.js';
import type { CatalogPlanState, KindPlan } from './plan-state.js';
import { Flag } from './reference-index.js';

type Ctx = ContextOf<PlanogramCatalogConfig, 'planogrambuilder'>;

/** Vendor codes that mean "this row's values are refused", reported like a validation failure. */
const ROW_CODES = new Set(['PAE_INVALID_ARGUMENT', 'PAE_OUT_OF_RANGE']);
/** Items read ahead of the calls, voided and handed over together: one batch waiting while the next is read and mapped. */
const BATCH = 512;
/** Checkpoints per record (under StateWriter's backpressure limit, so recording a chunk does not wait for a write in flight). */
const CHECKPOINT_CHUNK = 256;
/** A row's fresh images when this run uploaded none: one shared empty list, not one per row. */
const NONE: readonly string[] = [];

/** What the item passes share while one run applies. */
interface Apply {
  ctx: Ctx;
  client: PlanogramBuilderClient;
  concurrency: number;
  checkpoints: StateWriter;
  /** Lower-cased names of the images on the service whose users this run regenerates (uploaded now or by a stopped run). */
  uploaded: Set<string>;
  /** Uploaded images with an item that was not regenerated (write or Refresh failed): their users are refreshed next run. */
  unsettled: Set<string>;
  step: () => void;
}

export async function applyCatalog(ctx: Ctx, plan: Plan<CatalogPlanState>): Promise<void> {
  const s = plan.state;
  const checkpoints = new StateWriter(ctx.state);
  try {
    const client = ctx.upstreams.planogrambuilder;
    // As many items in hand as the upstream runs calls at once: more would only wait in its queue, kept alive
    // (and copied by every young-generation collection) meanwhile.
    const concurrency = ctx.global.upstreams.planogrambuilder?.rate.concurrency ?? 4;
    await checkpoints.record(s.settledImages);
    const { upload = 0, create = 0, update = 0, refresh = 0 } = plan.summary;
    const total = upload + create + update + refresh + (plan.summary.delete ?? 0);
    let done = 0;
    const run: Apply = { ctx, client, concurrency, checkpoints, uploaded: new Set(s.uploadedBefore.keys()), unsettled: new Set(), step: () => ctx.progress(++done, total, 'applying') };
    // A file's snapshot describes the remote catalog the last complete apply left: void it while this one runs.
    const read = s.kinds.filter((k) => k.snapshot);
    await voidSnapshots(ctx.state, read.map((k) => k.src.kind));

    // Void the checkpoints first (see voidMany): after a kill between an upload and its record, the image must be
    // uploaded again — not found equal to the remote copy and settled — so the items using it get regenerated.
    // Each upload then records the image as unsettled at once; the next run does not send it again (see plan-images).
    await ctx.state.putMany([...s.uploads.values()].map((image) => ({ ...imageState(image), hash: VOIDED_HASH, data: null })));
    await uploadImages(run, s.uploads);
    for (const kind of s.kinds) {
      const refreshes = run.uploaded.size > 0 && s.refreshKinds.has(kind.src.kind);
      if (kind.writes + kind.settles > 0 || refreshes) await applyKind(run, kind);
    }
    for (const kind of s.kinds) await deleteAbsent(run, kind);

    // An image counts as settled only once every item using it shows it; until then the next run refreshes its users.
    if (!ctx.stopSignal.aborted) {
      for (const [lower, image] of [...s.uploads, ...s.uploadedBefore]) if (run.uploaded.has(lower) && !run.unsettled.has(lower)) await checkpoints.record([imageState(image)]);
    }
    await checkpoints.drain();
    if (s.pruneRefused) throw new PermanentError(s.pruneRefused, { upstream: 'planogrambuilder', op: 'prune' });
    // Every step done (a failed item write leaves the remote catalog short of the snapshot, which the next run sees).
    if (!ctx.stopSignal.aborted) for (const kind of read) await saveSnapshot(ctx.state, kind.src.kind, kind.snapshot!);
  } finally {
    // What landed before a failure is still recorded (the failure itself is the one thrown above).
    await checkpoints.drain().catch(() => undefined);
    await s.release();
  }
}

async function uploadImages(run: Apply, uploads: Map<string, LocalImage>): Promise<void> {
  const { ctx } = run;
  await forEachConcurrent(uploads, run.concurrency, ctx.stopSignal, async ([lower, image]) => {
    try {
      const data = await readFile(image.path);
      await run.client.call('UploadFile', { filename: image.name, data, replace: 'PAB_TRUE' }, { signal: ctx.abortSignal, itemKey: fileKey(image.name) });
      run.uploaded.add(lower);
      // Recorded before any refresh, with the hash of the bytes sent: a run stopped after this point does not
      // send the same content again (the listing names files but has no hash, so koppel's state must).
      await ctx.state.putMany([imageState({ ...image, sha256: createHash('sha256').update(data).digest('hex') }, true)]);
    } catch (err) {
      ctx.count('failed');
      ctx.log.error({ err, file: image.name }, 'image upload failed');
    }
    run.step();
  });
}

/**
 * One catalog read again: writes, refreshes and quiet checkpoints. Items are handed to the calls a batch at a
 * time, each batch's keys voided first (see applyCatalog); the calls run across batch boundaries, so the rate's
 * calls stay in flight while the next batch is read, voided and checkpoints are written.
 */
async function applyKind(run: Apply, plan: KindPlan): Promise<void> {
  const { ctx } = run;
  /** Checkpoints of items that landed, recorded a chunk at a time: a statement per item would cost more than the rest of its work. */
  let landed: ItemState[] = [];
  await forEachFed<() => Promise<ItemState | undefined>>(
    run.concurrency,
    ctx.stopSignal,
    // The next batch is handed over once fewer items wait than the calls in flight: read and voided meanwhile.
    run.concurrency,
    async (push) => {
      /** Each task resolves with the checkpoint of the item it wrote, if it did. */
      let batch: (() => Promise<ItemState | undefined>)[] = [];
      /** Keys of the batch's writes, voided before the batch is handed over. */
      let writing: string[] = [];
      for await (const row of acceptedRows(plan.src, plan.index, ctx.stopSignal, plan.fromSnapshot)) {
        const fresh = run.uploaded.size ? imagesOf(row.item).map((n) => n.toLowerCase()).filter((n) => run.uploaded.has(n)) : NONE;
        if (plan.index.has(row.slot, Flag.CREATE | Flag.UPDATE)) {
          writing.push(row.key);
          batch.push(() => writeRow(run, plan, row, fresh));
        } else if (fresh.length) batch.push(() => refreshRow(run, plan.src.kind, row, fresh));
        else if (plan.index.has(row.slot, Flag.SETTLE)) await run.checkpoints.record([{ key: row.key, hash: itemHash(row.item), remoteId: row.reference, data: null }]);
        if (batch.length >= BATCH) {
          await ctx.state.voidMany(writing);
          if (!(await push(batch))) return;
          batch = [];
          writing = [];
        }
      }
      await ctx.state.voidMany(writing);
      await push(batch);
    },
    async (task) => {
      const state = await task();
      if (!state) return;
      landed.push(state);
      if (landed.length >= CHECKPOINT_CHUNK) {
        const chunk = landed;
        landed = [];
        await run.checkpoints.record(chunk);
      }
    },
  ).finally(() => run.checkpoints.record(landed));
}

/** Sends one item; resolves with its checkpoint once the service has it, undefined when it failed. */
async function writeRow(run: Apply, plan: KindPlan, row: AcceptedRow, fresh: readonly string[]): Promise<ItemState | undefined> {
  const { ctx } = run;
  const { kind, file } = plan.src;
  let landed: ItemState | undefined;
  try {
    const verb = plan.index.has(row.slot, Flag.CREATE) ? 'Create' : 'Update';
    ctx.count(await write(run.client, kind, verb, row.item, { signal: ctx.abortSignal, itemKey: row.key }));
    landed = { key: row.key, hash: itemHash(row.item), remoteId: row.reference, data: null };
  } catch (err) {
    for (const name of fresh) run.unsettled.add(name);
    if (err instanceof PermanentError && ROW_CODES.has(String(err.code))) {
      // The service refused a value our checks let through: a bad row, reported like one.
      await ctx.reject.add({ itemKey: row.key, source: file, line: row.line, reason: err.message, value: row.reference });
    } else {
      ctx.count('failed');
      ctx.log.error({ err, itemKey: row.key, kind }, 'item write failed');
    }
  }
  run.step();
  return landed;
}

/** Refresh only items whose image did reach the service; a failed upload leaves the old image, not a stale item. */
async function refreshRow(run: Apply, kind: ItemKind, row: AcceptedRow, fresh: readonly string[]): Promise<undefined> {
  try {
    await run.client.call(itemMethod(kind, 'Refresh'), { reference: row.reference }, { signal: run.ctx.abortSignal, itemKey: row.key });
  } catch (err) {
    for (const name of fresh) run.unsettled.add(name);
    run.ctx.count('failed');
    run.ctx.log.error({ err, itemKey: row.key }, 'refresh failed');
  }
  run.step();
  return undefined;
}

async function deleteAbsent(run: Apply, plan: KindPlan): Promise<void> {
  const { ctx } = run;
  const { kind } = plan.src;
  const deleted: string[] = [];
  await forEachConcurrent(plan.deletes, run.concurrency, ctx.stopSignal, async (reference) => {
    const key = itemKey(kind, reference);
    try {
      await run.client.call(itemMethod(kind, 'Delete'), { reference }, { signal: ctx.abortSignal, itemKey: key });
      deleted.push(key);
      ctx.count('deleted');
    } catch (err) {
      if (err instanceof PermanentError && err.code === 'PAE_NOT_FOUND') deleted.push(key);
      else {
        ctx.count('failed');
        ctx.log.error({ err, itemKey: key }, 'delete failed');
      }
    }
    run.step();
  });
  await ctx.state.deleteMany(deleted);
}

/**
 * Create or update one item. A create that finds the item (a crash between creating it and recording it) becomes
 * an update; an update that finds none (deleted meanwhile) becomes a create.
 */
async function write(
  client: PlanogramBuilderClient,
  kind: ItemKind,
  first: 'Create' | 'Update',
  item: AnyItem,
  opts: { signal: AbortSignal; itemKey: string },
): Promise<'created' | 'updated'> {
  const send = (verb: 'Create' | 'Update') => client.writeItem(kind, verb, item, opts);
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
