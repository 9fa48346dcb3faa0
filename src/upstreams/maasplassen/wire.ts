/**
 * The bytes of a signed call as they go out and the part of the answer koppel reads: what the transport does per
 * request, kept apart from the client's API. The form is exactly what URLSearchParams would send, minus its cost.
 */

/**
 * The form body `payload=<payload>&hmac=<hmac>` (or `hmac=<hmac>` for a signed path), as a Buffer: written to the
 * socket as it is, off the JS heap while the call is in flight (a string of ~50 kB per request would be copied by
 * every young-generation collection it lives through, and encoded once more when sent).
 */
export function signedForm(payload: string | undefined, hmac: string): Buffer {
  if (payload === undefined) return Buffer.from(`hmac=${hmac}`, 'latin1');
  // encodeURIComponent is a valid form encoding (the server decodes the same string) and its output is ASCII.
  const encoded = encodeURIComponent(payload);
  const body = Buffer.allocUnsafe(PAYLOAD.length + encoded.length + HMAC.length + hmac.length);
  let at = body.write(PAYLOAD, 0, 'latin1');
  at += body.write(encoded, at, 'latin1');
  at += body.write(HMAC, at, 'latin1');
  body.write(hmac, at, 'latin1');
  return body;
}

const PAYLOAD = 'payload=';
const HMAC = '&hmac=';
const ECHO = Buffer.from('"original_payload":', 'latin1');

/**
 * The answer's text to parse, with the service's echo of the payload (`meta.original_payload`, as large as the
 * request) replaced by `null` when it is byte for byte what was sent: koppel reads only `error` and `meta`'s
 * status and message, and decoding the echo was half the cost of an answer. The payload is valid JSON, so the
 * text parses exactly when the original does. Any other echo is left in place. Both are bytes (UTF-8), so the
 * echo is compared and skipped without being decoded, and neither is held on the JS heap while the call is in
 * flight; the cuts fall next to ASCII characters, so the text is what decoding the whole answer would give.
 */
export function withoutEcho(body: Buffer, payload: Buffer): string {
  const at = body.indexOf(ECHO);
  if (at < 0) return body.toString('utf8');
  const from = at + ECHO.length;
  const to = from + payload.length;
  if (to > body.length || !payload.equals(body.subarray(from, to))) return body.toString('utf8');
  return `${body.toString('utf8', 0, from)}null${body.toString('utf8', to)}`;
}
