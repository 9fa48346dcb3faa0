import { z } from 'zod';
import { plaintextUrls, transportSecuritySchema } from '../../core/transport-security.js';
import { upstreamCallOptionsSchema } from '../../core/upstream-gateway.js';

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
     * Sign path-signed requests as `/path/` although the request is sent without the trailing slash (the vendor's
     * own example does this; the sandbox verifies the path as sent). @default false
     */
    sign_trailing_slash: z.boolean().default(false).describe('append "/" to the signed path'),
    ...upstreamCallOptionsSchema,
    ...transportSecuritySchema,
  })
  .strict();

/** Plaintext settings refused (see core/transport-security.ts). */
export const maasplassenPlaintext = plaintextUrls(['base_url']);

export type MaasplassenConfig = z.output<typeof maasplassenConfigSchema>;
