/**
 * The sandbox's OAuth server: password and refresh-token grants (JSON or form body), access tokens that live
 * `tokenLifetimeSeconds` on the sandbox clock, rotating refresh tokens (30 days), and the test levers to
 * expire or revoke every token at once.
 */
import { randomUUID } from 'node:crypto';

export const SANDBOX_CREDENTIALS = {
  client_id: 'koppel-demo',
  client_secret: 'demo-client-secret',
  username: 'demo@infoland.no',
  password: 'demo-password',
} as const;

export const SANDBOX_SCOPES = ['kode.order.write', 'kode.order.read', 'kode.product.read'] as const;

const REFRESH_LIFETIME_MS = 30 * 24 * 3600 * 1000;

export type GrantResult =
  | { ok: true; body: Record<string, unknown> }
  | { ok: false; status: number; body: { error: string; error_description: string } };

export class SandboxAuth {
  /** Seconds an access token lives (Ambita: 3600); tests shorten it. */
  tokenLifetimeSeconds: number;
  /** Tokens issued so far (all grants), for inspection. */
  issued = 0;
  /** Every access and refresh token handed out, so tests can prove none of them reaches a log. */
  readonly issuedTokens: string[] = [];
  readonly #now: () => number;
  readonly #access = new Map<string, { expiresAt: number; user: string }>();
  readonly #refresh = new Map<string, { expiresAt: number; user: string }>();

  constructor(now: () => number, tokenLifetimeSeconds = 3600) {
    this.#now = now;
    this.tokenLifetimeSeconds = tokenLifetimeSeconds;
  }

  grant(params: Record<string, unknown>): GrantResult {
    const str = (k: string) => (typeof params[k] === 'string' ? (params[k] as string) : undefined);
    if (str('client_id') !== undefined && (str('client_id') !== SANDBOX_CREDENTIALS.client_id || str('client_secret') !== SANDBOX_CREDENTIALS.client_secret)) {
      return fail(401, 'invalid_client', 'Client authentication failed');
    }
    switch (str('grant_type')) {
      case 'password':
        if (str('client_id') === undefined) return fail(401, 'invalid_client', 'Client authentication failed');
        if (str('username') !== SANDBOX_CREDENTIALS.username || str('password') !== SANDBOX_CREDENTIALS.password) {
          return fail(400, 'invalid_grant', 'Bad user credentials');
        }
        return { ok: true, body: this.#issue(SANDBOX_CREDENTIALS.username) };
      case 'refresh_token': {
        const token = str('refresh_token') ?? '';
        const found = this.#refresh.get(token);
        if (!found || found.expiresAt <= this.#now()) return fail(400, 'invalid_grant', 'Invalid refresh token');
        this.#refresh.delete(token); // refresh tokens rotate: the old one is spent
        return { ok: true, body: this.#issue(found.user) };
      }
      default:
        return fail(400, 'unsupported_grant_type', 'grant_type must be password or refresh_token');
    }
  }

  /** The user behind a valid bearer token, or undefined (→ 401). */
  check(authorization: string | undefined): string | undefined {
    const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
    if (!token) return undefined;
    const found = this.#access.get(token);
    if (!found || found.expiresAt <= this.#now()) return undefined;
    return found.user;
  }

  /** Every access token issued so far expires now (refresh tokens stay valid). */
  expireAccessTokens(): void {
    for (const t of this.#access.values()) t.expiresAt = this.#now();
  }

  /** Access and refresh tokens are all withdrawn, as when Ambita revokes a client's sessions. */
  revokeAll(): void {
    this.#access.clear();
    this.#refresh.clear();
  }

  #issue(user: string): Record<string, unknown> {
    const access = randomUUID();
    const refresh = randomUUID();
    this.issued++;
    this.issuedTokens.push(access, refresh);
    this.#access.set(access, { expiresAt: this.#now() + this.tokenLifetimeSeconds * 1000, user });
    this.#refresh.set(refresh, { expiresAt: this.#now() + REFRESH_LIFETIME_MS, user });
    return { access_token: access, token_type: 'Bearer', expires_in: this.tokenLifetimeSeconds, refresh_token: refresh, scope: [...SANDBOX_SCOPES] };
  }
}

function fail(status: number, error: string, description: string): GrantResult {
  return { ok: false, status, body: { error, error_description: description } };
}
