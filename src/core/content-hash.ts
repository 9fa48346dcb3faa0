import { hash } from 'node:crypto';
import { configure } from 'safe-stable-stringify';

/**
 * How every pipeline tells whether an item changed: the sha256 of its canonical JSON. (The catalog pipeline's
 * item hash is the one exception, for speed: its compare.ts, figures in bench/REPORT.md.)
 */

// Object keys sorted; a cycle throws, as in JSON.stringify, rather than hashing a placeholder two values could share.
const stringify = configure({ deterministic: true, circularValue: TypeError });

/** sha256 hex of a value's canonical JSON, so equal content always hashes equal. */
export function contentHash(value: unknown): string {
  return hashOfCanonicalJson(canonicalJson(value));
}

/** `contentHash` of a value from its canonical JSON, for a caller that writes that JSON faster itself. */
export function hashOfCanonicalJson(json: string): string {
  return hash('sha256', json, 'hex');
}

/** `JSON.stringify` with every object's keys sorted (by UTF-16 code unit). */
export function canonicalJson(value: unknown): string {
  return stringify(value) ?? 'null';
}
