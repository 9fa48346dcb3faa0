import { request } from 'undici';
import { RetryableError } from './errors.js';
import type { DownloadResponse } from './download-response.js';
import { type HttpRequest, transportError } from './http-request.js';

/**
 * The plain way to open a download, `undici.request`, which the bench runs instead of http-download.ts's
 * node:http client (KOPPEL_BENCH_WITHOUT=node-http) to measure what that one pays: bench/REPORT.md. The same
 * contract: no Accept-Encoding, one deadline for the whole download, the caller's abort passed through,
 * transport failures and redirects retryable.
 */
export async function openUndiciDownload(req: Omit<HttpRequest, 'body'>): Promise<DownloadResponse> {
  const url = new URL(req.url);
  const deadline = AbortSignal.timeout(req.timeoutMs);
  const signal = req.signal ? AbortSignal.any([req.signal, deadline]) : deadline;
  // undici ends the request, or the body once it flows, with this reason: the caller's, or the deadline's error.
  const stop = new AbortController();
  const abort = () => stop.abort(transportError(req, deadline, new Error('aborted'), signal.reason));
  if (signal.aborted) abort();
  else signal.addEventListener('abort', abort, { once: true });
  let answer: Awaited<ReturnType<typeof request>>;
  try {
    answer = await request(url, { method: (req.method ?? 'GET') as 'GET', headers: req.headers, signal: stop.signal });
  } catch (err) {
    signal.removeEventListener('abort', abort);
    if (stop.signal.aborted && err === stop.signal.reason) throw err;
    throw transportError(req, deadline, err as Error & { code?: string }, err);
  }
  const { statusCode: status, body } = answer;
  body.on('close', () => signal.removeEventListener('abort', abort));
  // The body's reader still sees an error; one that comes before it reads must not crash.
  body.on('error', () => undefined);
  if (status >= 300 && status < 400 && answer.headers.location !== undefined) {
    // As fetch's redirect: 'error': a download comes from the address asked, the one its credentials are for.
    body.destroy();
    throw new RetryableError(`${req.upstream} ${req.op} failed: unexpected redirect (${url.host})`, { upstream: req.upstream, op: req.op });
  }
  const empty = NO_BODY.has(status);
  if (empty) body.resume(); // nothing to read: the connection goes back to the pool
  const headers = new Headers();
  for (const [name, value] of Object.entries(answer.headers)) {
    for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value]) headers.append(name, v);
  }
  return {
    status,
    ok: status >= 200 && status < 300,
    headers,
    header: (name) => headers.get(name),
    body: empty ? null : body,
  };
}

/** fetch's null body statuses. */
const NO_BODY = new Set([204, 205, 304]);
