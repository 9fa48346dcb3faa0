import { type ClientRequest, type IncomingMessage, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { RetryableError } from './errors.js';
import { tuningOff } from './bench-switch.js';
import type { DownloadResponse } from './download-response.js';
import { attemptDeadline, headersOf, type HttpRequest, transportError } from './http-request.js';

/**
 * How deliverables are fetched (by the mirroring pipelines): node:http(s), because it keeps download peak RSS
 * ~16 % below undici.request (bench/REPORT.md, the download benchmark's tunings). The body is the response stream itself. No
 * Accept-Encoding is sent, so the bytes on disk are the ones Content-Length and a digest describe. The rest is
 * requestUpstreamText's: one deadline for the whole download, the caller's abort passed through, transport failures and
 * redirects retryable.
 */

export function openDownload(req: Omit<HttpRequest, 'body'>): Promise<DownloadResponse> {
  // The bench's without (bench-switch.ts); loaded only then; undici is a dev dependency, absent from the image.
  if (tuningOff('node-http')) return import('./undici-download.js').then((m) => m.openUndiciDownload(req));
  const url = req.url instanceof URL ? req.url : new URL(req.url);
  return new Promise((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    let request: ClientRequest;
    try {
      request = send(url, { method: req.method ?? 'GET', headers: req.headers });
    } catch (err) {
      // A header node refuses (fetch would have failed the same request): classified like any other failure.
      reject(transportError(req, { aborted: false }, err as Error, err));
      return;
    }
    let res: IncomingMessage | undefined;
    // Before the answer this ends the request (its 'error' below says why); after it, the body, with the reason.
    // (Called at once, before `attempt` is set, only when the caller had aborted already: there is no answer yet.)
    const abort = (reason: unknown) => {
      if (res) res.destroy(transportError(req, attempt.deadline, new Error('aborted'), reason) as Error);
      else request.destroy(new Error('aborted'));
    };
    const settled = () => attempt.finish();
    request.on('error', (err) => {
      settled();
      if (res && !res.readableEnded) {
        // After the answer: node's parser stops the body at its Content-Length, and bytes beyond it fail the
        // connection here, often before the body's end reached its reader. Such a body is not the file that
        // was announced, so its reader gets the error (and writeFileAtomic drops the temporary).
        res.destroy(
          new RetryableError(`${req.upstream} ${req.op} failed: the connection broke at the end of the body (${(err as NodeJS.ErrnoException).code ?? err.message}; more bytes than its Content-Length announced?)`, {
            upstream: req.upstream,
            op: req.op,
            cause: err,
          }),
        );
        return;
      }
      reject(transportError(req, attempt.deadline, err, err));
    });
    request.on('response', (answer) => {
      res = answer;
      answer.on('close', settled);
      const status = answer.statusCode ?? 0;
      if (status >= 300 && status < 400 && answer.headers.location !== undefined) {
        // fetch's redirect: 'error': a download comes from the address asked, the one its credentials are for.
        answer.destroy();
        reject(new RetryableError(`${req.upstream} ${req.op} failed: unexpected redirect (${url.host})`, { upstream: req.upstream, op: req.op }));
        return;
      }
      resolve(downloadResponse(answer, status));
    });
    // The deadline and the caller's abort end the request or its body themselves: no AbortController per download.
    const attempt = attemptDeadline(req, abort);
    request.end();
  });
}

/** fetch's null body statuses. */
const NO_BODY = new Set([204, 205, 304]);

function downloadResponse(body: IncomingMessage, status: number): DownloadResponse {
  // The body's reader still sees an error; one that comes before it reads must not crash.
  body.on('error', () => undefined);
  const empty = NO_BODY.has(status);
  if (empty) body.resume(); // nothing to read: the socket goes back to the pool
  let headers: Headers | undefined;
  return {
    status,
    ok: status >= 200 && status < 300,
    // A Headers per download was a measurable part of a small file's CPU; a client reads two or three headers.
    get headers() {
      return (headers ??= headersOf(body.rawHeaders));
    },
    header: (name) => rawHeader(body.rawHeaders, name),
    body: empty ? null : body,
  };
}

/** `name`'s value in node's raw header list, as Headers.get reads it: repeated ones joined by ", ", null when absent. */
function rawHeader(rawHeaders: readonly string[], name: string): string | null {
  const wanted = name.toLowerCase();
  let value: string | null = null;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i]!.length === wanted.length && rawHeaders[i]!.toLowerCase() === wanted) value = value === null ? rawHeaders[i + 1]! : `${value}, ${rawHeaders[i + 1]!}`;
  }
  return value;
}
