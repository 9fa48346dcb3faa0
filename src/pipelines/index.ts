/**
 * The registry of pipeline types: one line per type, handed to the core by the edge (`src/registries.ts`). The
 * compiler checks each line against its definition (`definePipelineType`).
 *
 * A line holds only what config validation needs; the pipeline's own code (plan, apply and all they import) is
 * loaded by `loadPipeline` when a pipeline of that type runs, so a process pays for the types its config uses.
 */
import { definePipelineType } from '../core/types.js';
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
