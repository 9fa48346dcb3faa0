import { z } from 'zod';
import { BackOffError, CredentialError, PermanentError, RetryableError, type ErrorContext } from '../../core/errors.js';
import { parseRetryAfter } from '../../core/http-request.js';

/** The vendor's error envelope: `{"error": {"type", "message", "code"}}`. */
export const errorEnvelopeSchema = z.object({
  error: z.object({
    type: z.string().default(''),
    message: z.string().default(''),
    code: z.union([z.number(), z.string()]).optional(),
  }),
});

/**
 * The service refused the payload (bad date, unknown boat, bad prizes) and rolled the whole request back.
 * Only the first bad object is named, so the pipeline bisects to find the others.
 */
export class PayloadRejectedError extends PermanentError {}

/**
 * Maps a failed answer to the core's error kinds. 401/403 are credentials or ownership (the run fails; bisecting
 * would only repeat them); a disabled key (503 ApiKeyDisabledException) will not heal by retrying; other 4xx on
 * a payload are rejections; 429 backs off; other 5xx are transient. `hmacHint` says what to check when the
 * service refuses the signature (the caller knows whether the path or the payload was signed).
 */
export function maasplassenError(status: number, headers: Headers, body: unknown, ctx: ErrorContext, hmacHint?: string): Error {
  const parsed = errorEnvelopeSchema.safeParse(body);
  const type = parsed.success ? parsed.data.error.type : '';
  // A proxy's HTML error page (or an empty body) instead of the JSON envelope: say so, it points at the network.
  const notJson = body === undefined ? ` (answer was ${headers.get('content-type')?.split(';')[0]?.trim() || 'empty'}, not JSON)` : '';
  const message = parsed.success ? parsed.data.error.message.trim() : `HTTP ${status}${notJson}`;
  const text = `maasplassen ${ctx.op}: ${message || `HTTP ${status}`}${type ? ` (${type})` : ''}`;
  const full = { ...ctx, upstream: 'maasplassen', code: status };
  if (/ApiKeyDisabled/i.test(type)) return new PermanentError(`${text} — enable the key in the Maasplassen back office`, full);
  if (status === 429) return new BackOffError(text, parseRetryAfter(headers.get('retry-after')) ?? 1000, full);
  if (status >= 500 || status === 408) {
    const wait = parseRetryAfter(headers.get('retry-after'));
    return wait === undefined ? new RetryableError(text, full) : new BackOffError(text, wait, full);
  }
  // A signature the server did not accept: the secret, or for a path signature the form of the path.
  if (status === 401 && hmacHint && /hmac/i.test(`${type} ${message}`) && !/missing/i.test(type)) {
    return new PermanentError(`${text} — ${hmacHint}`, full);
  }
  if (status === 401 || status === 403) {
    return new CredentialError(`${text} — check upstreams.maasplassen apikey, secret and company_id`, ['upstreams.maasplassen.apikey', 'upstreams.maasplassen.secret', 'upstreams.maasplassen.company_id'], full);
  }
  return new PayloadRejectedError(text, full);
}
