/**
 * The registry of pipeline types: one line per type. The compiler checks it, and `PipelineConfigs` maps
 * each type name to its settings so `run('maasplassen-availability', …)` is type-checked.
 *
 * A line holds only what config validation needs; the pipeline's own code (plan, apply and all they import) is
 * loaded by `loadPipeline` when a pipeline of that type runs, so a process pays for the types its config uses.
 */
import type { z } from 'zod';
import { definePipelineType, type PipelineDefinition, type PipelineType } from '../core/types.js';
import { ambitaMirrorConfigSchema } from './ambita-mirror/config.js';
import { maasplassenAvailabilityConfigSchema } from './maasplassen-availability/config.js';
import { planogramCatalogConfigSchema } from './planogram-catalog/config.js';
import { planviewerMirrorConfigSchema } from './planviewer-mirror/config.js';

export const pipelineTypes = [
  definePipelineType({
    type: 'maasplassen-availability',
    config: maasplassenAvailabilityConfigSchema,
    upstreams: ['maasplassen'],
    load: async () => (await import('./maasplassen-availability/pipeline.js')).maasplassenAvailability,
  }),
  definePipelineType({
    type: 'ambita-mirror',
    config: ambitaMirrorConfigSchema,
    upstreams: ['ambita'],
    load: async () => (await import('./ambita-mirror/pipeline.js')).ambitaMirror,
  }),
  definePipelineType({
    type: 'planviewer-mirror',
    config: planviewerMirrorConfigSchema,
    upstreams: ['planviewer'],
    load: async () => (await import('./planviewer-mirror/pipeline.js')).planviewerMirror,
  }),
  definePipelineType({
    type: 'planogram-catalog',
    config: planogramCatalogConfigSchema,
    upstreams: ['planogrambuilder'],
    load: async () => (await import('./planogram-catalog/pipeline.js')).planogramCatalog,
  }),
] as const;

export type RegisteredPipeline = (typeof pipelineTypes)[number];

/** Type name → parsed settings of that type. */
export type PipelineConfigs = {
  [P in RegisteredPipeline as P['type']]: z.output<P['config']>;
};

export function findPipelineType(type: string): PipelineType | undefined {
  return (pipelineTypes as readonly PipelineType[]).find((p) => p.type === type);
}

export function pipelineTypeNames(): string[] {
  return pipelineTypes.map((p) => p.type);
}

/**
 * Imports a type's code. Its upstreams must be the registry line's (config validation checked those blocks);
 * the compiler already holds `load` to the line's type name and schema.
 */
export async function loadPipeline(line: PipelineType): Promise<PipelineDefinition> {
  const def = await line.load();
  if (def.type !== line.type || def.config !== line.config || def.upstreams.join() !== line.upstreams.join()) {
    throw new Error(`pipeline type "${line.type}": its definition does not match its registry line in src/pipelines/index.ts`);
  }
  return def;
}
