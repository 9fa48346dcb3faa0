import PQueue from 'p-queue';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { KoppelEvents } from './events.js';
import { BackOffError, coerceError } from './errors.js';
import { type RetryPolicy, retryPolicySchema, withRetry } from './retry.js';
import { runIdOf } from './run-signal.js';

/** Rate limit of one upstream, shared by every pipeline in the process. */
export interface RateLimit {
  /** Calls in flight at once. */
  readonly concurrency: number;
  /** Calls started per second (fractions allowed: 0.5 = one every 2 s). */
  readonly per_second: number;
}

/** An upstream's own default rate and the vendor document it rests on (shown by `config check`). */
export interface RateDefault extends RateLimit {
  readonly basis: string;
}

/** The effective rate of an upstream, and where it came from: "config", or "default for <upstream> (<basis>)". */
export interface EffectiveRate extends RateLimit {
  readonly source: string;
}

const rateKeys = {
  concurrency: z.number().int().min(1).max(256).describe('calls in flight at once'),
  per_second: z.number().positive().max(10_000).describe('calls started per second'),
};

/** `rate: {concurrency, per_second}`; a key left out takes the upstream's own default, and the source says so. */
export function rateLimitSchema(upstream: string, defaults: RateDefault) {
  const byDefault = `default for ${upstream} (${defaults.basis})`;
  return z
    .object({ concurrency: rateKeys.concurrency.optional(), per_second: rateKeys.per_second.optional() })
    .strict()
    .optional()
    .transform((given = {}): EffectiveRate => {
      const fromDefault = (['concurrency', 'per_second'] as const).filter((k) => given[k] === undefined);
      const source = fromDefault.length === 0 ? 'config' : fromDefault.length === 2 ? byDefault : `config; ${fromDefault[0]}: ${byDefault}`;
      return { concurrency: given.concurrency ?? defaults.concurrency, per_second: given.per_second ?? defaults.per_second, source };
    });
}

/** Keys every upstream config shares (`upstreams.<name>.rate`, `.retry`, `.timeout_ms`); `rate` defaults per upstream. */
export function upstreamCallOptionsSchema(upstream: string, defaultRate: RateDefault) {
  return {
    rate: rateLimitSchema(upstream, defaultRate),
    retry: retryPolicySchema.prefault({}),
    /** Deadline for one call (one attempt). @default 30000 */
    timeout_ms: z.number().int().min(100).max(3_600_000).default(30_000).describe('deadline of one attempt in ms'),
  };
}

export interface CallOptions {
  /**
   * Aborts the call (its wait for a queue slot, its backoff, its attempt). A run's signal also names the run the
   * call is for (run-signal.ts), so the call's retry warnings go to that run's journal.
   */
  signal?: AbortSignal | undefined;
  /** See RetryHooks.reconnect. */
  reconnect?: (() => Promise<void>) | undefined;
  /**
   * false: `signal` only names the run; it aborts nothing. For an order, which an abort once sent would leave
   * with its outcome unknown. @default true
   */
  abortable?: boolean | undefined;
  /**
   * true: one call made for every run that needs its result (a cached token): its retry warnings name no run,
   * so they go to the process log only, not to the journal of whichever run happened to ask first. @default false
   */
  shared?: boolean | undefined;
}

/**
 * The only way an upstream is called: one p-queue (concurrency + calls per interval) and the one retry policy.
 * Every attempt takes a queue slot, so retries spend the same rate budget as first attempts, and a
 * Retry-After pauses the whole queue, not just the caller that saw it.
 */
export class UpstreamGateway {
  readonly upstream: string;
  readonly #queue: PQueue;
  readonly #policy: RetryPolicy;
  readonly #events: KoppelEvents;
  readonly #log: Logger | undefined;
  /** The queue is paused until this time (ms epoch) because the upstream asked us to back off; 0 = not paused. */
  #pausedUntil = 0;
  /** Set while paused: the timer that restarts the queue at #pausedUntil. */
  #resumeTimer: NodeJS.Timeout | undefined;

  constructor(upstream: string, rate: RateLimit, policy: RetryPolicy, events: KoppelEvents, log?: Logger) {
    this.upstream = upstream;
    this.#log = log;
    this.#policy = policy;
    this.#events = events;
    const everyMs = rate.per_second >= 1 ? 1000 : Math.ceil(1000 / rate.per_second);
    const cap = rate.per_second >= 1 ? Math.floor(rate.per_second) : 1;
    this.#queue = new PQueue({ concurrency: rate.concurrency, interval: everyMs, intervalCap: cap });
    this.#queue.on('next', () => this.#emitDepth());
    this.#queue.on('add', () => this.#emitDepth());
  }

  /** Runs one upstream operation through the queue, with retries. `op` names it in metrics and errors. */
  call<T>(op: string, fn: (signal: AbortSignal | undefined) => Promise<T>, options: CallOptions = {}): Promise<T> {
    const signal = options.abortable === false ? undefined : options.signal;
    return this.#retried(op, () => this.#attempt(op, fn, signal), signal, options);
  }

  /**
   * `call` for an operation whose last part needs the upstream no more (a received file written to disk):
   * `finish` runs once the attempt's queue slot is free, so the upstream's next call does not wait for it, and
   * a failure there is retried as the attempt's own would be.
   */
  callThen<T, U>(op: string, fn: (signal: AbortSignal | undefined) => Promise<T>, finish: (result: T) => Promise<U>, options: CallOptions = {}): Promise<U> {
    const signal = options.abortable === false ? undefined : options.signal;
    return this.#retried(op, () => this.#attempt(op, fn, signal).then(finish), signal, options);
  }

  #retried<T>(op: string, attempt: () => Promise<T>, signal: AbortSignal | undefined, options: CallOptions): Promise<T> {
    return withRetry(attempt, this.#policy, {
      signal,
      reconnect: options.reconnect,
      onRetry: ({ attempt: n, delayMs, reason, error }) => {
        // The logger is shared by every run: the call's signal names the run, whose journal keeps the line.
        const runId = options.shared ? undefined : runIdOf(options.signal);
        this.#log?.warn({ ...(runId === undefined ? {} : { runId }), op, attempt: n, delayMs, reason, err: { type: error.name, message: error.message } }, 'upstream call failed, retrying');
        this.#events.emit('upstream:backoff', { upstream: this.upstream, op, attempt: n, delayMs, reason });
      },
    });
  }

  /** Calls queued or running. */
  get depth(): number {
    return this.#queue.size + this.#queue.pending;
  }

  /** Resolves when no call is running (used by graceful shutdown). */
  async drain(): Promise<void> {
    await this.#queue.onIdle();
  }

  #attempt<T>(op: string, fn: (signal: AbortSignal | undefined) => Promise<T>, signal?: AbortSignal): Promise<T> {
    return this.#queue.add(() => this.#run(op, fn, signal), { signal }) as Promise<T>;
  }

  /** One attempt in its slot: the request metric, and a pause of the queue when the upstream asks to back off. */
  async #run<T>(op: string, fn: (signal: AbortSignal | undefined) => Promise<T>, signal: AbortSignal | undefined): Promise<T> {
    const started = performance.now();
    try {
      const result = await fn(signal);
      this.#events.emit('upstream:request', { upstream: this.upstream, op, durationMs: performance.now() - started, ok: true });
      return result;
    } catch (thrown) {
      const error = coerceError(thrown);
      this.#events.emit('upstream:request', { upstream: this.upstream, op, durationMs: performance.now() - started, ok: false, errorKind: error.name });
      // Only a wait the policy will sit out pauses the queue; a longer one fails this call and nothing else.
      if (error instanceof BackOffError && error.waitMs <= this.#policy.max_retry_after_ms) this.#pauseFor(error.waitMs);
      throw error;
    }
  }

  #pauseFor(ms: number): void {
    const until = Date.now() + ms;
    if (until <= this.#pausedUntil) return;
    this.#pausedUntil = until;
    this.#queue.pause();
    this.#armResume();
  }

  #armResume(): void {
    clearTimeout(this.#resumeTimer);
    // Timers may fire a little early against Date.now(): re-arm until the pause has really passed.
    this.#resumeTimer = setTimeout(() => {
      if (Date.now() < this.#pausedUntil) return this.#armResume();
      this.#pausedUntil = 0;
      this.#resumeTimer = undefined;
      this.#queue.start();
    }, Math.max(1, this.#pausedUntil - Date.now()));
  }

  #emitDepth(): void {
    this.#events.emit('upstream:queue', { upstream: this.upstream, size: this.#queue.size, pending: this.#queue.pending });
  }
}
