/**
 * The registry of pipeline types: one line per type. The compiler checks it, and `PipelineConfigs` maps
 * each type name to its settings so `run('maasplassen-availability', …)` is type-checked.
 */
import type { z } from 'zod';
import type { PipelineDefinition } from '../core/types.js';
import { maasplassenAvailability } from './maasplassen-availability/pipeline.js';
import { ambitaMirror } from './ambita-mirror/pipeline.js';
import { planviewerMirror } from './planviewer-mirror/pipeline.js';
import { planogramCatalog } from './planogram-catalog/pipeline.js';

export const pipelineTypes = [
  maasplassenAvailability,
  ambitaMirror,
  planviewerMirror,
  planogramCatalog,
] as const satisfies readonly PipelineDefinition<z.ZodType, any>[];

export type RegisteredPipeline = (typeof pipelineTypes)[number];

/** Type name → parsed settings of that type. */
export type PipelineConfigs = {
  [P in RegisteredPipeline as P['type']]: z.output<P['config']>;
};

export function findPipelineType(type: string): PipelineDefinition | undefined {
  return (pipelineTypes as readonly PipelineDefinition[]).find((p) => p.type === type);
}

export function pipelineTypeNames(): string[] {
  return pipelineTypes.map((p) => p.type);
}
