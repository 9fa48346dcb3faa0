/**
 * The composition root: the one place that puts this program's services into the core. Every edge (the CLI,
 * the demo, bench, tests) takes the registries, or the core's entry points bound to them, from here, so no edge
 * lists the services itself and the core names none.
 */
import { type LoadConfigOptions, loadConfigFile as loadConfigFileWith, parseConfig as parseConfigWith } from './config/load-config.js';
import type { KoppelConfig } from './config/schema.js';
import { type App, type OpenAppOptions, openApp as openAppWith } from './core/app.js';
import type { Registries } from './core/registries.js';
import { pipelineTypes } from './pipelines/index.js';
import { upstreamTypes } from './upstreams/index.js';

export const registries: Registries = Object.freeze({ upstreams: upstreamTypes, pipelines: pipelineTypes });

/** `config/load-config.ts › parseConfig` for this program's upstream and pipeline types. */
export function parseConfig(text: string, env: NodeJS.ProcessEnv, source?: string, label?: string, options?: LoadConfigOptions): KoppelConfig {
  return parseConfigWith(registries, text, env, source, label, options);
}

/** `config/load-config.ts › loadConfigFile` for this program's upstream and pipeline types. */
export function loadConfigFile(path: string, env: NodeJS.ProcessEnv = process.env, options?: LoadConfigOptions): KoppelConfig {
  return loadConfigFileWith(registries, path, env, options);
}

/** `core/app.ts › openApp` with this program's registries. */
export function openApp(config: KoppelConfig, options?: OpenAppOptions): Promise<App> {
  return openAppWith(config, registries, options);
}
