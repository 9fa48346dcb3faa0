import { z } from 'zod';
import { downloadLimitSchema } from '../../core/download-limit.js';
import { plaintextUrls, transportSecuritySchema } from '../../core/transport-security.js';
import { type RateDefault, upstreamCallOptionsSchema } from '../../core/upstream-gateway.js';

// ambita-kode-api.txt documents no rate limit; Ambita advises handling pushes one at a time (ambita-notes.md)
export const AMBITA_DEFAULT_RATE: RateDefault = { concurrency: 4, per_second: 10, basis: 'vendor doc ambita-kode-api.txt: no rate limit documented' };

/** `upstreams.ambita`: KODE API access. The four credentials come from Ambita support. */
export const ambitaConfigSchema = z
  .object({
    /** API root; orders and products live under `/kode/v1/` below it. @default "https://beta-api.ambita.com" */
    base_url: z.url({ protocol: /^https?$/ }).default('https://beta-api.ambita.com').describe('API root (without /kode/v1)'),
    /** OAuth token endpoint; absent = `<base_url>/authentication/v2/token`. @example "https://beta-api.ambita.com/authentication/v2/token" */
    token_url: z.url({ protocol: /^https?$/ }).optional().describe('OAuth token endpoint'),
    /** OAuth client id. @example "koppel-prod" */
    client_id: z.string().min(1).describe('OAuth client id'),
    /** OAuth client secret; keep it in the environment. @example "${AMBITA_SECRET}" */
    client_secret: z.string().min(1).describe('OAuth client secret'),
    /** Ambita user the orders are placed as. @example "orders@example.no" */
    username: z.string().min(1).describe('Ambita user name'),
    /** That user's password; keep it in the environment. @example "${AMBITA_PASSWORD}" */
    password: z.string().min(1).describe('Ambita user password'),
    /**
     * Secret koppel expects in the push-message callback URL (`/hooks/<pipeline>/<token>`) or in the
     * `X-Koppel-Token` header. Without it (or empty) the daemon serves no Ambita callback route. @example "${AMBITA_HOOK_TOKEN}"
     */
    webhook_token: z
      .preprocess((v) => (v === '' ? undefined : v), z.string().min(16, 'expected at least 16 characters').optional())
      .describe('secret of the push callback'),
    /** Renew the access token this many seconds before it expires (Ambita's tokens live one hour). @default 120 */
    token_renew_margin_s: z.number().int().min(0).max(3000).default(120).describe('renew the token this long before expiry'),
    ...downloadLimitSchema,
    ...upstreamCallOptionsSchema('ambita', AMBITA_DEFAULT_RATE),
    ...transportSecuritySchema,
  })
  .strict();

/** Plaintext settings refused (see core/transport-security.ts); the token endpoint receives the client secret and password. */
export const ambitaPlaintext = plaintextUrls(['base_url', 'token_url']);

export type AmbitaConfig = z.output<typeof ambitaConfigSchema>;

/** The token endpoint, from the config or derived from the base URL. */
export function ambitaTokenUrl(cfg: Pick<AmbitaConfig, 'base_url' | 'token_url'>): string {
  return cfg.token_url ?? `${cfg.base_url.replace(/\/+$/, '')}/authentication/v2/token`;
}
