/**
 * When is a remote item "the same" as the catalog's? Field by field after normalising what the wire changes:
 * floats are float32, references and image names compare case-insensitively (note [1]), colors by value.
 */
import { canonicalJson, contentHash } from '../../core/content-hash.js';
import { formatApiColor, parseApiColor } from '../../upstreams/planogrambuilder/limits.js';
import type { AnyItem, ItemKind } from '../../upstreams/planogrambuilder/wire.js';

export function itemKey(kind: ItemKind, reference: string): string {
  return `${kind}:${reference.toLowerCase()}`;
}

/** The names of the image files an item uses. */
export function imagesOf(item: AnyItem): string[] {
  if ('image1' in item) return item.image1 ? [item.image1] : [];
  return item.images;
}

/** Field names in sorted order, per field list: items of a kind all share one, so this is sorted once. */
const sortedFieldsCache = new Map<string, string[]>();

function sortedFields(item: object): string[] {
  const fields = Object.keys(item);
  const id = fields.join(',');
  let sorted = sortedFieldsCache.get(id);
  if (!sorted) sortedFieldsCache.set(id, (sorted = fields.sort()));
  return sorted;
}

/** The item as compared, its fields written in sorted order so hashing takes canonicalJson's native path. */
function normalise(item: AnyItem): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of sortedFields(item)) {
    const value = (item as unknown as Record<string, unknown>)[field];
    if (field === 'reference') out[field] = String(value).toLowerCase();
    else if (field === 'images') out[field] = (value as string[]).map((v) => v.toLowerCase());
    else if (field === 'image1') out[field] = String(value).toLowerCase();
    else if (field === 'color' || field === 'text_color') {
      const n = value === '' ? undefined : parseApiColor(String(value));
      out[field] = n === undefined ? value : formatApiColor(n);
    } else if (typeof value === 'number') out[field] = Math.fround(value);
    else out[field] = value;
  }
  return out;
}

/** Content hash of an item as koppel compares it (the item-state checkpoint). */
export function itemHash(item: AnyItem): string {
  return contentHash(normalise(item));
}

/** Fields whose values differ, with the remote (`from`) and catalog (`to`) values, for the dry-run plan. */
export function changedFields(remote: AnyItem, desired: AnyItem): Record<string, { from: unknown; to: unknown }> {
  const a = normalise(remote);
  const b = normalise(desired);
  const out: Record<string, { from: unknown; to: unknown }> = {};
  for (const field of Object.keys(b)) {
    if (canonicalJson(a[field]) !== canonicalJson(b[field])) {
      out[field] = { from: (remote as unknown as Record<string, unknown>)[field], to: (desired as unknown as Record<string, unknown>)[field] };
    }
  }
  return out;
}
