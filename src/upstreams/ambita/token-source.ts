import type { Logger } from 'pino';
import { requestUpstreamText } from '../../core/http-request.js';
import type { UpstreamGateway } from '../../core/upstream-gateway.js';
import { type AmbitaConfig, ambitaTokenUrl } from './config.js';
import { ERROR_TEXT_LIMIT, notJsonError, shapeError, tokenError, UPSTREAM } from './errors.js';
import { tokenResponseSchema } from './wire.js';

interface CachedToken {
  value: string;
  /** ms epoch after which we no longer use it (expiry minus the renewal margin). */
  renewAt: number;
}

/**
 * OAuth password grant, cached and renewed before expiry. We deliberately do not use the refresh grant:
 * Ambita rotates refresh tokens on every use, so a crash between receiving a new one and storing it would
 * lock us out; the password grant each hour has no such state to lose (see ambita-notes.md).
 *
 * Token requests go through the gateway (rate limit, retry) but never from inside another call's queue
 * slot: the client asks for a token before queueing its call, and renews from the reconnect hook, which the
 * retry loop runs between attempts. A token fetched inside a slot could deadlock a queue of concurrency 1.
 * The token serves every run and pipeline of the process, so its fetch is attributed to none of them (a
 * shared call: its retries are logged, but kept out of the journal of the run that happened to ask first).
 */
export class TokenSource {
  readonly #cfg: AmbitaConfig;
  readonly #gateway: UpstreamGateway;
  readonly #log: Logger;
  readonly #now: () => number;
  #token: CachedToken | undefined;
  /** The token request in flight, shared by every caller that needs a token meanwhile (single flight). */
  #pending: Promise<string> | undefined;

  constructor(cfg: AmbitaConfig, gateway: UpstreamGateway, log: Logger, now: () => number) {
    this.#cfg = cfg;
    this.#gateway = gateway;
    this.#log = log;
    this.#now = now;
  }

  /** A token that is valid for at least the renewal margin, fetching one when needed. */
  async get(signal?: AbortSignal): Promise<string> {
    const cached = this.#token;
    if (cached && this.#now() < cached.renewAt) return cached.value;
    return this.#fetch(signal);
  }

  /** The cached token without any network call (inside a queue slot); empty when none, which earns a 401. */
  peek(): string {
    return this.#token?.value ?? '';
  }

  /**
   * The server refused `stale` (401): drop it and fetch another. Several calls that failed with the same
   * token share one renewal; a call that failed with an already replaced token just uses the new one.
   */
  async renew(stale: string, signal?: AbortSignal): Promise<void> {
    if (this.#token && this.#token.value !== stale) return;
    this.#token = undefined;
    await this.#fetch(signal);
  }

  forget(): void {
    this.#token = undefined;
  }

  #fetch(signal?: AbortSignal): Promise<string> {
    this.#pending ??= this.#request(signal).finally(() => (this.#pending = undefined));
    return this.#pending;
  }

  async #request(signal?: AbortSignal): Promise<string> {
    const started = this.#now();
    const body = await this.#gateway.call(
      'token',
      async (s) => {
        const res = await requestUpstreamText({
          upstream: UPSTREAM,
          op: 'token',
          url: ambitaTokenUrl(this.#cfg),
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json' },
          body: JSON.stringify({
            grant_type: 'password',
            client_id: this.#cfg.client_id,
            client_secret: this.#cfg.client_secret,
            username: this.#cfg.username,
            password: this.#cfg.password,
          }),
          timeoutMs: this.#cfg.timeout_ms,
          signal: s,
          errorTextLimit: ERROR_TEXT_LIMIT,
        });
        if (!res.ok) throw tokenError(res);
        try {
          return JSON.parse(res.text) as unknown;
        } catch (err) {
          throw notJsonError('token', err);
        }
      },
      { signal, shared: true },
    );
    const parsed = tokenResponseSchema.safeParse(body);
    if (!parsed.success) throw shapeError('token', parsed.error);
    const lifetimeMs = parsed.data.expires_in * 1000;
    // A token shorter-lived than the margin is still used once rather than refetched on every call forever.
    const margin = Math.min(this.#cfg.token_renew_margin_s * 1000, lifetimeMs / 2);
    this.#token = { value: parsed.data.access_token, renewAt: started + lifetimeMs - margin };
    this.#log.debug({ expiresInS: parsed.data.expires_in }, 'ambita access token obtained');
    return parsed.data.access_token;
  }
}
