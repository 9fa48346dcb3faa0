import { z } from 'zod';
import { intentionRuleSchema } from './intention-rule.js';

/** Settings of a `planviewer-mirror` pipeline entry. */
export const planviewerMirrorConfigSchema = z
  .object({
    /**
     * How to pick the one intention to order among those Planviewer offers for a location and product, unless
     * the request names its own: `only` (order only when there is exactly one), `newest` (latest `datum`),
     * `uuid:<uuid>`, or `<property>=<value>` (e.g. `plan_id=NL.IMRO.0268.BP7000-VG02`). More than one match:
     * the request waits for a human with the candidates listed. @default "only"
     */
    intention_rule: intentionRuleSchema.default('only'),
    /** Folder under `storage.root` for the downloaded deliverables. @default "planviewer" */
    folder: z.string().regex(/^[\w.-]+$/, 'expected a plain folder name').default('planviewer').describe('folder under storage.root'),
    poll: z
      .object({
        /** Jobs per `jobs/status` call. @default 50 */
        batch_size: z.number().int().min(1).max(500).default(50).describe('jobs per status call'),
        /** First wait between status rounds; doubles each round. @default 2000 */
        initial_delay_ms: z.number().int().min(0).max(600_000).default(2000).describe('first wait between status rounds'),
        /** Longest wait between status rounds. @default 60000 */
        max_delay_ms: z.number().int().min(0).max(3_600_000).default(60_000).describe('longest wait between status rounds'),
        /** How long one run waits for unfinished jobs before leaving them to the next run. @default 600000 */
        max_wait_ms: z.number().int().min(0).max(86_400_000).default(600_000).describe('longest a run waits for jobs'),
      })
      .strict()
      .prefault({}),
    /** Downloads in flight at once (also bounded by `upstreams.planviewer.rate`). @default 4 */
    download_concurrency: z.number().int().min(1).max(64).default(4).describe('downloads in flight at once'),
  })
  .strict();

export type PlanviewerMirrorConfig = z.output<typeof planviewerMirrorConfigSchema>;
