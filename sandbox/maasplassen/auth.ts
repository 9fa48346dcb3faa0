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
 * Which form of the request path the server verifies a path signature over. The vendor document signs "the
 * endpoint without http_host", lists the endpoints with a trailing slash (`post/company/{companyid}/fleet/`),
 * and its example signs `/api/v2/endpoint/` while requesting `/api/v2/endpoint`: so by default the sandbox
 * verifies the path with one trailing slash, however it was sent (`with_slash`). `without_slash` and
 * `as_received` are the other servers koppel's `trailing_slash` setting must cope with.
 */
export type SignedPathForm = 'with_slash' | 'without_slash' | 'as_received';

/**
 * The string a request signs: the `payload` form value when present (as decoded from the form, never
 * re-serialised), else the request path (no host, no query) in the form the server verifies.
 */
export function signedString(rawPath: string, form: URLSearchParams, pathForm: SignedPathForm = 'with_slash'): string {
  const payload = form.get('payload');
  if (payload !== null) return payload;
  if (pathForm === 'as_received') return rawPath;
  const bare = rawPath.replace(/\/+$/, '');
  return pathForm === 'with_slash' ? `${bare}/` : bare;
}

/** Constant-time comparison; a different length is a mismatch without comparing. Hex must be lowercase. */
export function hmacMatches(secret: string, signed: string, given: string): boolean {
  const expected = Buffer.from(signString(secret, signed), 'utf8');
  const actual = Buffer.from(given, 'utf8');
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
