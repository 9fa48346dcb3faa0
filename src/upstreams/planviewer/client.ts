import type { Logger } from 'pino';
import type { z } from 'zod';
import { PermanentError, RetryableError } from '../../core/errors.js';
import { type StoredFile, writeFileAtomic } from '../../core/file-store.js';
import { openDownload } from '../../core/http-download.js';
import { parseJsonOrUndefined, readErrorText, requestUpstreamText, type TextAnswer } from '../../core/http-request.js';
import type { CallOptions, UpstreamGateway } from '../../core/upstream-gateway.js';
import {
  type Intention,
  intentionGroupsSchema,
  type JobStatusEntry,
  jobStatusListSchema,
  type Location,
  type LocationEntity,
  orderResponseSchema,
  paths,
  type Product,
  productListSchema,
  type SearchQuery,
  searchResultSchema,
  STATUS_UUID_PARAM,
  waitingSchema,
  type WaitingForUser,
} from './api.js';
import type { PlanviewerConfig } from './config.js';
import { dispositionFilename } from './content-disposition.js';
import { orderOutcomeError, planviewerHttpError, UNEXPECTED_ANSWER } from './errors.js';

const UPSTREAM = 'planviewer';

/** What `download` wrote: the stored file plus what the vendor said about it. */
export interface DownloadedFile extends StoredFile {
  /** Filename from Content-Disposition, unsanitised (for the index); undefined when absent. */
  vendorFilename: string | undefined;
  contentType: string | undefined;
}

/**
 * koppel's Planviewer Product API client: basic auth, every response validated, every failure in the closed
 * set, every call through the gateway (rate limit + retry). `order` is the one call that spends money, so it
 * is never retried once it may have reached Planviewer (see `orderOutcomeError`).
 */
export class PlanviewerClient {
  readonly #cfg: PlanviewerConfig;
  readonly #gateway: UpstreamGateway;
  readonly #log: Logger;
  /** `Basic base64(access_key:secret)`; never logged (the logger redacts `authorization`). */
  readonly #authorization: string;

  constructor(cfg: PlanviewerConfig, gateway: UpstreamGateway, log: Logger) {
    this.#cfg = Object.freeze({ ...cfg });
    this.#gateway = gateway;
    this.#log = log;
    this.#authorization = `Basic ${Buffer.from(`${cfg.access_key}:${cfg.secret}`).toString('base64')}`;
  }

  /** `GET products/list`: the slugs this account can order. */
  products(options: CallOptions = {}): Promise<Product[]> {
    return this.#json('products', 'GET', paths.products, undefined, productListSchema, options);
  }

  /** `POST search/structured`: locations, best score first. */
  search(entity: LocationEntity, query: SearchQuery, options: CallOptions = {}): Promise<Location[]> {
    return this.#json('search', 'POST', paths.search, { entity, query }, searchResultSchema, options);
  }

  /** `POST intentions/list` for one location and one product: what could be ordered there. */
  async intentions(locationUuid: string, product: string, options: CallOptions = {}): Promise<Intention[]> {
    const groups = await this.#json(
      'intentions',
      'POST',
      paths.intentions,
      { uuids: [locationUuid], products: [product] },
      intentionGroupsSchema,
      options,
    );
    return groups.filter((g) => g.uuid === locationUuid).flatMap((g) => g.intentions.filter((i) => i.product === product));
  }

  /**
   * `POST jobs/order` for ONE intention (one order per call keeps a failure attributable to one request).
   * Returns the job uuid. Throws PlanviewerDailyCapError (429), PlanviewerPaymentRequiredError (402),
   * PermanentError (400: not ordered) or PlanviewerOrderOutcomeUnknownError (may or may not be ordered).
   * `options.signal` names the run ordering (its journal shows the call's retries) but never aborts the call.
   */
  async order(intentionUuid: string, options: CallOptions = {}): Promise<string> {
    const placed = await this.#gateway.call(
      'order',
      async () => {
        try {
          // No caller signal: aborting mid-order would leave the outcome unknown; the deadline still applies.
          return await this.#request('order', 'POST', paths.order, { uuids: [intentionUuid] }, orderResponseSchema, undefined);
        } catch (err) {
          throw orderOutcomeError(err as Error);
        }
      },
      { signal: options.signal, reconnect: options.reconnect, abortable: false },
    );
    const job = placed.find((p) => p.uuid === intentionUuid)?.job.uuid ?? (placed.length === 1 ? placed[0]?.job.uuid : undefined);
    if (!job) {
      throw orderOutcomeError(
        new RetryableError(`planviewer order: answer has no job for intention ${intentionUuid}`, { upstream: UPSTREAM, op: 'order' }),
      );
    }
    return job;
  }

  /** `GET jobs/status` for many jobs in one call. */
  status(jobUuids: readonly string[], options: CallOptions = {}): Promise<JobStatusEntry[]> {
    const query = new URLSearchParams();
    for (const uuid of jobUuids) query.append(STATUS_UUID_PARAM, uuid);
    return this.#json('status', 'GET', `${paths.status}?${query.toString()}`, undefined, jobStatusListSchema, options);
  }

  /** `GET kik/waiting/<job>`: the choices a `waiting for user` job needs. */
  waiting(jobUuid: string, options: CallOptions = {}): Promise<WaitingForUser> {
    return this.#json('kik-waiting', 'GET', paths.kikWaiting(jobUuid), undefined, waitingSchema, options);
  }

  /** `POST kik/select/<job>` with a 1-based choice index. */
  async select(jobUuid: string, index: number, options: CallOptions = {}): Promise<void> {
    await this.#gateway.call(
      'kik-select',
      async (signal) => {
        const res = await this.#send('kik-select', 'POST', paths.kikSelect(jobUuid), { select: [index] }, signal);
        if (!res.ok) throw failure('kik-select', res);
      },
      options,
    );
  }

  /**
   * `GET jobs/retrieve/<job>` streamed to disk through `writeFileAtomic`; `target(vendorFilename)` picks the
   * path. A short body (Content-Length not met) is retried by the gateway like any transient failure.
   */
  download(jobUuid: string, target: (vendorFilename: string | undefined) => string, options: CallOptions = {}): Promise<DownloadedFile> {
    return this.#gateway.call(
      'retrieve',
      async (signal) => {
        this.#log.debug({ op: 'retrieve', method: 'GET', path: paths.retrieve(jobUuid) }, 'planviewer request');
        const res = await openDownload({
          upstream: UPSTREAM,
          op: 'retrieve',
          url: new URL(paths.retrieve(jobUuid), this.#cfg.base_url),
          headers: { authorization: this.#authorization, accept: 'application/octet-stream, */*' },
          timeoutMs: this.#cfg.download_timeout_ms,
          signal,
        });
        if (!res.ok) throw failure('retrieve', { status: res.status, headers: res.headers, text: await readErrorText(res.body, ERROR_TEXT_LIMIT) });
        if (!res.body) throw new RetryableError('planviewer retrieve: empty body', { upstream: UPSTREAM, op: 'retrieve' });
        const vendorFilename = dispositionFilename(res.header('content-disposition'));
        const length = res.header('content-length');
        const expectedSize = length !== null && /^\d+$/.test(length) ? Number(length) : undefined;
        const stored = await writeFileAtomic(res.body, target(vendorFilename), {
          expectedSize,
          maxBytes: this.#cfg.max_download_bytes,
          context: { upstream: UPSTREAM, op: 'retrieve', itemKey: jobUuid },
          signal,
        });
        return { ...stored, vendorFilename, contentType: res.header('content-type') ?? undefined };
      },
      options,
    );
  }

  async #json<S extends z.ZodType>(
    op: string,
    method: string,
    path: string,
    body: unknown,
    schema: S,
    options: CallOptions,
  ): Promise<z.output<S>> {
    return this.#gateway.call(op, (signal) => this.#request(op, method, path, body, schema, signal), options);
  }

  async #request<S extends z.ZodType>(
    op: string,
    method: string,
    path: string,
    body: unknown,
    schema: S,
    signal: AbortSignal | undefined,
  ): Promise<z.output<S>> {
    const res = await this.#send(op, method, path, body, signal);
    if (!res.ok) throw failure(op, res);
    let json: unknown;
    try {
      json = JSON.parse(res.text);
    } catch (err) {
      throw new RetryableError(`planviewer ${op}: unreadable JSON answer`, { upstream: UPSTREAM, op, cause: err });
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new PermanentError(
        `planviewer ${op}: unexpected answer shape at ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`,
        // The code marks "2xx with an answer we cannot read": for an order that means it may well be placed.
        { upstream: UPSTREAM, op, code: UNEXPECTED_ANSWER, cause: parsed.error },
      );
    }
    return parsed.data;
  }

  #send(op: string, method: string, path: string, body: unknown, signal: AbortSignal | undefined): Promise<TextAnswer> {
    const headers: Record<string, string> = { authorization: this.#authorization, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    this.#log.debug({ op, method, path }, 'planviewer request');
    return requestUpstreamText({
      upstream: UPSTREAM,
      op,
      url: new URL(path, this.#cfg.base_url),
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      timeoutMs: this.#cfg.timeout_ms,
      signal,
      errorTextLimit: ERROR_TEXT_LIMIT,
    });
  }
}

/** How much of a failure body is read for its error. */
const ERROR_TEXT_LIMIT = 2048;

/** A failure status in the closed set, its body's JSON read when it has some. */
function failure(op: string, res: { status: number; headers: Headers; text: string }): Error {
  return planviewerHttpError(op, res.status, res.headers, parseJsonOrUndefined(res.text), res.text);
}
