import { z } from 'zod';
import { plaintextEndpoint, transportSecuritySchema } from '../../core/transport-security.js';
import { type RateDefault, upstreamCallOptionsSchema } from '../../core/upstream-gateway.js';

// planogrambuilder-api-v1-reference.txt v1.2.3 documents no rate limit and sells gRPC over HTTP/2 as very fast: 8 in flight, 50/s
export const PLANOGRAMBUILDER_DEFAULT_RATE: RateDefault = { concurrency: 8, per_second: 50, basis: 'vendor doc planogrambuilder-api-v1-reference.txt v1.2.3: no rate limit documented, gRPC over HTTP/2' };

/** `upstreams.planogrambuilder`: where the PlanogramBuilder API is and who signs in. */
export const planogrambuilderConfigSchema = z
  .object({
    /** gRPC endpoint `host:port`. @default "planoapi.zvisuel.com:443" */
    endpoint: z
      .string()
      .regex(/^[^\s/:]+:\d{1,5}$/, 'expected host:port')
      .default('planoapi.zvisuel.com:443')
      .describe('gRPC endpoint host:port'),
    /** TLS for the real endpoint; `false` only to a loopback endpoint (the local sandbox) or with `allow_insecure`. @default true */
    tls: z.boolean().default(true).describe('use TLS'),
    /** Account ID, as in "Launch PlanogramBuilder" (at most 100 characters). @example "ACME-RETAIL" */
    account_id: z.string().min(1).max(100).describe('account id'),
    /** An administrator user of the account. @example "api-admin" */
    username: z.string().min(1).describe('user name'),
    /** That user's password; keep it in the environment. @example "${PLANO_PASSWORD}" */
    password: z.string().min(1).describe('password'),
    /** Service definition; absent = koppel's `proto/planoapiv1.proto`. Point it at the vendor's file when you have it. */
    proto: z.string().min(1).optional().describe('path to the .proto file'),
    /** Protobuf package of the service. @default "planoapiv1" */
    package: z.string().regex(/^[A-Za-z_][\w.]*$/).default('planoapiv1').describe('protobuf package'),
    /** Service name inside the package. @default "PlanoAPI" */
    service: z.string().regex(/^[A-Za-z_]\w*$/).default('PlanoAPI').describe('gRPC service name'),
    /**
     * Sign in again after this long, before the service revokes the token (tokens live 60 minutes).
     * @default 3000000 (50 minutes)
     */
    token_renew_after_ms: z.number().int().min(1_000).max(3_600_000).default(3_000_000).describe('renew the token after ms'),
    /** Items per List call (the remote catalog is read in pages). @default 500 */
    page_size: z.number().int().min(1).max(10_000).default(500).describe('items per List call'),
    ...upstreamCallOptionsSchema('planogrambuilder', PLANOGRAMBUILDER_DEFAULT_RATE),
    ...transportSecuritySchema,
  })
  .strict();

/** Plaintext settings refused (see core/transport-security.ts). */
export const planogrambuilderPlaintext = plaintextEndpoint;

export type PlanogrambuilderConfig = z.output<typeof planogrambuilderConfigSchema>;
