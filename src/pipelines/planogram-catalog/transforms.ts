/**
 * Value transforms for catalog cells: decimal commas, units, booleans, enums and colors. Each returns the value
 * in the API's form or throws a `CellError` whose message is the rejection reason.
 */
import { formatApiColor, MAX_COLOR, parseApiColor } from '../../upstreams/planogrambuilder/limits.js';

export class CellError extends Error {}

export type DecimalStyle = 'auto' | 'comma' | 'dot';
export type Unit = 'mm' | 'cm' | 'm';

const TO_CM: Record<Unit, number> = { mm: 0.1, cm: 1, m: 100 };

/**
 * Parses a spreadsheet number. `auto`: a lone comma is a decimal comma (`12,5`); with both marks the last one is
 * the decimal separator (`1.234,5` and `1,234.5`). Spaces (thousands) are ignored.
 */
export function parseDecimal(text: string, style: DecimalStyle = 'auto'): number {
  let t = text.replace(/[\s\u00a0\u202f]/g, '');
  if (style === 'comma' || (style === 'auto' && t.includes(',') && (!t.includes('.') || t.lastIndexOf(',') > t.lastIndexOf('.')))) {
    t = t.replace(/\./g, '').replace(',', '.');
  } else {
    t = t.replace(/,/g, '');
  }
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t)) throw new CellError(`"${text}" is not a number`);
  return Number(t);
}

/** A dimension in cm as the API stores it (float32), from a cell in `unit`. */
export function toCentimetres(text: string, unit: Unit, style: DecimalStyle): number {
  return Math.fround(parseDecimal(text, style) * TO_CM[unit]);
}

const TRUE_WORDS = new Set(['ja', 'j', 'yes', 'y', '1', 'true', 'waar', 'x', 'on']);
const FALSE_WORDS = new Set(['nee', 'n', 'no', '0', 'false', 'onwaar', 'off', '-']);

/** `ja/nee`, `yes/no`, `1/0`, `true/false` (any case), plus a mapping's own words. */
export function parseBoolean(text: string, own?: Record<string, boolean>): boolean {
  const key = text.trim().toLowerCase();
  if (own) for (const [word, value] of Object.entries(own)) if (word.toLowerCase() === key) return value;
  if (TRUE_WORDS.has(key)) return true;
  if (FALSE_WORDS.has(key)) return false;
  throw new CellError(`"${text}" is not a yes/no value`);
}

/**
 * An enum value: the mapping's own words first, then the API name (`PB_PEGGED`) or its plain form (`pegged`,
 * `bay header`, `ondisplay`), case-insensitive.
 */
export function parseEnum(text: string, allowed: readonly string[], own?: Record<string, string>): string {
  const key = text.trim().toLowerCase();
  if (own) for (const [word, value] of Object.entries(own)) if (word.toLowerCase() === key) return value;
  const plain = (name: string) => name.replace(/^[A-Z]+_/, '').replace(/_/g, ' ').toLowerCase();
  const squash = (s: string) => s.replace(/[\s_-]/g, '');
  const found = allowed.find((name) => name.toLowerCase() === key || plain(name) === key || squash(plain(name)) === squash(key));
  // In the user's words: the mapping's own values when it has them, the API's names only when it has none.
  if (!found) throw new CellError(`"${text}" is not one of ${own && Object.keys(own).length ? Object.keys(own).join(', ') : allowed.map(plain).join(', ')}`);
  return found;
}

/**
 * A color in the API's form (`0xAARRGGBB`): `#RGB` and `#RRGGBB` become opaque, `#AARRGGBB`, `0x…` hex and
 * decimal are taken as ARGB. Empty stays empty (no color).
 */
export function parseColor(text: string): string {
  const t = text.trim();
  if (t === '') return '';
  const hash = /^#([0-9a-f]{3}|[0-9a-f]{6}|[0-9a-f]{8})$/i.exec(t);
  if (hash) {
    let hex = hash[1]!;
    if (hex.length === 3) hex = [...hex].map((c) => c + c).join('');
    if (hex.length === 6) hex = `FF${hex}`;
    return formatApiColor(Number.parseInt(hex, 16));
  }
  const n = parseApiColor(t);
  if (n === undefined || n > MAX_COLOR) throw new CellError(`"${text}" is not a color (#RRGGBB, 0xAARRGGBB or a number up to 4294967295)`);
  return formatApiColor(n);
}
