/**
 * What a run that brought the remote catalog fully in step with a catalog file leaves behind for the next run:
 * which file and settings that was (their digest), and the remote catalog it left (a set digest of references
 * and item hashes, set-digest.ts). When the next run finds the same file and settings and lists exactly that
 * remote catalog, its plan is known without reading the file: every row unchanged, the same rows rejected. That
 * is the nightly case of an export that did not change, and it skips parsing, mapping and hashing every row.
 *
 * The snapshot is kept in item state (key `catalog-file:<kind>`, the input digest as its hash). It is voided
 * before an apply changes anything and written again only when apply finished every step, so one that exists
 * always describes the last run that changed something.
 */
import { z } from 'zod';
import { contentHash } from '../../core/content-hash.js';
import { hashFile } from '../../core/file-store.js';
import type { ItemStateStore } from '../../core/item-state.js';
import type { ItemKind } from '../../upstreams/planogrambuilder/wire.js';
import type { CatalogSource } from './catalog-rows.js';
import type { PlanogramCatalogConfig } from './config.js';

/**
 * Part of every input digest. Raise it whenever a release changes what a row or a listed item becomes
 * (mapping, decoding, validation, the item hash), so snapshots written by the old code are not trusted by the new.
 */
const SNAPSHOT_FORMAT = 2;

const snapshotDataSchema = z.object({
  /** The run that left the remote catalog so (its rejections are the file's). */
  run: z.number().int().positive(),
  seen: z.number().int().nonnegative(),
  /** Rows planned as items (valid, first of their reference). */
  accepted: z.number().int().nonnegative(),
  /** The file's rejected rows: that run's rejections from the `firstRejection`-th (0-based), in order. */
  firstRejection: z.number().int().nonnegative(),
  rejected: z.number().int().nonnegative(),
  /** Records the CSV reader could not read (their kind is not pruned while the file stays so), and the first one's line. */
  unread: z.number().int().nonnegative(),
  firstUnread: z.number().int().positive().nullable(),
  /** `ItemStateStore.digest` of the kind's checkpoints as that run left them (lost or stale ones change it). */
  state: z.string(),
  /** `SetDigest` of the remote catalog as the run left it. */
  remote: z.string(),
  /** The image names the rows use, with how many rows use each. */
  images: z.array(z.tuple([z.string(), z.number().int().positive()])),
  /**
   * A listing a later run decoded item by item and found to be `remote`: its digest as received
   * (listing-digest.ts), so the next run that receives the same bytes need not decode them. Absent: no run has
   * listed this catalog since; null: the bytes changed while the items did not (not trusted for this snapshot).
   */
  listed: z.object({ wire: z.string(), remote: z.string() }).nullable().optional(),
});

export type FileSnapshot = z.output<typeof snapshotDataSchema>;

/** A snapshot as the plan drafts it, with the digest of the inputs it is for (the checkpoints' digest comes last). */
export interface KeyedSnapshot {
  input: string;
  data: Omit<FileSnapshot, 'state'>;
}

export function snapshotKey(kind: ItemKind): string {
  return `catalog-file:${kind}`;
}

/** The digest of the kind's item checkpoints (keys `kind:reference`). */
export function checkpointsDigest(state: ItemStateStore, kind: ItemKind): Promise<string> {
  return state.digest(`${kind}:`);
}

/** The digest of everything that decides what the file's rows become: its bytes, its mapping and settings. */
export async function inputDigest(src: CatalogSource, config: PlanogramCatalogConfig): Promise<string> {
  const { sha256, size } = await hashFile(src.file);
  return contentHash({ format: SNAPSHOT_FORMAT, file: { sha256, size }, mapping: src.mapping, csv: src.csv, prune: config.prune, pruneMaxShare: config.prune_max_share });
}

/** The stored snapshot of `kind` when it was made for `input`; anything else (none, voided, unreadable) is undefined. */
export async function loadSnapshot(state: ItemStateStore, kind: ItemKind, input: string): Promise<FileSnapshot | undefined> {
  const stored = (await state.getMany([snapshotKey(kind)])).get(snapshotKey(kind));
  if (!stored || stored.hash !== input) return undefined;
  const parsed = snapshotDataSchema.safeParse(stored.data);
  return parsed.success ? parsed.data : undefined;
}

export async function voidSnapshots(state: ItemStateStore, kinds: ItemKind[]): Promise<void> {
  await state.voidMany(kinds.map(snapshotKey));
}

/** Records on the stored snapshot what a run found listing the catalog it describes (see `listed`). */
export async function recordListing(state: ItemStateStore, kind: ItemKind, input: string, snapshot: FileSnapshot, listed: FileSnapshot['listed']): Promise<void> {
  const data: FileSnapshot = { ...snapshot, listed };
  await state.putMany([{ key: snapshotKey(kind), hash: input, remoteId: null, data }]);
}

/** Stores the snapshot, with the digest of the kind's checkpoints as they are now (apply has written them all). */
export async function saveSnapshot(state: ItemStateStore, kind: ItemKind, snapshot: KeyedSnapshot): Promise<void> {
  const data: FileSnapshot = { ...snapshot.data, state: await checkpointsDigest(state, kind) };
  await state.putMany([{ key: snapshotKey(kind), hash: snapshot.input, remoteId: null, data }]);
}
