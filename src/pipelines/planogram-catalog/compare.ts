/**
 * When is a remote item "the same" as the catalog's? Field by field after normalising what the wire changes:
 * floats are float32, references and image names compare case-insensitively (note [1]), colors by value.
 */
import { hash } from 'node:crypto';
import { tuningOff } from '../../core/bench-switch.js';
import { canonicalJson, contentHash } from '../../core/content-hash.js';
import { formatApiColor, parseApiColor } from '../../upstreams/planogrambuilder/limits.js';
import type { AnyItem, ItemKind } from '../../upstreams/planogrambuilder/wire.js';
import { FP_BYTES, Murmur128 } from './fingerprint.js';

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
  /** Per sorted field, its position in `keys` (and so in `Object.values` of the item). */
  order: number[];
  /** Per sorted field, the words the item hash writes for its name. */
  names: Uint32Array[];
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

/** What the item hash writes before each value (and before each field name, and after an object). */
const Tag = { NULL: 1, FALSE: 2, TRUE: 3, FLOAT32: 4, FLOAT64: 5, TEXT: 6, LIST: 7, OBJECT: 8, KEY: 9, END: 10 } as const;

// Items of a kind all share one shape (the decoder's and the mapper's), so the work of sorting and choosing
// normalisers is done once per shape; the last shape is checked first, key by key, without building a lookup key.
const shapes = new Map<string, Shape>();
let lastShape: Shape | undefined;

/** The same keys in the same order (the check that lets a cached shape serve the next object). */
function sameKeys(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((k, i) => k === b[i]);
}

function shapeOf(item: object): Shape {
  const keys = Object.keys(item);
  const last = lastShape;
  if (last && sameKeys(last.keys, keys)) return last;
  const id = keys.join(',');
  let shape = shapes.get(id);
  if (!shape) {
    const sorted = [...keys].sort();
    const names = sorted.map((field) => {
      const words = new Murmur128();
      words.word(Tag.KEY);
      words.text(field);
      return words.collected();
    });
    shapes.set(id, (shape = { keys, sorted, normalisers: sorted.map(normaliserOf), order: sorted.map((f) => keys.indexOf(f)), names }));
  }
  return (lastShape = shape);
}

/** The item as compared (for listing changed fields), its fields in sorted order. */
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

/**
 * The bench's "without" (KOPPEL_BENCH_WITHOUT=murmur): the plain way, every pipeline's contentHash (sha256 of
 * canonical JSON) of the normalised item. MurmurHash3 stays because it pays: bench/REPORT.md, planogram-catalog.
 */
const withoutMurmur = tuningOff('murmur');

/** The bytes of an item hash: 128 bits, like the reference fingerprint. */
export const ITEM_HASH_BYTES = FP_BYTES;

/**
 * The item's content hash (the item-state checkpoint, and what plan compares): its normalised fields in sorted
 * order, each value tagged with its type, fed straight into a 128-bit MurmurHash3. Two items hash equal exactly
 * when their normalised canonical JSON is equal (an undefined field counts as absent, a non-finite number as
 * null, -0 as 0), but no JSON text or normalised copy is built: a re-run that reads the catalog file is ~20 %
 * faster than with contentHash (bench/REPORT.md, planogram-catalog --tunings). It is not a defence against someone crafting collisions, and needs none: it only tells an
 * item's versions apart.
 */
export function itemHashInto(item: AnyItem, out: Uint8Array, offset: number): void {
  if (withoutMurmur) return out.set(hash('sha256', canonicalJson(normalise(item)), 'buffer').subarray(0, ITEM_HASH_BYTES), offset);
  const { order, normalisers, names } = shapeOf(item);
  // One native call for every value, in `keys` order, instead of a keyed lookup per field.
  const values = Object.values(item);
  hasher.reset();
  for (let i = 0; i < order.length; i++) {
    const value = values[order[i]!];
    if (value === undefined) continue;
    hasher.words(names[i]!);
    const normaliser = normalisers[i];
    if (normaliser) feed(normaliser(value));
    else if (typeof value === 'number') feedFloat32(value);
    else feed(value);
  }
  hasher.word(Tag.END);
  hasher.digestInto(out, offset);
}

/** `itemHashInto` as hex (what item state stores). */
export function itemHash(item: AnyItem): string {
  if (withoutMurmur) return contentHash(normalise(item));
  itemHashInto(item, scratch, 0);
  return Buffer.from(scratch.buffer, scratch.byteOffset, ITEM_HASH_BYTES).toString('hex');
}

const hasher = new Murmur128();
const scratch = new Uint8Array(ITEM_HASH_BYTES);
const f32 = new Float32Array(1);
const f32Bits = new Uint32Array(f32.buffer);
const f64 = new Float64Array(1);
const f64Bits = new Uint32Array(f64.buffer);

/** A number as the wire's float32 (what JSON of `Math.fround(value)` told apart). */
function feedFloat32(value: number): void {
  if (!Number.isFinite(value)) return hasher.word(Tag.NULL);
  f32[0] = value === 0 ? 0 : value;
  hasher.word(Tag.FLOAT32);
  hasher.word(f32Bits[0]!);
}

/** The keys of a nested object (a classification) in sorted order; its shape repeats item after item. */
let lastKeys: { keys: string[]; sorted: string[] } = { keys: [], sorted: [] };
function sortedKeys(value: object): string[] {
  const keys = Object.keys(value);
  const last = lastKeys;
  if (sameKeys(last.keys, keys)) return last.sorted;
  lastKeys = { keys, sorted: [...keys].sort() };
  return lastKeys.sorted;
}

function feed(value: unknown): void {
  switch (typeof value) {
    case 'string':
      hasher.word(Tag.TEXT);
      return hasher.text(value);
    case 'number':
      if (!Number.isFinite(value)) return hasher.word(Tag.NULL);
      f64[0] = value === 0 ? 0 : value;
      hasher.word(Tag.FLOAT64);
      hasher.word(f64Bits[0]!);
      return hasher.word(f64Bits[1]!);
    case 'boolean':
      return hasher.word(value ? Tag.TRUE : Tag.FALSE);
    case 'object':
      if (value === null) return hasher.word(Tag.NULL);
      if (Array.isArray(value)) {
        hasher.word(Tag.LIST);
        hasher.word(value.length);
        for (const v of value) feed(v === undefined ? null : v);
        return;
      }
      hasher.word(Tag.OBJECT);
      for (const key of sortedKeys(value)) {
        const v = (value as Record<string, unknown>)[key];
        if (v === undefined) continue;
        hasher.word(Tag.KEY);
        hasher.text(key);
        feed(v);
      }
      return hasher.word(Tag.END);
    default:
      // undefined, functions, symbols: what JSON leaves out of an array as null
      return hasher.word(Tag.NULL);
  }
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
