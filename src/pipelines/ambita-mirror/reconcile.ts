/**
 * One order's reconcile: compare what Ambita lists with what the mirror holds, then make disk and rows agree.
 * Rules (Ambita's "Delivered files" and "Push messages" pages): an OK asset not yet stored is downloaded once,
 * keyed by its id; a DELETED asset's file is removed and its row marked; a CANCELLED or REFUNDED order loses
 * all its files; a stored asset that no longer appears at all is removed too, so the mirror never holds more
 * than Ambita lists.
 */
import { rm, stat } from 'node:fs/promises';
import { hashFile, safeJoin } from '../../core/file-store.js';
import type { AmbitaOrderCollection } from '../../upstreams/ambita/wire.js';
import { parseAmbitaDate, REMOVED_ORDER_STATUSES } from '../../upstreams/ambita/wire.js';
import { assetRelativePath, type FoundAsset, flattenAssets } from './mapping.js';
import type { OrderFacts, StoredAssetRow } from './mirror-store.js';

export interface Removal {
  asset: FoundAsset | null;
  assetId: string;
  path: string | null;
  state: 'deleted' | 'removed';
  reason: 'asset-deleted' | 'order-cancelled' | 'order-refunded' | 'asset-gone';
  /** True when a row says the file is on disk (else this only marks the row, after a defensive rm). */
  hadFile: boolean;
}

export interface OrderPlan {
  orderId: number;
  order: OrderFacts;
  filesRemoved: boolean;
  downloads: { asset: FoundAsset; path: string; reason: 'new' | 'missing-on-disk' | 'changed-on-disk' }[];
  removals: Removal[];
  unchanged: number;
  /** Assets in a state koppel does not know (neither OK nor DELETED): left alone, reported. */
  unknownStatus: string[];
}

export interface DiskCheck {
  root: string;
  /** Re-hash stored files and compare with the row (`--full`); otherwise size only. */
  hash: boolean;
}

export async function planOrder(
  collection: AmbitaOrderCollection,
  stored: ReadonlyMap<string, StoredAssetRow>,
  folder: string,
  disk: DiskCheck,
): Promise<OrderPlan> {
  const orderId = collection.id;
  const status = collection.status.toUpperCase();
  const gone = REMOVED_ORDER_STATUSES.has(status);
  const plan: OrderPlan = {
    orderId,
    order: {
      status,
      priceNet: collection.priceNet ?? null,
      priceVat: collection.priceVat ?? null,
      dateOrdered: parseAmbitaDate(collection.dateOrdered),
      dateStatus: parseAmbitaDate(collection.dateStatus),
      reference: collection.reference,
    },
    filesRemoved: gone,
    downloads: [],
    removals: [],
    unchanged: 0,
    unknownStatus: [],
  };
  const found = flattenAssets(collection);
  const listed = new Set(found.map((a) => a.assetId));
  for (const asset of found) {
    const row = stored.get(asset.assetId);
    const path = assetRelativePath(folder, orderId, asset);
    if (gone) {
      const reason = status === 'REFUNDED' ? 'order-refunded' : 'order-cancelled';
      if (row?.state === 'stored') plan.removals.push({ asset, assetId: asset.assetId, path: row.path, state: 'removed', reason, hadFile: true });
      // No row, yet a file under this asset's own path: a run killed between its rename and its row (pipeline.ts)
      // left it. The order is read for the last time now, so this is the only chance to take it away.
      else if (!row && (await onDisk(disk.root, path))) plan.removals.push({ asset, assetId: asset.assetId, path, state: 'removed', reason, hadFile: true });
      else plan.unchanged++;
    } else if (asset.assetStatus === 'DELETED') {
      if (row?.state === 'deleted' || row?.state === 'removed') plan.unchanged++;
      else plan.removals.push({ asset, assetId: asset.assetId, path: row?.path ?? path, state: 'deleted', reason: 'asset-deleted', hadFile: row?.state === 'stored' });
    } else if (asset.assetStatus === 'OK') {
      if (row?.state !== 'stored' || !row.path) plan.downloads.push({ asset, path, reason: 'new' });
      else {
        const problem = await checkOnDisk(disk, row);
        if (problem) plan.downloads.push({ asset, path, reason: problem });
        else plan.unchanged++;
      }
    } else {
      plan.unknownStatus.push(`${asset.assetId}: ${asset.assetStatus}`);
    }
  }
  for (const row of stored.values()) {
    if (row.state === 'stored' && !listed.has(row.asset_id)) {
      plan.removals.push({ asset: null, assetId: row.asset_id, path: row.path, state: 'removed', reason: gone ? (status === 'REFUNDED' ? 'order-refunded' : 'order-cancelled') : 'asset-gone', hadFile: true });
    }
  }
  return plan;
}

async function onDisk(root: string, relativePath: string): Promise<boolean> {
  return stat(safeJoin(root, ...relativePath.split('/'))).then(
    () => true,
    () => false,
  );
}

async function checkOnDisk(disk: DiskCheck, row: StoredAssetRow): Promise<'missing-on-disk' | 'changed-on-disk' | undefined> {
  const abs = safeJoin(disk.root, ...row.path!.split('/'));
  let size: number;
  try {
    size = (await stat(abs)).size;
  } catch {
    return 'missing-on-disk';
  }
  if (row.size !== null && size !== row.size) return 'changed-on-disk';
  if (disk.hash && row.sha256 && (await hashFile(abs)).sha256 !== row.sha256) return 'changed-on-disk';
  return undefined;
}

/** Removes a mirrored file; absent already is fine (a crash may have removed it before its row was marked). */
export async function removeFile(root: string, relativePath: string): Promise<void> {
  await rm(safeJoin(root, ...relativePath.split('/')), { force: true });
}
