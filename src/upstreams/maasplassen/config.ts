import { z } from 'zod';
import { plaintextUrls, transportSecuritySchema } from '../../core/transport-security.js';
import { type RateDefault, upstreamCallOptionsSchema } from '../../core/upstream-gateway.js';

// maasplassen-api-v2.txt documents no rate limit and calls the service beta; each call carries a chunk of entries
export const MAASPLASSEN_DEFAULT_RATE: RateDefault = { concurrency: 4, per_second: 10, basis: 'vendor doc maasplassen-api-v2.txt: no rate limit documented, service in beta' };

/** Forms of a path-signed call's trailing slash; see `trailing_slash`. */
export const TRAILING_SLASH = ['sent_and_signed', 'signed_only', 'none'] as const;
export type TrailingSlash = (typeof TRAILING_SLASH)[number];

export const maasplassenConfigSchema = z
  .object({
    /** API root, including `/api/v2`. Testing server: http://maasplassen.vannut.net/api/v2. @default "https://secure.maasplassen.com/api/v2" */
    base_url: z.url({ protocol: /^https?$/ }).default('https://secure.maasplassen.com/api/v2').describe('API root including /api/v2'),
    /** Public key, `pub.…` (dashes and spaces are ignored by the service). @example "pub.bb19faa3-81bc-4bbe-afc9-70850e4c19ea" */
    apikey: z.string().regex(/^pub\./, 'expected a key starting with "pub."').describe('public API key'),
    /** Secret for HMAC signatures, `sk.…`; keep it in the environment. @example "${MAAS_SECRET}" */
    secret: z.string().regex(/^sk\./, 'expected a secret starting with "sk."').describe('HMAC secret'),
    /** Your company id at Maasplassen. @example 1 */
    company_id: z.number().int().positive().describe('company id'),
    /**
     * The trailing slash of path-signed calls (the fleet read), as sent and as signed, in one setting:
     * `sent_and_signed` sends and signs `/api/v2/company/1/fleet/` (the endpoint as documented);
     * `signed_only` sends `…/fleet` but signs `…/fleet/` (the vendor's PHP example); `none` sends and signs
     * `…/fleet`. If the fleet read fails with "HMAC invalid", the server verifies another form: try the others.
     * @default "sent_and_signed"
     */
    trailing_slash: z.enum(TRAILING_SLASH).default('sent_and_signed').describe('trailing slash of path-signed calls, as sent and as signed'),
    /** Replaced by `trailing_slash`; kept only to say so. */
    sign_trailing_slash: z
      .never({ error: `replaced by trailing_slash: ${TRAILING_SLASH.join(' | ')} (one setting for the path as sent and as signed); remove sign_trailing_slash` })
      .optional(),
    ...upstreamCallOptionsSchema('maasplassen', MAASPLASSEN_DEFAULT_RATE),
    ...transportSecuritySchema,
  })
  .strict();

/** Plaintext settings refused (see core/transport-security.ts). */
export const maasplassenPlaintext = plaintextUrls(['base_url']);

export type MaasplassenConfig = z.output<typeof maasplassenConfigSchema>;
