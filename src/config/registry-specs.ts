/**
 * What config validation needs to know of the upstream and pipeline types a process was built with. The
 * registries themselves are made at the edge (`src/registries.ts`) and handed in: the config layer names no
 * service. The core's `UpstreamType` and `PipelineType` extend these shapes with the code that runs.
 */
import type { z } from 'zod';
import type { PlaintextIssue } from '../core/transport-security.js';

/** An upstream type as the `upstreams.<name>` block sees it. */
export interface UpstreamBlockSpec<Name extends string = string, Schema extends z.ZodObject = z.ZodObject> {
  /** The block's key under `upstreams:`, also the upstream's name in logs and metrics. */
  readonly name: Name;
  /** The block's schema: strict, every field described, the upstream's own rate default inside (see upstream-gateway.ts). */
  readonly config: Schema;
  /** Plaintext settings the block refuses unless `allow_insecure` (see core/transport-security.ts). */
  plaintext(block: z.output<Schema>): PlaintextIssue[];
}

/** A pipeline type as a `pipelines[]` entry sees it: its name, its settings schema, the upstream blocks it needs. */
export interface PipelineSettingsSpec {
  readonly type: string;
  readonly config: z.ZodType;
  readonly upstreams: readonly string[];
}

/** The two lists config validation reads. */
export interface ConfigSpecs {
  readonly upstreams: readonly UpstreamBlockSpec[];
  readonly pipelines: readonly PipelineSettingsSpec[];
}

/** What every validated upstream block has, whatever the service (`config check` prints the rate and the insecure note). */
export interface UpstreamBlockBase {
  readonly rate: { readonly concurrency: number; readonly per_second: number; readonly source: string };
  readonly allow_insecure: boolean;
  readonly [key: string]: unknown;
}
