/**
 * The documented ranges and lengths of PlanogramBuilder items, in one place: the sandbox answers with them and
 * the catalog pipeline checks rows against them before sending. Lengths count characters (code points).
 */
import type { AnyItem, ItemKind, PlanoErrorCode } from './wire.js';

export const MAX_FILE_BYTES = 5 * 1024 * 1024;
export const MAX_FILENAME = 100;
export const MAX_REFERENCE = 50;
export const MAX_COLOR = 0xffffffff;

/** Characters PlanogramBuilder's help allows in a reference (`#` is reserved); the sandbox refuses others. */
export const REFERENCE_PATTERN = /^[0-9A-Za-z $&@=.,;\-_!^~)(\][}{]+$/;

const STRING_LIMITS: Record<string, number> = {
  reference: MAX_REFERENCE, name: 500, shape: 100, caption: 100, image1: MAX_FILENAME,
  'classification.level1': 50, 'classification.level2': 50, 'classification.level3': 50,
};
const LIST_LIMITS: Record<string, number> = { images: MAX_FILENAME, custom_properties: 500 };

const SIZE: [number, number] = [0, 1e4];
const OFFSET: [number, number] = [-1e4, 1e4];
const NUMBER_RANGES: Record<ItemKind, Record<string, [number, number]>> = {
  product: {
    width: SIZE, height: SIZE, depth: SIZE, facings_deep: [0, 150],
    width_gap: OFFSET, height_gap: OFFSET, depth_gap: OFFSET, lateral_offset: OFFSET, vertical_offset: OFFSET,
  },
  accessory: { width: SIZE, height: SIZE, depth: SIZE, text_height: SIZE },
  material: { tile_width: SIZE, tile_height: SIZE },
};
const COLOR_FIELDS = ['color', 'text_color'];
const INTEGER_FIELDS = ['facings_deep'];

/** One value outside the documented limits; `code` is what the API answers for it. */
export interface Violation {
  field: string;
  code: Extract<PlanoErrorCode, 'PAE_INVALID_ARGUMENT' | 'PAE_OUT_OF_RANGE'>;
  reason: string;
}

function charLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** More than `limit` characters? Code points never outnumber UTF-16 units, so most strings skip the count. */
export function longerThan(s: string, limit: number): boolean {
  return s.length > limit && charLength(s) > limit;
}

/** Parses an API color (decimal or `0x` hex ARGB, empty = unset); undefined when the syntax is bad. */
export function parseApiColor(value: string): number | undefined {
  const v = value.trim();
  if (v === '') return 0;
  const n = /^0x[0-9a-f]{1,8}$/i.test(v) ? Number.parseInt(v.slice(2), 16) : /^\d{1,10}$/.test(v) ? Number(v) : Number.NaN;
  return Number.isFinite(n) ? n : undefined;
}

/** The form koppel sends: `0x` and eight upper-case hex digits (ARGB). */
export function formatApiColor(n: number): string {
  return `0x${n.toString(16).toUpperCase().padStart(8, '0')}`;
}

/** A remote filename is valid when non-empty, at most 100 characters, with no path separator or control character. */
export function filenameProblem(name: string): string | undefined {
  if (name.trim() === '') return 'is empty';
  if (longerThan(name, MAX_FILENAME)) return `is longer than ${MAX_FILENAME} characters`;
  if (/[\\/\u0000-\u001f\u007f]/.test(name) || name === '.' || name === '..') return 'is not a plain file name';
  return undefined;
}

// Walked for every catalog row (plan and apply): the tables' entries are listed once, not per item.
const LIST_ENTRIES = Object.entries(LIST_LIMITS);
const RANGE_ENTRIES = Object.fromEntries(Object.entries(NUMBER_RANGES).map(([kind, ranges]) => [kind, Object.entries(ranges)])) as Record<ItemKind, [string, [number, number]][]>;
const CLASSIFICATION_LEVELS = ['level1', 'level2', 'level3'] as const;

/** Every value of `item` outside the documented limits (empty list = valid). */
export function validateItem(kind: ItemKind, item: AnyItem): Violation[] {
  const out: Violation[] = [];
  const record = item as unknown as Record<string, unknown>;
  const checkLength = (field: string, value: unknown) => {
    const limit = STRING_LIMITS[field]!;
    if (typeof value === 'string' && longerThan(value, limit)) out.push({ field, code: 'PAE_INVALID_ARGUMENT', reason: `longer than ${limit} characters` });
  };
  for (const field of Object.keys(record)) if (Object.hasOwn(STRING_LIMITS, field)) checkLength(field, record[field]);
  if ('classification' in item && item.classification) {
    for (const level of CLASSIFICATION_LEVELS) checkLength(`classification.${level}`, item.classification[level]);
  }
  const reference = item.reference;
  if (reference.trim() === '') out.push({ field: 'reference', code: 'PAE_INVALID_ARGUMENT', reason: 'is empty' });
  else if (!REFERENCE_PATTERN.test(reference)) {
    out.push({ field: 'reference', code: 'PAE_INVALID_ARGUMENT', reason: 'has characters PlanogramBuilder does not allow in a reference' });
  }
  for (const [field, limit] of LIST_ENTRIES) {
    const list = record[field];
    if (!Array.isArray(list)) continue;
    for (let i = 0; i < list.length; i++) {
      const v = list[i] as string;
      if (longerThan(v, limit)) out.push({ field: `${field}[${i}]`, code: 'PAE_INVALID_ARGUMENT', reason: `longer than ${limit} characters` });
      else if (field === 'images' && filenameProblem(v)) out.push({ field: `${field}[${i}]`, code: 'PAE_INVALID_ARGUMENT', reason: `file name ${filenameProblem(v)}` });
    }
  }
  if (kind === 'material' && 'image1' in item && item.image1 !== '' && filenameProblem(item.image1)) {
    out.push({ field: 'image1', code: 'PAE_INVALID_ARGUMENT', reason: `file name ${filenameProblem(item.image1)}` });
  }
  for (const [field, [min, max]] of RANGE_ENTRIES[kind]) {
    const value = record[field];
    if (typeof value !== 'number') continue;
    if (!Number.isFinite(value) || (INTEGER_FIELDS.includes(field) && !Number.isInteger(value))) {
      out.push({ field, code: 'PAE_INVALID_ARGUMENT', reason: INTEGER_FIELDS.includes(field) ? 'is not a whole number' : 'is not a number' });
    } else if (value < min || value > max) {
      // float32 on the wire: show the 7 significant digits it holds, not its binary expansion
      out.push({ field, code: 'PAE_OUT_OF_RANGE', reason: `${Number(value.toPrecision(7))} is outside [${min}, ${max}]` });
    }
  }
  for (const field of COLOR_FIELDS) {
    const value = record[field];
    if (typeof value !== 'string') continue;
    const n = parseApiColor(value);
    if (n === undefined) out.push({ field, code: 'PAE_INVALID_ARGUMENT', reason: `"${value}" is not a color (decimal or 0x hex ARGB)` });
    else if (n > MAX_COLOR) out.push({ field, code: 'PAE_OUT_OF_RANGE', reason: `${value} is outside [0, 0xFFFFFFFF]` });
  }
  return out;
}
