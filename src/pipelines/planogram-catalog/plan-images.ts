/**
 * The images part of the plan: which pack shots to upload (content hash against the checkpoint, or against the
 * remote file when there is none), which are unusable, and which unchanged items need Refresh. The catalog pass
 * keeps one small record per distinct image; rows are traced again (a second read of a catalog) only for the
 * kinds where an unusable image must be reported per row or an upload makes unchanged items stale.
 */
import { createHash } from 'node:crypto';
import { forEachConcurrent } from '../../core/for-each-concurrent.js';
import type { ItemState } from '../../core/item-state.js';
import type { ContextOf } from '../define-pipeline.js';
import type { PlanogramBuilderClient } from '../../upstreams/planogrambuilder/client.js';
import type { ItemKind } from '../../upstreams/planogrambuilder/wire.js';
import { acceptedRows } from './catalog-rows.js';
import { imagesOf } from './compare.js';
import type { PlanogramCatalogConfig } from './config.js';
import { fileKey, imageState, indexFolder, isUnsettled, lookupImage } from './images.js';
import type { ActionSample, CatalogPlanState } from './plan-state.js';
import { Flag } from './reference-index.js';

type Ctx = ContextOf<PlanogramCatalogConfig, 'planogrambuilder'>;
export type Reject = (r: Parameters<Ctx['reject']['add']>[0]) => Promise<void>;

/** One kind as a bit, so an image remembers which catalogs name it in one number. */
export const KIND_BIT: Record<ItemKind, number> = { product: 1, accessory: 2, material: 4 };

/** One distinct image the catalogs name. */
export interface ImageUse {
  /** Name as the first item spelled it; the remote name. */
  name: string;
  /** Synced items naming it. */
  users: number;
  /** Kinds (bits) naming it, and kinds where an item naming it is unchanged (Refresh if it is uploaded). */
  kinds: number;
  unchangedKinds: number;
}

/** Records that `users` items of `kind` name the image `name` (and whether they are unchanged). */
export function addImageUse(images: Map<string, ImageUse>, name: string, kind: ItemKind, users: number, unchanged: boolean): void {
  const lower = name.toLowerCase();
  const use = images.get(lower) ?? { name, users: 0, kinds: 0, unchangedKinds: 0 };
  use.users += users;
  use.kinds |= KIND_BIT[kind];
  if (unchanged) use.unchangedKinds |= KIND_BIT[kind];
  images.set(lower, use);
}

/** The source column the mapping reads an item's images from (`images` for products and accessories, `image1` for materials). */
function imageColumn(src: { kind: ItemKind; mapping: { fields: Record<string, { column?: string | undefined; columns?: string[] | undefined }> } }): string {
  const spec = src.mapping.fields[src.kind === 'material' ? 'image1' : 'images'];
  return spec?.column ?? spec?.columns?.join('+') ?? (src.kind === 'material' ? 'image1' : 'images');
}

/** Images checked (checkpoints read) per query. */
const LOOKUP_BATCH = 1000;

/** Decides uploads into `state`, reports unusable images per row, lists refreshes; returns how many. */
export async function planImages(
  ctx: Ctx,
  client: PlanogramBuilderClient,
  dir: string,
  images: Map<string, ImageUse>,
  state: CatalogPlanState,
  sample: ActionSample,
): Promise<number> {
  const full = !!ctx.options.full;
  const folder = await indexFolder(dir);
  const remoteFiles = new Set<string>();
  for await (const name of client.list('file', { signal: ctx.abortSignal })) remoteFiles.add(name.toLowerCase());
  /** Lower-cased name → why the image cannot be used. */
  const unusable = new Map<string, string>();
  let unusableKinds = 0;

  const all = [...images];
  for (let i = 0; i < all.length; i += LOOKUP_BATCH) {
    const chunk = all.slice(i, i + LOOKUP_BATCH);
    const stored = full ? new Map<string, ItemState>() : await ctx.state.getMany(chunk.map(([lower]) => fileKey(lower)));
    await forEachConcurrent(chunk, 16, ctx.abortSignal, async ([lower, use]) => {
      const known = stored.get(fileKey(lower));
      const look = await lookupImage(dir, folder, use.name, known, full);
      if (!look.ok) {
        unusable.set(lower, look.reason);
        unusableKinds |= use.kinds;
        return;
      }
      let upload: boolean;
      if (!remoteFiles.has(lower)) upload = true;
      else if (known) upload = known.hash !== look.image.sha256;
      else {
        // No checkpoint (first run against a filled account, or --full): compare with the remote content, a read.
        const remote = await client.call('DownloadFile', { filename: use.name }, { signal: ctx.abortSignal, itemKey: fileKey(lower) });
        upload = createHash('sha256').update(remote.data).digest('hex') !== look.image.sha256;
      }
      // Same name and hash as koppel's record of an upload a stopped run made: not sent again, its users still refreshed.
      const uploadedBefore = !upload && isUnsettled(known);
      if (upload || uploadedBefore) {
        (upload ? state.uploads : state.uploadedBefore).set(lower, look.image);
        for (const [kind, bit] of Object.entries(KIND_BIT) as [ItemKind, number][]) if (use.unchangedKinds & bit) state.refreshKinds.add(kind);
      } else if (look.hashed || !known) state.settledImages.push(imageState(look.image));
    });
  }
  // In name order, as lookups finish in any order: the same catalog makes the same calls in the same order.
  const uploads = [...state.uploads].sort(([a], [b]) => a.localeCompare(b));
  state.uploads = new Map(uploads);
  for (const [lower, image] of uploads) {
    sample.add({ action: 'upload', key: fileKey(image.name), detail: { file: image.name, bytes: image.size, usedBy: images.get(lower)?.users ?? 0 } });
  }

  // Back to the rows, only where needed: unusable images are reported per row, stale items are listed.
  let refresh = 0;
  for (const plan of state.kinds) {
    const { kind, file } = plan.src;
    if (!(unusableKinds & KIND_BIT[kind]) && !state.refreshKinds.has(kind)) continue;
    for await (const row of acceptedRows(plan.src, plan.index, undefined, plan.fromSnapshot)) {
      let stale = false;
      for (const name of imagesOf(row.item)) {
        const lower = name.toLowerCase();
        const reason = unusable.get(lower);
        // The item itself is synced (counted once, as created/updated/unchanged): the image is a warning, named by the mapping's column.
        if (reason !== undefined) await ctx.reject.warn({ itemKey: row.key, source: file, line: row.line, field: imageColumn(plan.src), reason: `${reason} (the item is synced without it)`, value: name });
        else if ((state.uploads.has(lower) || state.uploadedBefore.has(lower)) && !plan.index.has(row.slot, Flag.CREATE | Flag.UPDATE)) stale = true;
      }
      if (stale) {
        refresh++;
        sample.add({ action: 'refresh', key: row.key, detail: { kind, reference: row.reference } });
      }
    }
  }
  return refresh;
}
