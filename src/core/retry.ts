import { z } from 'zod';
import { sleep } from './abortable-sleep.js';
import { BackOffError, NotConnectedError, PermanentError, RetryableError, coerceError } from './errors.js';

/** The one retry policy for every upstream call. */
export const retryPolicySchema = z
  .object({
    /** Attempts per call, the first included. @default 5 */
    max_attempts: z.number().int().min(1).max(20).default(5).describe('attempts per call, the first included'),
    /** First backoff ceiling; doubles each attempt. @default 200 */
    base_delay_ms: z.number().int().min(0).max(60_000).default(200).describe('first backoff ceiling in ms'),
    /** Largest backoff between attempts. @default 30000 */
    max_delay_ms: z.number().int().min(0).max(600_000).default(30_000).describe('largest backoff in ms'),
    /** A Retry-After longer than this is not waited out inside a run: the call fails with BackOffError. @default 120000 */
    max_retry_after_ms: z.number().int().min(0).max(3_600_000).default(120_000).describe('longest Retry-After waited out'),
  })
  .strict();

export type RetryPolicy = z.output<typeof retryPolicySchema>;

export interface RetryHooks {
  signal?: AbortSignal | undefined;
  /** Re-establish a session (sign in again, new token) after NotConnectedError; done at most once per call. */
  reconnect?: (() => Promise<void>) | undefined;
  onRetry?: ((info: { attempt: number; delayMs: number; error: Error; reason: string }) => void) | undefined;
  /** Injectable randomness so tests can pin jitter. */
  random?: () => number;
}

/** Full jitter: a uniform wait in [0, min(max, base * 2^(attempt-1))]. */
export function backoffDelay(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.max_delay_ms, policy.base_delay_ms * 2 ** (attempt - 1));
  return Math.round(random() * ceiling);
}

/**
 * Runs `fn` until it succeeds or the policy says stop:
 * - PermanentError: thrown at once;
 * - BackOffError: waits `waitMs` (+ up to 10 % jitter) when finite and short enough, else thrown;
 * - NotConnectedError: reconnects once, then retries;
 * - RetryableError: exponential backoff with full jitter;
 * - anything else: coerced, and retried once.
 */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, policy: RetryPolicy, hooks: RetryHooks = {}): Promise<T> {
  const random = hooks.random ?? Math.random;
  let reconnected = false;
  let unknownRetried = false;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (thrown) {
      const error = coerceError(thrown);
      if (hooks.signal?.aborted) throw hooks.signal.reason ?? error;
      const last = attempt >= policy.max_attempts;
      let delayMs: number;
      let reason: string;
      if (error instanceof PermanentError) throw error;
      if (error instanceof BackOffError) {
        if (last || !Number.isFinite(error.waitMs)) throw error;
        if (error.waitMs > policy.max_retry_after_ms) throw tooLongToWait(error, policy);
        delayMs = Math.round(error.waitMs * (1 + random() * 0.1));
        reason = 'backoff requested';
      } else if (error instanceof NotConnectedError) {
        if (reconnected || !hooks.reconnect || last) throw error;
        reconnected = true;
        await hooks.reconnect();
        delayMs = 0;
        reason = 'reconnected';
      } else if (error instanceof RetryableError) {
        if (last) throw error;
        delayMs = backoffDelay(policy, attempt, random);
        reason = 'transient error';
      } else {
        if (unknownRetried || last) throw error;
        unknownRetried = true;
        delayMs = backoffDelay(policy, attempt, random);
        reason = 'unexpected error';
      }
      hooks.onRetry?.({ attempt, delayMs, error, reason });
      if (delayMs > 0) await sleep(delayMs, hooks.signal);
    }
  }
}

/**
 * A wait the policy will not take inside a run (a Retry-After of hours would block the run, and with it the
 * pipeline's lock): the same BackOffError, its message saying how long was asked and why it was not waited out,
 * so the operator sees when the upstream wants to be called again.
 */
function tooLongToWait(error: BackOffError, policy: RetryPolicy): BackOffError {
  const asked = error.waitMs >= 120_000 ? `${Math.round(error.waitMs / 1000)} s` : `${error.waitMs} ms`;
  return new BackOffError(
    `${error.message} (the upstream asked to wait ${asked}, longer than retry.max_retry_after_ms ${policy.max_retry_after_ms} ms: not waited out in this run; a later run tries again)`,
    error.waitMs,
    { upstream: error.upstream, op: error.op, itemKey: error.itemKey, code: error.code, cause: error },
  );
}
