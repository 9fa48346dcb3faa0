import { z } from 'zod';
import { downloadLimitSchema } from '../../core/download-limit.js';
import { plaintextUrls, transportSecuritySchema } from '../../core/transport-security.js';
import { type RateDefault, upstreamCallOptionsSchema } from '../../core/upstream-gateway.js';

// planviewer-product-api-jobs.txt limits only orders per day (koppel's daily_order_cap), not requests
export const PLANVIEWER_DEFAULT_RATE: RateDefault = { concurrency: 4, per_second: 10, basis: 'vendor doc planviewer-product-api-jobs.txt: no request-rate limit documented, only the daily order cap' };

/** `upstreams.planviewer`: where the Product API is and how koppel may use it. */
export const planviewerConfigSchema = z
  .object({
    /** Site root; calls go to `<base_url>/product_api/v1/…`. @default "https://www.planviewer.nl" */
    base_url: z.url({ protocol: /^https?$/ }).default('https://www.planviewer.nl').describe('site root (without /product_api/v1)'),
    /** API access key (the basic-auth user) from the Planviewer API dashboard. @example "ak_3f2c…" */
    access_key: z.string().min(1).describe('API access key (basic-auth user)'),
    /** Access key secret (the basic-auth password); keep it in the environment. @example "${PV_SECRET}" */
    secret: z.string().min(1).describe('access key secret (basic-auth password)'),
    /**
     * koppel's own cap on orders placed per day (all pipelines and replicas together, counted in its database).
     * Keep it at or below the cap Planviewer set for the account: the vendor lets a few orders pass its cap. @default 10
     */
    daily_order_cap: z.number().int().min(0).max(100_000).default(10).describe('orders koppel places per day at most'),
    /** Time zone whose midnight starts a new order day. @default "Europe/Amsterdam" */
    order_day_time_zone: z
      .string()
      .default('Europe/Amsterdam')
      .refine((tz) => isTimeZone(tz), 'expected an IANA time zone like "Europe/Amsterdam"')
      .describe('time zone of the order day'),
    /**
     * Deadline of one download attempt, body included (`timeout_ms` is for the small JSON calls; a 200 MiB
     * deliverable on a slow line needs longer). @default 1800000
     */
    download_timeout_ms: z.number().int().min(1000).max(86_400_000).default(1_800_000).describe('deadline of one download in ms'),
    ...downloadLimitSchema,
    ...upstreamCallOptionsSchema('planviewer', PLANVIEWER_DEFAULT_RATE),
    ...transportSecuritySchema,
  })
  .strict();

/** Plaintext settings refused (see core/transport-security.ts). */
export const planviewerPlaintext = plaintextUrls(['base_url']);

export type PlanviewerConfig = z.output<typeof planviewerConfigSchema>;

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
