/**
 * The registries a process is built with, handed to the core by the edge (`src/registries.ts`): the core finds
 * pipeline and upstream types here, never by importing them.
 */
import type { PipelineDefinition, PipelineType } from './types.js';
import type { UpstreamType } from './upstream-type.js';

export interface Registries {
  /** One line per service: config block, plaintext rule, client factory. */
  readonly upstreams: readonly UpstreamType[];
  /** One line per pipeline type: settings schema, upstreams used, and `load` for its code. */
  readonly pipelines: readonly PipelineType[];
}

export function findPipelineType(registries: Registries, type: string): PipelineType | undefined {
  return registries.pipelines.find((p) => p.type === type);
}

/**
 * Imports a type's code. Its upstreams must be the registry line's (config validation checked those blocks);
 * the compiler already holds `load` to the line's type name and schema.
 */
export async function loadPipeline(line: PipelineType): Promise<PipelineDefinition> {
  const def = await line.load();
  if (def.type !== line.type || def.config !== line.config || def.upstreams.join() !== line.upstreams.join()) {
    throw new Error(`pipeline type "${line.type}": its definition does not match its registry line`);
  }
  return def;
}
