import { BackOffError, PermanentError, RetryableError, type ErrorContext } from './errors.js';

/** How REST clients send a request: fetch with a deadline, transport failures already classified. */
export interface HttpRequest {
  upstream: string;
  op: string;
  url: string | URL;
  method?: string;
  headers?: Record<string, string>;
  body?: string | URLSearchParams | Uint8Array | undefined;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
}

/**
 * fetch() with a per-attempt deadline. Connection failures and timeouts become RetryableError; an abort
 * from the caller's signal is passed through untouched so shutdown is not mistaken for a flaky network.
 */
export async function fetchUpstream(req: HttpRequest): Promise<Response> {
  const deadline = AbortSignal.timeout(req.timeoutMs);
  const signal = req.signal ? AbortSignal.any([req.signal, deadline]) : deadline;
  try {
    return await fetch(req.url, {
      method: req.method ?? 'GET',
      headers: req.headers,
      body: req.body,
      signal,
      redirect: 'error',
    });
  } catch (err) {
    // undici reports "fetch failed"; the useful part (ECONNREFUSED, ENOTFOUND, …) is in its cause.
    throw transportError(req, deadline, (err as Error & { cause?: Error }).cause ?? (err as Error), err);
  }
}

/**
 * What a request that got no usable answer throws, for fetch and downloads alike: the caller's abort reason
 * untouched (shutdown is not a flaky network), else a RetryableError saying timeout or which failure.
 */
export function transportError(req: HttpRequest, deadline: AbortSignal, detail: Error & { code?: string }, cause: unknown): unknown {
  if (req.signal?.aborted) return req.signal.reason;
  const what = deadline.aborted ? `timed out after ${req.timeoutMs} ms` : `failed: ${detail.code ?? detail.message} (${new URL(req.url).host})`;
  return new RetryableError(`${req.upstream} ${req.op} ${what}`, { upstream: req.upstream, op: req.op, cause });
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * The usual meaning of an HTTP failure status: 429 → back off (Retry-After, else 1 s), 408/5xx → transient,
 * other 4xx → permanent. Clients call this after handling their vendor's own special statuses.
 */
export function httpStatusError(status: number, headers: Headers, message: string, ctx: ErrorContext): Error {
  const full = { ...ctx, code: ctx.code ?? status };
  if (status === 429) return new BackOffError(message, parseRetryAfter(headers.get('retry-after')) ?? 1000, full);
  if (status === 408 || status >= 500) {
    const retryAfter = parseRetryAfter(headers.get('retry-after'));
    return retryAfter === undefined ? new RetryableError(message, full) : new BackOffError(message, retryAfter, full);
  }
  return new PermanentError(message, full);
}

/** Reads at most `limit` bytes of a body for an error message; a huge error page is never held in memory. */
export async function readErrorText(res: Response, limit = 2048): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size <= limit) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
  } catch {
    // a broken body still leaves what was read
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  return size > limit ? `${text.slice(0, limit)}…` : text;
}
