import { type ClientRequest, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BackOffError, PermanentError, RetryableError, type ErrorContext } from './errors.js';

/** How REST clients send a request: with a deadline, transport failures already classified. */
export interface HttpRequest {
  upstream: string;
  op: string;
  url: string | URL;
  method?: string;
  headers?: Record<string, string>;
  /** A large body is best a Buffer: it is written as is, where a string is copied into the header block and encoded. */
  body?: string | Buffer | undefined;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
}

/** A whole answer as text: what a call to a JSON API needs. `headers` is built when first read. */
export interface TextAnswer {
  status: number;
  ok: boolean;
  readonly headers: Headers;
  text: string;
}

/**
 * How REST clients make a call whose answer is read whole as text (a JSON API's), through node:http(s): without
 * fetch's Request/Response and web-stream layers it costs about half the CPU per call. One deadline for the
 * attempt, answer included; the caller's abort passed through; transport failures retryable; a redirect is not
 * followed but fails the attempt, as fetch's `redirect: 'error'`; a BOM is dropped.
 *
 * With `errorTextLimit`, a failure status's body is read as readErrorText reads it: at most that many bytes
 * (more is cut off and marked `…`, so a huge error page is never held in memory), and a body that breaks off
 * leaves what was read; the status is the answer.
 */
export function requestUpstreamText(req: HttpRequest & { errorTextLimit?: number | undefined }): Promise<TextAnswer> {
  return request(req, 'text') as Promise<TextAnswer>;
}

/** A whole answer as bytes, a BOM dropped: for a caller that decodes only part of a large answer. */
export interface BytesAnswer {
  status: number;
  ok: boolean;
  readonly headers: Headers;
  body: Buffer;
}

/**
 * `requestUpstreamText` with the answer kept as bytes, off the JS heap: an answer that echoes a large request
 * back is then never a string that lives through young-generation collections while it arrives.
 */
export function requestUpstreamBytes(req: HttpRequest): Promise<BytesAnswer> {
  return request(req, 'bytes') as Promise<BytesAnswer>;
}

const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

function request(req: HttpRequest & { errorTextLimit?: number | undefined }, read: 'text' | 'bytes'): Promise<TextAnswer | BytesAnswer> {
  const url = new URL(req.url);
  const { signal, deadline, finish } = attemptSignal(req);
  const headers = req.body === undefined ? req.headers : { ...req.headers, 'content-length': String(Buffer.byteLength(req.body)) };
  return new Promise<TextAnswer | BytesAnswer>((resolveAnswer, rejectAnswer) => {
    const resolve = (answer: TextAnswer | BytesAnswer) => {
      finish();
      resolveAnswer(answer);
    };
    const reject = (err: unknown) => {
      finish();
      rejectAnswer(err);
    };
    const fail = (err: unknown) => reject(transportError(req, deadline, err as Error & { code?: string }, err));
    let request: ClientRequest;
    try {
      request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, { method: req.method ?? 'GET', headers, signal });
    } catch (err) {
      fail(err); // a header node refuses (fetch would have failed the same request)
      return;
    }
    request.on('error', fail);
    request.on('response', (answer) => {
      const status = answer.statusCode ?? 0;
      if (status >= 300 && status < 400 && answer.headers.location !== undefined) {
        answer.destroy();
        reject(new RetryableError(`${req.upstream} ${req.op} failed: unexpected redirect (${url.host})`, { upstream: req.upstream, op: req.op }));
        return;
      }
      const ok = status >= 200 && status < 300;
      // The status, and headers parsed only when read (most callers never do), with the body as `content` holds it.
      const answerWith = <B extends { text: string } | { body: Buffer }>(content: B) => {
        let parsed: Headers | undefined;
        return Object.assign({ status, ok, get headers() { return (parsed ??= headersOf(answer.rawHeaders)); } }, content);
      };
      const done = (text: string) => resolve(answerWith({ text: text.charCodeAt(0) === 0xfeff ? text.slice(1) : text }));
      if (read === 'bytes') {
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('error', fail);
        answer.on('end', () => {
          const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
          resolve(answerWith({ body: body.subarray(0, 3).equals(UTF8_BOM) ? body.subarray(3) : body }));
        });
        return;
      }
      const limit = req.errorTextLimit;
      if (!ok && limit !== undefined) {
        void readErrorText(answer, limit).then(done);
        return;
      }
      let text = '';
      answer.setEncoding('utf8');
      answer.on('data', (chunk: string) => (text += chunk));
      answer.on('error', fail);
      answer.on('end', () => done(text));
    });
    request.end(req.body);
  });
}

/** An answer's body as JSON, or undefined when it is empty or not JSON (the caller decides what that means). */
export function parseJsonOrUndefined(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** node:http's raw header list (name, value, name, value…) as fetch's Headers. */
export function headersOf(rawHeaders: readonly string[]): Headers {
  const headers = new Headers();
  for (let i = 0; i < rawHeaders.length; i += 2) headers.append(rawHeaders[i]!, rawHeaders[i + 1]!);
  return headers;
}

/** One attempt's signal: its deadline and the caller's abort joined; `finish` once the attempt has settled. */
export interface AttemptSignal extends AttemptDeadline {
  readonly signal: AbortSignal;
}

/**
 * The deadline of one attempt joined with the caller's abort, as a timer and a listener that `finish` removes:
 * AbortSignal.timeout + AbortSignal.any cost ~3× the CPU per call, and kept each call's timer (and its joined
 * signal, tracked by the run's) alive for the whole deadline after the call had ended.
 */
export function attemptSignal(req: Pick<HttpRequest, 'timeoutMs' | 'signal'>): AttemptSignal {
  const controller = new AbortController();
  return { signal: controller.signal, ...attemptDeadline(req, (reason) => controller.abort(reason)) };
}

/** One attempt's deadline and the caller's abort, without a signal of their own. */
export interface AttemptDeadline {
  /** Aborted when the deadline, not the caller, ended the attempt. */
  readonly deadline: { readonly aborted: boolean };
  /** Clears the deadline's timer and the listener on the caller's signal. */
  finish(): void;
}

/**
 * attemptSignal for a caller that ends its attempt itself: `end` is called once, with a TimeoutError at the
 * deadline or with the caller's reason (at once when the caller's signal is already aborted), unless `finish`
 * came first. No AbortController per attempt, for the calls that need none (a download ends its own request).
 */
export function attemptDeadline(req: Pick<HttpRequest, 'timeoutMs' | 'signal'>, end: (reason: unknown) => void): AttemptDeadline {
  const deadline = { aborted: false };
  const caller = req.signal;
  const finish = () => {
    clearTimeout(timer);
    caller?.removeEventListener('abort', callerAborted);
  };
  const callerAborted = () => {
    finish();
    end(caller!.reason);
  };
  const timer = setTimeout(() => {
    deadline.aborted = true;
    finish();
    end(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
  }, req.timeoutMs);
  timer.unref(); // as AbortSignal.timeout's: a deadline alone keeps no process alive
  if (caller?.aborted) callerAborted();
  else caller?.addEventListener('abort', callerAborted, { once: true });
  return { deadline, finish };
}

/**
 * What a request that got no usable answer throws, for fetch and downloads alike: the caller's abort reason
 * untouched (shutdown is not a flaky network), else a RetryableError saying timeout or which failure.
 */
export function transportError(req: HttpRequest, deadline: { readonly aborted: boolean }, detail: Error & { code?: string }, cause: unknown): unknown {
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

/**
 * Reads at most `limit` bytes of a failure body for an error message: more is cut off and marked `…` (and never
 * read, so a huge error page is never held in memory); a body that breaks off leaves what was read. Takes a node
 * stream or a web stream alike (both iterate their chunks); leaving the loop early ends the stream.
 */
export async function readErrorText(body: AsyncIterable<Uint8Array> | null | undefined, limit = 2048): Promise<string> {
  if (!body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      chunks.push(chunk);
      size += chunk.length;
      if (size > limit) break;
    }
  } catch {
    // a broken body still leaves what was read
  }
  const text = Buffer.concat(chunks).toString('utf8');
  return size > limit ? `${text.slice(0, limit)}…` : text;
}
