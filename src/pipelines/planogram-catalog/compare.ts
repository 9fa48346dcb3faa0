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

/** How one field is compared: a function of its value, or undefined for the default (numbers as float32). */
type FieldNormaliser = ((value: unknown) => unknown) | undefined;

/** An item shape (its field names, as Object.keys lists them): the fields in sorted order and how each compares. */
interface Shape {
  keys: string[];
  sorted: string[];
  normalisers: FieldNormaliser[];
}

const lowerCase = (value: unknown): unknown => String(value).toLowerCase();
const lowerCaseAll = (value: unknown): unknown => (value as string[]).map((v) => v.toLowerCase());
/** Already `0x` + eight upper-case hex digits: what formatApiColor writes, so parsing it back changes nothing. */
const FORMATTED_COLOR = /^0x[0-9A-F]{8}$/;
const colorValue = (value: unknown): unknown => {
  if (typeof value === 'string' && FORMATTED_COLOR.test(value)) return value;
  const n = value === '' ? undefined : parseApiColor(String(value));
  return n === undefined ? value : formatApiColor(n);
};

function normaliserOf(field: string): FieldNormaliser {
  if (field === 'reference' || field === 'image1') return lowerCase;
  if (field === 'images') return lowerCaseAll;
  if (field === 'color' || field === 'text_color') return colorValue;
  return undefined;
}

// Items of a kind all share one shape (the decoder's and the mapper's), so the work of sorting and choosing
// normalisers is done once per shape; the last shape is checked first, key by key, without building a lookup key.
const shapes = new Map<string, Shape>();
let lastShape: Shape | undefined;

function shapeOf(item: object): Shape {
  const keys = Object.keys(item);
  const last = lastShape;
  if (last && last.keys.length === keys.length && keys.every((k, i) => k === last.keys[i])) return last;
  const id = keys.join(',');
  let shape = shapes.get(id);
  if (!shape) {
    const sorted = [...keys].sort();
    shapes.set(id, (shape = { keys, sorted, normalisers: sorted.map(normaliserOf) }));
  }
  return (lastShape = shape);
}

/** The item as compared, its fields written in sorted order so hashing takes canonicalJson's native path. */
function normalise(item: AnyItem): Record<string, unknown> {
  const { sorted, normalisers } = shapeOf(item);
  const out: Record<string, unknown> = {};
  for (let i = 0; i < sorted.length; i++) {
    const field = sorted[i]!;
    const value = (item as unknown as Record<string, unknown>)[field];
    const normaliser = normalisers[i];
    out[field] = normaliser ? normaliser(value) : typeof value === 'number' ? Math.fround(value) : value;
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
