import { z } from 'zod';
import { ambitaConfigSchema } from './ambita/config.js';
import { maasplassenConfigSchema } from './maasplassen/config.js';
import { planogrambuilderConfigSchema } from './planogrambuilder/config.js';
import { planviewerConfigSchema } from './planviewer/config.js';

/** `upstreams:` — one optional block per service; a pipeline needing an absent one fails at start. */
export const upstreamsConfigSchema = z
  .object({
    maasplassen: maasplassenConfigSchema.optional(),
    planviewer: planviewerConfigSchema.optional(),
    ambita: ambitaConfigSchema.optional(),
    planogrambuilder: planogrambuilderConfigSchema.optional(),
  })
  .strict();

export type UpstreamsConfig = z.output<typeof upstreamsConfigSchema>;
