import type { Logger } from 'pino';
import { NotConnectedError, PermanentError, RetryableError } from '../../core/errors.js';
import { receiveFile, type StagedFile, type StoredFile } from '../../core/file-store.js';
import { openDownload } from '../../core/http-download.js';
import { readErrorText, requestUpstreamText, type TextAnswer } from '../../core/http-request.js';
import type { CallOptions, UpstreamGateway } from '../../core/upstream-gateway.js';
import type { z } from 'zod';
import type { AmbitaConfig } from './config.js';
import { ambitaStatusError, ERROR_TEXT_LIMIT, notJsonError, OrderOutcomeUnknownError, shapeError, UPSTREAM } from './errors.js';
import { TokenSource } from './token-source.js';
import {
  AMBITA_PATHS,
  type AmbitaAsset,
  type AmbitaOrderCollection,
  type AmbitaProduct,
  type CreateOrderBody,
  type OrderKind,
  orderCollectionSchema,
  productListSchema,
} from './wire.js';

export interface AmbitaClientOptions {
  /** Clock for token expiry (tests pass a fake one). @default Date.now */
  now?: () => number;
}

/**
 * koppel's KODE API client: products, create order, get order, asset download. Every call goes through the
 * gateway with a bearer token; a 401 renews the token once (NotConnectedError + reconnect hook).
 */
export class AmbitaClient {
  readonly #cfg: AmbitaConfig;
  readonly #gateway: UpstreamGateway;
  readonly #tokens: TokenSource;
  readonly #base: string;
  /** The origin of `#base`: the only one a download's token is sent to. */
  readonly #origin: string;

  constructor(cfg: AmbitaConfig, gateway: UpstreamGateway, log: Logger, options: AmbitaClientOptions = {}) {
    this.#cfg = Object.freeze({ ...cfg });
    this.#gateway = gateway;
    this.#tokens = new TokenSource(this.#cfg, gateway, log, options.now ?? Date.now);
    this.#base = cfg.base_url.replace(/\/+$/, '');
    this.#origin = new URL(this.#base).origin;
  }

  /** The product catalog of one municipality (4-digit code). */
  async products(municipality: string, signal?: AbortSignal): Promise<AmbitaProduct[]> {
    const url = `${this.#base}${AMBITA_PATHS.products}?municipality=${encodeURIComponent(municipality)}`;
    return this.#json('products', 'GET', url, productListSchema, { signal, itemKey: municipality });
  }

  /** One order collection with its supplier orders, lines and assets. */
  async getOrder(orderId: number, signal?: AbortSignal): Promise<AmbitaOrderCollection> {
    return this.#json('getOrder', 'GET', `${this.#base}${AMBITA_PATHS.order(orderId)}`, orderCollectionSchema, {
      signal,
      itemKey: String(orderId),
    });
  }

  /**
   * Places an order. Costs money, so it is never retried once the request may have reached Ambita: a timeout,
   * a dropped connection or a 5xx becomes OrderOutcomeUnknownError (a human must look). Only failures that
   * prove nothing was placed (401 before the call, 429, refused connection) are retried.
   * `signal` aborts the token fetch before the order; the order call itself it only names the run: an abort
   * once sent would leave the outcome unknown (as Planviewer's order, the deadline still applies).
   */
  async createOrder(kind: OrderKind, body: CreateOrderBody, signal?: AbortSignal): Promise<AmbitaOrderCollection> {
    const url = `${this.#base}${AMBITA_PATHS.createOrder(kind)}`;
    const itemKey = body.technicalReference;
    return this.#json('createOrder', 'POST', url, orderCollectionSchema, {
      signal,
      abortable: false,
      itemKey,
      body: JSON.stringify(body),
      mayHaveHappened: (err) =>
        new OrderOutcomeUnknownError(`ambita createOrder: the order may or may not have been placed (${err.message})`, {
          upstream: UPSTREAM,
          op: 'createOrder',
          itemKey,
          cause: err,
        }),
    });
  }

  /**
   * Streams an asset to `path` (atomically, with size check and sha256). The bearer token is only sent to
   * Ambita's own origin: a `downloadUrl` pointing elsewhere is refused rather than handed our token.
   */
  async download(asset: Pick<AmbitaAsset, 'id' | 'downloadUrl'>, path: string, signal?: AbortSignal): Promise<StoredFile> {
    const staged = await this.stageDownload(asset, path, signal);
    try {
      await staged.publish();
    } catch (err) {
      await staged.discard();
      throw err;
    }
    return { path: staged.path, size: staged.size, sha256: staged.sha256 };
  }

  /**
   * `download` that leaves the checked file under its temporary name until the caller publishes it (see
   * stageFile). The upstream's slot is held while the body is received, not while a small one is written.
   */
  async stageDownload(asset: Pick<AmbitaAsset, 'id' | 'downloadUrl'>, path: string, signal?: AbortSignal): Promise<StagedFile> {
    const url = this.#assetUrl(asset);
    const download = await this.#withToken('download', { signal }, async (token, s) => {
      const res = await openDownload({ upstream: UPSTREAM, op: 'download', url, headers: { authorization: `Bearer ${token}` }, timeoutMs: this.#cfg.timeout_ms, signal: s });
      if (!res.ok || !res.body) {
        throw ambitaStatusError({ status: res.status, headers: res.headers, text: await readErrorText(res.body, ERROR_TEXT_LIMIT) }, 'download', asset.id);
      }
      const length = res.header('content-length');
      return receiveFile(res.body, path, {
        expectedSize: length === null ? undefined : Number(length),
        expectedSha256: sha256FromDigest(res.header('repr-digest')),
        maxBytes: this.#cfg.max_download_bytes,
        context: { upstream: UPSTREAM, op: 'download', itemKey: asset.id },
        signal: s,
      });
    });
    return this.#gateway.callThen('download', download.attempt, (received) => received.stage(), download.options);
  }

  /** Nothing to sign out of with OAuth; the cached token is dropped. */
  async close(): Promise<void> {
    this.#tokens.forget();
  }

  #assetUrl(asset: Pick<AmbitaAsset, 'id' | 'downloadUrl'>): URL {
    let url: URL;
    try {
      url = new URL(asset.downloadUrl, this.#base);
    } catch (err) {
      throw new PermanentError(`ambita asset ${asset.id}: downloadUrl is not a URL`, { upstream: UPSTREAM, op: 'download', itemKey: asset.id, cause: err });
    }
    if (url.origin !== this.#origin) {
      throw new PermanentError(`ambita asset ${asset.id}: downloadUrl points to ${url.origin}, not to ${this.#origin}; refusing to send the token there`, {
        upstream: UPSTREAM,
        op: 'download',
        itemKey: asset.id,
      });
    }
    return url;
  }

  async #json<S extends z.ZodType>(
    op: string,
    method: 'GET' | 'POST',
    url: string,
    schema: S,
    opts: { signal?: AbortSignal | undefined; abortable?: false; itemKey?: string | undefined; body?: string; mayHaveHappened?: (err: Error) => Error },
  ): Promise<z.output<S>> {
    const raw = await this.#authed(op, { signal: opts.signal, abortable: opts.abortable }, async (token, s) => {
      let res: TextAnswer;
      try {
        res = await requestUpstreamText({
          upstream: UPSTREAM,
          op,
          url,
          method,
          headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(opts.body ? { 'content-type': 'application/json' } : {}) },
          body: opts.body,
          timeoutMs: this.#cfg.timeout_ms,
          signal: s,
          errorTextLimit: ERROR_TEXT_LIMIT,
        });
      } catch (err) {
        // Includes a 2xx whose body broke off: for an order that means it was placed, the answer lost.
        // A refused connection (node's error is the cause) proves nothing reached Ambita.
        throw opts.mayHaveHappened && !refusedBeforeSending(err) ? opts.mayHaveHappened(err as Error) : err;
      }
      if (!res.ok) {
        const error = ambitaStatusError(res, op, opts.itemKey);
        throw opts.mayHaveHappened && res.status >= 500 ? opts.mayHaveHappened(error) : error;
      }
      try {
        return JSON.parse(res.text) as unknown;
      } catch (err) {
        // For an order, a 2xx that is not JSON means it was placed: the answer is unreadable, not the order.
        throw opts.mayHaveHappened ? opts.mayHaveHappened(err as Error) : notJsonError(op, err);
      }
    });
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      const error = shapeError(op, parsed.error, opts.itemKey);
      throw opts.mayHaveHappened ? opts.mayHaveHappened(error) : error;
    }
    return parsed.data;
  }

  /**
   * Runs `fn` through the gateway with a fresh token; a 401 renews the token once and retries. With `abortable:
   * false`, `call.signal` aborts only the token's fetch, never `fn` (CallOptions.abortable).
   */
  async #authed<T>(op: string, call: Pick<CallOptions, 'signal' | 'abortable'>, fn: (token: string, signal: AbortSignal | undefined) => Promise<T>): Promise<T> {
    const { attempt, options } = await this.#withToken(op, call, fn);
    return this.#gateway.call(op, attempt, options);
  }

  /** `fn` as the gateway's attempt, given the token current at the time, with the reconnect hook that renews it. */
  async #withToken<T>(
    op: string,
    call: Pick<CallOptions, 'signal' | 'abortable'>,
    fn: (token: string, signal: AbortSignal | undefined) => Promise<T>,
  ): Promise<{ attempt: (signal: AbortSignal | undefined) => Promise<T>; options: CallOptions }> {
    const { signal } = call;
    await this.#tokens.get(signal);
    let used = '';
    return {
      attempt: (s) => {
        used = this.#tokens.peek();
        if (!used) throw new NotConnectedError(`ambita ${op}: no access token`, { upstream: UPSTREAM, op });
        return fn(used, s);
      },
      options: { ...call, reconnect: () => this.#tokens.renew(used, signal) },
    };
  }
}

/** A refused connection proves the request never reached the server, so even an order may be retried. */
function refusedBeforeSending(err: unknown): boolean {
  if (!(err instanceof RetryableError)) return false;
  return (err.cause as { code?: string } | undefined)?.code === 'ECONNREFUSED';
}

/**
 * The sha256 of an RFC 9530 `Repr-Digest: sha-256=:<base64>:` header, as hex. Ambita documents no checksum,
 * so this is used only when a server sends one; without it a corrupted body of the right length is undetectable.
 */
function sha256FromDigest(header: string | null): string | undefined {
  const match = /sha-256=:([A-Za-z0-9+/=]+):/i.exec(header ?? '');
  return match ? Buffer.from(match[1]!, 'base64').toString('hex') : undefined;
}
