import * as crypto from 'node:crypto';

/** sha256 of a value's canonical JSON (object keys sorted), so equal content always hashes equal. */
export function contentHash(value: unknown): string {
  return digestHex('sha256', canonicalJson(value));
}

// The one-shot `crypto.hash` (Node ≥ 20.12) skips building a Hash object per call, which counts where a digest
// is taken for every item of every run. Older Node 20 releases take the streaming API; both give the same bytes.
type OneShotHash = (algorithm: string, data: string, outputEncoding: 'hex' | 'buffer') => string | Buffer;
const oneShot = (crypto as { hash?: OneShotHash }).hash;

/** The digest of a short text, as hex. */
export function digestHex(algorithm: 'sha256' | 'md5', text: string): string {
  return oneShot ? (oneShot(algorithm, text, 'hex') as string) : crypto.createHash(algorithm).update(text).digest('hex');
}

/** The digest of a short text, as bytes. */
export function digestBytes(algorithm: 'sha256' | 'md5', text: string): Buffer {
  return oneShot ? (oneShot(algorithm, text, 'buffer') as Buffer) : crypto.createHash(algorithm).update(text).digest();
}

/**
 * `JSON.stringify` with object keys sorted, byte for byte what `JSON.stringify` would write for the sorted
 * object. Runs for every item of every run, so a value whose keys are already in order (callers that hash
 * often build it so) goes straight to the native `JSON.stringify`; anything else is written out by hand,
 * which still costs less than building sorted copies through a replacer.
 */
export function canonicalJson(value: unknown): string {
  if (inCanonicalOrder(value)) return JSON.stringify(value) ?? 'null';
  return write(value, false) ?? 'null';
}

/** True when `JSON.stringify(value)` already is the canonical form: plain data, every object's keys in order. */
function inCanonicalOrder(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return true;
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return false;
  if (Array.isArray(value)) {
    for (const v of value) if (!inCanonicalOrder(v)) return false;
    return true;
  }
  const keys = Object.keys(value);
  if (firstUnsorted(keys) < keys.length) return false;
  for (const key of keys) if (!inCanonicalOrder((value as Record<string, unknown>)[key])) return false;
  return true;
}

/**
 * Where the canonical order of `keys` (as Object.keys lists them) is broken, or keys.length if it is not.
 * Canonical is sorted, except that integer-like keys come first in numeric order: that is how a JS object (and so
 * the JSON.stringify of a sorted copy) orders them, and Object.keys already lists them first, in that order.
 */
function firstUnsorted(keys: string[]): number {
  let firstName = 0;
  while (firstName < keys.length && isIndexKey(keys[firstName]!)) firstName++;
  for (let i = firstName + 1; i < keys.length; i++) if (keys[i - 1]! > keys[i]!) return firstName;
  return keys.length;
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
  const keys = Object.keys(obj);
  const unsorted = firstUnsorted(keys);
  if (unsorted < keys.length) keys.push(...keys.splice(unsorted).sort());
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
