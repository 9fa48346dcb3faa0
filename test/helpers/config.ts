import { stringify } from 'yaml';
import { parseConfig } from '../../src/registries.js';
import type { KoppelConfig } from '../../src/config/schema.js';

/** A validated config from a plain object, exactly as if it had been read from a YAML file. */
export function makeConfig(raw: Record<string, unknown>, env: NodeJS.ProcessEnv = {}): KoppelConfig {
  return parseConfig(stringify(raw), env);
}
