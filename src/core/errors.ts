/**
 * The closed set of error kinds the runner acts on. Clients translate every upstream failure into one of
 * these; the retry policy and the runner decide by kind, never by matching messages.
 */

export interface ErrorContext {
  upstream?: string | undefined;
  op?: string | undefined;
  itemKey?: string | undefined;
  /** Upstream's own error code (HTTP status, gRPC code name, vendor code). */
  code?: string | number | undefined;
  cause?: unknown;
}

export abstract class KoppelError extends Error {
  readonly upstream: string | undefined;
  readonly op: string | undefined;
  readonly itemKey: string | undefined;
  readonly code: string | number | undefined;

  constructor(message: string, ctx: ErrorContext = {}) {
    super(message, ctx.cause === undefined ? undefined : { cause: ctx.cause });
    this.name = new.target.name;
    this.upstream = ctx.upstream;
    this.op = ctx.op;
    this.itemKey = ctx.itemKey;
    this.code = ctx.code;
  }
}

/** Transient: the same call may succeed later (timeouts, 5xx, connection resets). */
export class RetryableError extends KoppelError {}

/** The call will fail the same way again (validation, 4xx, not found); never retried. */
export class PermanentError extends KoppelError {}

/**
 * The upstream refused koppel's credentials or permissions (401/403 on sign-in, a refused token). A
 * PermanentError to the retry policy; pipelines let it end the run at the first refusal, because every further
 * call would be refused alike. `configKeys` are the keys to check, named in the run's summary.
 */
export class CredentialError extends PermanentError {
  readonly configKeys: readonly string[];
  constructor(message: string, configKeys: readonly string[], ctx: ErrorContext = {}) {
    super(message, ctx);
    this.configKeys = configKeys;
  }
}

/** The session is gone (token expired or revoked): reconnect once, then retry. */
export class NotConnectedError extends KoppelError {}

/**
 * The upstream asked us to slow down (429 with Retry-After) or stop (402, daily cap). `waitMs` is how long;
 * `Infinity` means "not before a human acts or the day turns", so it is never retried within a run.
 */
export class BackOffError extends KoppelError {
  readonly waitMs: number;
  constructor(message: string, waitMs: number, ctx: ErrorContext = {}) {
    super(message, ctx);
    this.waitMs = waitMs;
  }
}

/** Bad config or bad usage: exit code 2, message names the key path. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Any throw becomes an Error; unknown errors are treated as retryable once by the retry policy. */
export function coerceError(err: unknown): Error {
  if (err instanceof Error) return err;
  if (typeof err === 'string') return new Error(err);
  try {
    return new Error(`Non-error thrown: ${JSON.stringify(err)}`);
  } catch {
    return new Error(`Non-error thrown: ${String(err)}`);
  }
}

/** One of the closed set of error kinds the runner acts on (see the classes above). */
export function isKoppelError(err: unknown): err is KoppelError {
  return err instanceof KoppelError;
}
