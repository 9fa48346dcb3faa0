import { z } from 'zod';

/** Settings of an `ambita-mirror` pipeline entry (besides name, type, schedule, enabled). */
export const ambitaMirrorConfigSchema = z
  .object({
    /** Municipalities (4-digit numbers) whose product catalog is mirrored into `ambita_products`. @default [] @example ["9999", "5401"] */
    municipalities: z.array(z.string().regex(/^\d{4}$/, 'expected a 4-digit municipality number')).default([]).describe('municipalities whose catalog is mirrored'),
    /** Folder under `storage.root` for this pipeline's files (`<folder>/<order id>/<asset id>_<filename>`). @default "ambita" */
    folder: z.string().min(1).default('ambita').describe('folder under storage.root'),
    /**
     * Minutes between the daemon's sweeps, in which every followed order is re-read (this catches lost pushes,
     * and the catalog is refreshed). Daemon runs in between — those a push triggers — only read the pushed orders
     * and the ones never read yet. A run started by hand (`koppel run`, `backfill`) always sweeps. 0 = every run
     * sweeps. @default 30
     */
    sweep_interval_minutes: z.number().int().min(0).max(10_080).default(30).describe('minutes between full sweeps'),
    /** Orders read and reconciled at once (the upstream's rate limit still applies). @default 8 */
    concurrency: z.number().int().min(1).max(64).default(8).describe('orders reconciled at once'),
    /** koppel's own cap on orders placed per day (Ambita documents none; every order costs money). @default 20 */
    daily_order_cap: z.number().int().min(0).max(10_000).default(20).describe('orders placed per day at most'),
    /** Time zone in which the order day turns. @default "Europe/Oslo" */
    time_zone: z.string().min(1).default('Europe/Oslo').describe('time zone of the order day'),
  })
  .strict();

export type AmbitaMirrorConfig = z.output<typeof ambitaMirrorConfigSchema>;
