import { configPath, type LoadConfigOptions } from '../config/load-config.js';
import type { KoppelConfig } from '../config/schema.js';
import type { App, OpenAppOptions } from '../core/app.js';
import { loadConfigFile, openApp } from '../registries.js';

export function loadConfig(flag: string | undefined, options?: LoadConfigOptions): KoppelConfig {
  return loadConfigFile(configPath(flag), process.env, options);
}

/** Opens the app for one command and always closes it, whatever the command does. */
export async function withApp<T>(flag: string | undefined, fn: (app: App) => Promise<T>, options?: OpenAppOptions & LoadConfigOptions): Promise<T> {
  const app = await openApp(loadConfig(flag, options), options);
  try {
    return await fn(app);
  } finally {
    await app.close();
  }
}
