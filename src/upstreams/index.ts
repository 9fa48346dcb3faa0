/**
 * The registry of upstream types: one line per service, in the order `config check` prints the blocks. The edge
 * (`src/registries.ts`) hands it to the core, which knows no service by name. Adding a service is one line here.
 */
import type { KoppelConfig } from '../config/schema.js';
import { defineUpstreamType, type UpstreamKindsOf } from '../core/upstream-type.js';
import { AmbitaClient } from './ambita/client.js';
import { ambitaConfigSchema, ambitaPlaintext } from './ambita/config.js';
import { MaasplassenClient } from './maasplassen/client.js';
import { maasplassenConfigSchema, maasplassenPlaintext } from './maasplassen/config.js';
import { PlanogramBuilderClient } from './planogrambuilder/client.js';
import { planogrambuilderConfigSchema, planogrambuilderPlaintext } from './planogrambuilder/config.js';
import { PlanviewerClient } from './planviewer/client.js';
import { planviewerConfigSchema, planviewerPlaintext } from './planviewer/config.js';

export const upstreamTypes = [
  defineUpstreamType({ name: 'maasplassen', config: maasplassenConfigSchema, plaintext: maasplassenPlaintext, create: (cfg, gw, log) => new MaasplassenClient(cfg, gw, log) }),
  defineUpstreamType({ name: 'planviewer', config: planviewerConfigSchema, plaintext: planviewerPlaintext, create: (cfg, gw, log) => new PlanviewerClient(cfg, gw, log) }),
  defineUpstreamType({ name: 'ambita', config: ambitaConfigSchema, plaintext: ambitaPlaintext, create: (cfg, gw, log) => new AmbitaClient(cfg, gw, log) }),
  defineUpstreamType({
    name: 'planogrambuilder',
    config: planogrambuilderConfigSchema,
    plaintext: planogrambuilderPlaintext,
    create: (cfg, gw, log) => new PlanogramBuilderClient(cfg, gw, log),
  }),
] as const;

/** Upstream name → its client and config block: pipelines pick from it the upstreams they declare. */
export type UpstreamKinds = UpstreamKindsOf<typeof upstreamTypes>;

/** The upstream names a pipeline may declare. */
export type UpstreamName = keyof UpstreamKinds;

/** Upstream `name`'s block of a validated config, typed by its schema; undefined when it is not configured. */
export function upstreamConfig<N extends UpstreamName>(config: KoppelConfig, name: N): UpstreamKinds[N]['config'] | undefined {
  // The block passed this upstream's schema when the config was loaded.
  return config.upstreams[name] as UpstreamKinds[N]['config'] | undefined;
}
