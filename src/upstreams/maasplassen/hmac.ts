import { createHmac } from 'node:crypto';

/**
 * Maasplassen's signature: HMAC-SHA256, lowercase hex, keyed with the whole secret (its `sk.` prefix
 * included), over the payload string exactly as sent — or over the request path when there is no payload.
 * A string is signed as its UTF-8 bytes (update's default), so a payload already in UTF-8 bytes signs the same.
 */
export function maasplassenSignature(secret: string, message: string | Buffer): string {
  return createHmac('sha256', secret).update(message).digest('hex');
}
