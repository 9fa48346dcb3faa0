/**
 * The sandbox's side of Maasplassen authentication: key normalisation and HMAC verification. Deliberately
 * independent of the client's signing code, so a shared mistake cannot make both sides agree on a wrong answer.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Dashes and whitespace are ignored when the service compares keys (`+`/`%20` arrive here already decoded). */
export function normaliseKey(apikey: string): string {
  return apikey.replace(/[\s-]/g, '');
}

/** HMAC-SHA256, lowercase hex, keyed with the whole secret including its `sk.` prefix. */
export function signString(secret: string, signed: string): string {
  return createHmac('sha256', secret).update(signed, 'utf8').digest('hex');
}

/**
 * The string a request signs: the `payload` form value when present (as decoded from the form, never
 * re-serialised), else the request path exactly as received (no host, no query, trailing slash kept).
 */
export function signedString(rawPath: string, form: URLSearchParams): string {
  const payload = form.get('payload');
  return payload !== null ? payload : rawPath;
}

/** Constant-time comparison; a different length is a mismatch without comparing. Hex must be lowercase. */
export function hmacMatches(secret: string, signed: string, given: string): boolean {
  const expected = Buffer.from(signString(secret, signed), 'utf8');
  const actual = Buffer.from(given, 'utf8');
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
