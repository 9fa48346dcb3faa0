import cron from 'node-cron';
import { z } from 'zod';
import { consoleConfigSchema } from '../console/config.js';
import { refusePlaintext } from '../core/transport-security.js';
import { databaseConfigSchema } from '../db/config.js';
import type { UpstreamBlockBase, UpstreamBlockSpec } from './registry-specs.js';

/** Keys every pipeline entry has; the rest of the entry is validated by its type's own schema. */
export const pipelineBaseSchema = z.object({
  /** Unique name, used on the command line (`koppel run <name>`), in logs, locks and metrics. */
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'expected lowercase letters, digits, "-" or "_" (at most 63)')
    .describe('unique pipeline name'),
  /** Pipeline type, one of the registered types (`koppel config check` lists them). */
  type: z.string().min(1).describe('pipeline type'),
  /** Cron expression (5 or 6 fields) for the daemon; without one the pipeline only runs on demand. */
  schedule: z
    .string()
    .refine((v) => cron.validate(v), 'expected a cron expression like "*/5 * * * *"')
    .optional()
    .describe('cron expression'),
  /** A disabled pipeline is not scheduled and refuses `run`. @default true */
  enabled: z.boolean().default(true).describe('schedule and run this pipeline'),
});

export type PipelineBase = z.output<typeof pipelineBaseSchema>;

export const PIPELINE_BASE_KEYS = Object.keys(pipelineBaseSchema.shape);

/** `pipelines:` as the first pass reads it: base keys checked, the type's own keys kept for the second pass. */
export const pipelinesSchema = z.array(pipelineBaseSchema.loose()).default([]);

/**
 * `upstreams:` — one optional block per upstream type, each validated by its own schema; a pipeline needing an
 * absent one fails at start. `blockOf` may relax a block (the read-only commands make its secrets optional).
 */
export function buildUpstreamsSchema(upstreams: readonly UpstreamBlockSpec[], blockOf: (spec: UpstreamBlockSpec) => z.ZodObject = (spec) => spec.config) {
  return z
    .object(Object.fromEntries(upstreams.map((spec) => [spec.name, blockOf(spec).optional()])))
    .strict()
    .superRefine(refusePlaintext(Object.fromEntries(upstreams.map((spec) => [spec.name, (block: never) => spec.plaintext(block)]))));
}

/** The whole file, for these upstream types. `pipelines` entries keep their type-specific keys for the second pass (see load-config.ts). */
export function buildRootConfigSchema(upstreamsSchema: ReturnType<typeof buildUpstreamsSchema>) {
  return z
    .object({
      database: databaseConfigSchema.prefault({}),
      storage: z
        .object({
          /** Where mirrored deliverables are written. @default "./data/files" */
          root: z.string().min(1).default('./data/files').describe('folder for downloaded files'),
        })
        .strict()
        .prefault({}),
      http: z
        .object({
          /** Daemon port for /healthz, /metrics and webhooks. @default 8080 */
          port: z.number().int().min(0).max(65535).default(8080).describe('daemon HTTP port'),
          /** Address to listen on. @default "0.0.0.0" */
          host: z.string().default('0.0.0.0').describe('daemon HTTP listen address'),
        })
        .strict()
        .prefault({}),
      log: z
        .object({
          /** pino level: trace, debug, info, warn, error, fatal, silent. @default "info" */
          level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info').describe('log level'),
        })
        .strict()
        .prefault({}),
      daemon: z
        .object({
          /** After the first SIGTERM, how long runs may take to finish their item before they are aborted. @default 30000 */
          shutdown_grace_ms: z.number().int().min(0).max(600_000).default(30_000).describe('graceful shutdown window in ms'),
        })
        .strict()
        .prefault({}),
      upstreams: upstreamsSchema.prefault({}),
      /** The web console (src/console/config.ts); absent: no console. */
      console: consoleConfigSchema.optional(),
      pipelines: pipelinesSchema,
    })
    .strict();
}

type RootConfig = z.output<ReturnType<typeof buildRootConfigSchema>>;

/** A validated pipeline entry: base keys plus its type's parsed settings. */
export interface PipelineEntry<Settings = unknown> extends PipelineBase {
  settings: Settings;
}

export type KoppelConfig = Omit<RootConfig, 'pipelines' | 'upstreams'> & {
  /** One validated block per configured upstream, by name; its full type is known to the upstream's own code. */
  upstreams: { readonly [name: string]: UpstreamBlockBase | undefined };
  pipelines: PipelineEntry[];
  /** Folder of the config file; relative paths in it are resolved against the working directory. */
  readonly source: string;
  /**
   * Only on a config loaded for a read-only command (`secrets: 'optional'`): upstream secrets that are not set,
   * each as `upstreams.<name>.<key> (why)`. Such a config must not reach an upstream client (see core/upstream-clients.ts).
   */
  readonly missingSecrets?: readonly string[];
};
