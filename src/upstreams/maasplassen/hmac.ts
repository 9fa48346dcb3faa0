import { createHmac } from 'node:crypto';

/**
 * Maasplassen's signature: HMAC-SHA256, lowercase hex, keyed with the whole secret (its `sk.` prefix
 * included), over the payload string exactly as sent — or over the request path when there is no payload.
 */
export function maasplassenSignature(secret: string, message: string): string {
  return createHmac('sha256', secret).update(message, 'utf8').digest('hex');
}
