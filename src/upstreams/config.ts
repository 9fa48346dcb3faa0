import { z } from 'zod';
import { refusePlaintext } from '../core/transport-security.js';
import { ambitaConfigSchema, ambitaPlaintext } from './ambita/config.js';
import { maasplassenConfigSchema, maasplassenPlaintext } from './maasplassen/config.js';
import { planogrambuilderConfigSchema, planogrambuilderPlaintext } from './planogrambuilder/config.js';
import { planviewerConfigSchema, planviewerPlaintext } from './planviewer/config.js';

/** Each block's plaintext check, by block name: plaintext only to loopback unless `allow_insecure`. */
export const refusePlaintextUpstreams = refusePlaintext({
  maasplassen: maasplassenPlaintext,
  planviewer: planviewerPlaintext,
  ambita: ambitaPlaintext,
  planogrambuilder: planogrambuilderPlaintext,
});

/** `upstreams:` — one optional block per service; a pipeline needing an absent one fails at start. */
export const upstreamsConfigSchema = z
  .object({
    maasplassen: maasplassenConfigSchema.optional(),
    planviewer: planviewerConfigSchema.optional(),
    ambita: ambitaConfigSchema.optional(),
    planogrambuilder: planogrambuilderConfigSchema.optional(),
  })
  .strict()
  .superRefine(refusePlaintextUpstreams);

export type UpstreamsConfig = z.output<typeof upstreamsConfigSchema>;
