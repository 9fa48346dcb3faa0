import { createHash } from 'node:crypto';

/** sha256 of a value's canonical JSON (object keys sorted), so equal content always hashes equal. */
export function contentHash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}

/**
 * `JSON.stringify` with object keys sorted, byte for byte what `JSON.stringify` would write for the sorted
 * object. Written out by hand because it runs for every item of every run: building sorted copies through a
 * replacer cost several times more (allocations and GC) on 100k-item catalogs.
 */
export function canonicalJson(value: unknown): string {
  return write(value, false) ?? 'null';
}

/** Returns undefined where JSON.stringify would omit the value (undefined, functions, symbols). */
function write(value: unknown, inArray: boolean): string | undefined {
  if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    value = (value as { toJSON(): unknown }).toJSON();
  }
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      throw new TypeError('Do not know how to serialize a BigInt');
    case 'undefined':
    case 'function':
    case 'symbol':
      return inArray ? 'null' : undefined;
  }
  if (value === null) return 'null';
  if (Array.isArray(value)) return `[${value.map((v) => write(v, true)).join(',')}]`;
  const obj = value as Record<string, unknown>;
  // Sorted, except that integer-like keys come first in numeric order: that is how a JS object (and so the
  // JSON.stringify of a sorted copy) orders them. Object.keys already lists those first, in that order, so only
  // the rest needs sorting, and usually it is sorted already (items built field by field in a fixed order).
  const keys = Object.keys(obj);
  let firstName = 0;
  while (firstName < keys.length && isIndexKey(keys[firstName]!)) firstName++;
  for (let i = firstName + 1; i < keys.length; i++) {
    if (keys[i - 1]! > keys[i]!) {
      const names = keys.splice(firstName).sort();
      keys.push(...names);
      break;
    }
  }
  let out = '';
  for (const key of keys) {
    const v = write(obj[key], false);
    if (v === undefined) continue;
    out += `${out ? ',' : ''}${JSON.stringify(key)}:${v}`;
  }
  return `{${out}}`;
}

function isIndexKey(key: string): boolean {
  const c = key.charCodeAt(0);
  return c >= 48 && c <= 57 && /^(0|[1-9]\d{0,9})$/.test(key) && Number(key) < 4294967295;
}
