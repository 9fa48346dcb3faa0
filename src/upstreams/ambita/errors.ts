import { CredentialError, NotConnectedError, PermanentError, RetryableError } from '../../core/errors.js';
import { httpStatusError } from '../../core/http-request.js';
import type { z } from 'zod';

export const UPSTREAM = 'ambita';

/** How much of a failure body goes into an error message. */
export const ERROR_TEXT_LIMIT = 500;

/** A failure answer: its status, headers and (at most ERROR_TEXT_LIMIT bytes of) its body. */
export interface FailedAnswer {
  status: number;
  headers: Headers;
  text: string;
}

/**
 * An Ambita failure status as one of koppel's error kinds. 401 means the access token expired or was revoked
 * (NotConnectedError: the gateway gets a new token once and retries); the rest follows HTTP's usual meaning.
 */
export function ambitaStatusError(res: FailedAnswer, op: string, itemKey?: string): Error {
  const text = res.text;
  const message = `ambita ${op} answered ${res.status}${text ? `: ${text}` : ''}`;
  const ctx = { upstream: UPSTREAM, op, itemKey, code: res.status };
  if (res.status === 401) return new NotConnectedError(message, ctx);
  return httpStatusError(res.status, res.headers, message, ctx);
}

/** The token endpoint refusing our credentials is a config problem, never retried. */
export function tokenError(res: FailedAnswer): Error {
  const text = res.text;
  const ctx = { upstream: UPSTREAM, op: 'token', code: res.status };
  if (res.status === 400 || res.status === 401 || res.status === 403) {
    const keys = ['client_id', 'client_secret', 'username', 'password'].map((k) => `upstreams.ambita.${k}`);
    return new CredentialError(`ambita refused the credentials (${res.status}): check upstreams.ambita client_id/client_secret/username/password${text ? ` — ${text}` : ''}`, keys, ctx);
  }
  return httpStatusError(res.status, res.headers, `ambita token answered ${res.status}`, ctx);
}

/** A 2xx body that does not match the documented shape: Ambita changed something, retrying will not help. */
export function shapeError(op: string, error: z.ZodError, itemKey?: string): PermanentError {
  const first = error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
  return new PermanentError(`ambita ${op} answered an unexpected shape: ${first}`, { upstream: UPSTREAM, op, itemKey, cause: error });
}

/** A body that is not JSON at all is more likely a proxy hiccup than a contract change. */
export function notJsonError(op: string, cause: unknown): RetryableError {
  return new RetryableError(`ambita ${op} answered a body that is not JSON`, { upstream: UPSTREAM, op, cause });
}

/**
 * An order request may have reached Ambita, but we do not know: a timeout, a dropped connection, a 5xx or a
 * broken answer after sending. Still a PermanentError to the runner (never retried); the ordering step
 * recognises it and parks the request for a human, because ordering again could pay twice.
 */
export class OrderOutcomeUnknownError extends PermanentError {}
