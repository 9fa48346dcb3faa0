/**
 * Planviewer failures in the core's closed set. Three need their own class because the pipeline acts on
 * them for money safety; every other status becomes a plain kind with `code` = the HTTP status.
 */
import { BackOffError, CredentialError, type ErrorContext, PermanentError, RetryableError } from '../../core/errors.js';
import { httpStatusError } from '../../core/http-request.js';
import { DAILY_CAP_MESSAGE, errorMessage } from './api.js';

const UPSTREAM = 'planviewer';

/** `code` of a PermanentError for a 2xx answer whose body does not have the documented shape. */
export const UNEXPECTED_ANSWER = 'unexpected-answer';

/** 429 with the documented body: the account's daily order cap is reached. Nothing was ordered. */
export class PlanviewerDailyCapError extends BackOffError {
  constructor(message: string, ctx: ErrorContext = {}) {
    super(message, Infinity, { upstream: UPSTREAM, code: 429, ...ctx });
  }
}

/** 402: payment on account is off, so no order can be placed until a human enables it. Nothing was ordered. */
export class PlanviewerPaymentRequiredError extends BackOffError {
  constructor(message: string, ctx: ErrorContext = {}) {
    super(message, Infinity, { upstream: UPSTREAM, code: 402, ...ctx });
  }
}

/**
 * The order call failed in a way that does not tell whether Planviewer placed the order (timeout, reset
 * connection, 5xx). Never retried: a human must check the account before the request may be ordered again.
 */
export class PlanviewerOrderOutcomeUnknownError extends PermanentError {}

/** Maps a failed response to the closed set; `body` is the parsed JSON when there was one. */
export function planviewerHttpError(op: string, status: number, headers: Headers, body: unknown, text: string): Error {
  const vendor = errorMessage(body);
  const detail = vendor ?? (text.slice(0, 200) || 'no body');
  const ctx = { upstream: UPSTREAM, op, code: status };
  switch (status) {
    case 400:
      return new PermanentError(`planviewer ${op}: bad request (400): ${detail}`, ctx);
    case 401:
      return new CredentialError(`planviewer ${op}: access key or secret refused (401): ${detail}`, ['upstreams.planviewer.access_key', 'upstreams.planviewer.secret'], ctx);
    case 402:
      return new PlanviewerPaymentRequiredError(
        `planviewer ${op}: payment on account is not enabled (402); ask Planviewer to enable it before ordering`,
        { op },
      );
    case 403:
      return new PermanentError(`planviewer ${op}: not authorised for this job (403): it belongs to another account`, ctx);
    case 404:
      return new PermanentError(`planviewer ${op}: not found (404): the job did not finish (successfully) or does not exist`, ctx);
    case 429:
      // The only documented 429 is the daily cap; a plain rate limit (Retry-After, other body) is backed off normally.
      if (vendor !== undefined && (vendor === DAILY_CAP_MESSAGE || /daily limit/i.test(vendor))) {
        return new PlanviewerDailyCapError(`planviewer ${op}: daily order cap reached (429): ${vendor}`, { op });
      }
      return httpStatusError(status, headers, `planviewer ${op}: too many requests (429)`, ctx);
    default:
      return httpStatusError(status, headers, `planviewer ${op}: HTTP ${status}: ${detail}`, ctx);
  }
}

/**
 * For `jobs/order` only: anything that may have reached Planviewer without a definite answer becomes
 * OrderOutcomeUnknown. A refused connection never reached it, so that alone stays retryable.
 */
export function orderOutcomeError(err: Error): Error {
  const ambiguous =
    err instanceof RetryableError ||
    (err instanceof BackOffError && err.code !== 429 && err.code !== 402) ||
    (err instanceof PermanentError && err.code === UNEXPECTED_ANSWER);
  if (!ambiguous) return err;
  if (connectionRefused(err)) return err;
  return new PlanviewerOrderOutcomeUnknownError(
    `planviewer order: outcome unknown (${err.message}); check the Planviewer account before ordering this again`,
    { upstream: UPSTREAM, op: 'order', code: err.code ?? 'outcome-unknown', cause: err },
  );
}

function connectionRefused(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if ((e as { code?: unknown }).code === 'ECONNREFUSED') return true;
  }
  return false;
}
