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
const ECHO = '"original_payload":';

/**
 * The answer's text to parse, with the service's echo of the payload (`meta.original_payload`, as large as the
 * request) replaced by `null` when it is byte for byte what was sent: koppel reads only `error` and `meta`'s
 * status and message, and decoding the echo was half the cost of an answer. The payload is valid JSON, so the
 * text parses exactly when the original does. Any other echo is left in place.
 */
export function withoutEcho(text: string, payload: string): string {
  const at = text.indexOf(ECHO);
  if (at < 0) return text;
  const from = at + ECHO.length;
  return text.startsWith(payload, from) ? `${text.slice(0, from)}null${text.slice(from + payload.length)}` : text;
}
