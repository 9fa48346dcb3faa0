import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { ConfigError } from '../core/errors.js';
import { substituteEnv } from './env-substitution.js';
import { describeValue, formatIssues } from './format-issues.js';
import { buildReadOnlyRootConfigSchema, missingSecrets } from './read-only.js';
import type { ConfigSpecs, UpstreamBlockSpec } from './registry-specs.js';
import { buildRootConfigSchema, buildUpstreamsSchema, type KoppelConfig, PIPELINE_BASE_KEYS, type PipelineEntry, pipelinesSchema } from './schema.js';

export interface LoadConfigOptions {
  /**
   * `optional`: for read-only commands. Upstream secrets may be absent (they are listed in `missingSecrets`
   * instead of failing validation); every other key is checked as usual. @default "required"
   */
  secrets?: 'required' | 'optional';
}

/** `--config`, else `$KOPPEL_CONFIG`, else `config/koppel.yaml`. */
export function configPath(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return resolve(flag ?? env.KOPPEL_CONFIG ?? 'config/koppel.yaml');
}

type RootSchema = ReturnType<typeof buildRootConfigSchema>;

/** The root schemas (secrets required, secrets optional) per list of upstream types: built once, not per file. */
const rootSchemas = new WeakMap<readonly UpstreamBlockSpec[], { full: RootSchema; readOnly: RootSchema }>();

function rootSchemasFor(upstreams: readonly UpstreamBlockSpec[]): { full: RootSchema; readOnly: RootSchema } {
  let schemas = rootSchemas.get(upstreams);
  if (!schemas) {
    schemas = { full: buildRootConfigSchema(buildUpstreamsSchema(upstreams)), readOnly: buildReadOnlyRootConfigSchema(upstreams) };
    rootSchemas.set(upstreams, schemas);
  }
  return schemas;
}

/** Reads and validates the config file at `path` against the upstream and pipeline types in `specs`. */
export function loadConfigFile(specs: ConfigSpecs, path: string, env: NodeJS.ProcessEnv = process.env, options: LoadConfigOptions = {}): KoppelConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`config: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseConfig(specs, text, env, dirname(path), path, options);
}

/**
 * Validates the whole config and reports every problem at once, each naming its key path, what was expected
 * and what was found. Two passes: the file's shape, then each pipeline entry against its type's schema.
 */
export function parseConfig(
  specs: ConfigSpecs,
  text: string,
  env: NodeJS.ProcessEnv,
  source = process.cwd(),
  label = 'config',
  options: LoadConfigOptions = {},
): KoppelConfig {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(`${label}: not valid YAML:\n${doc.errors.map((e) => `  ${e.message}`).join('\n')}`);
  }
  const raw = doc.toJS() ?? {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(`${label}: expected a mapping at the top, got ${describeValue(raw)}`);
  const { value, unset } = substituteEnv(raw, env);
  const hints = new Map([...unset].map(([path, names]) => [path, `environment variable ${names.join(', ')} is not set`]));

  const problems: string[] = [];
  const readOnly = options.secrets === 'optional';
  const schemas = rootSchemasFor(specs.upstreams);
  const root = (readOnly ? schemas.readOnly : schemas.full).safeParse(value, { reportInput: true });
  if (!root.success) problems.push(...formatIssues(root.error.issues, [], hints));

  const pipelines: PipelineEntry[] = [];
  const names = new Set<string>();
  // Pipeline entries are checked even when the rest of the file is wrong, so one run shows every problem.
  const entries = root.success ? root.data.pipelines : (pipelinesSchema.safeParse((value as { pipelines?: unknown }).pipelines).data ?? []);
  entries.forEach((entry, i) => {
    if (names.has(entry.name)) problems.push(`pipelines[${i}].name: expected a unique name, got ${describeValue(entry.name)} again`);
    names.add(entry.name);
    const def = specs.pipelines.find((p) => p.type === entry.type);
    if (!def) {
      problems.push(`pipelines[${i}].type: expected one of ${specs.pipelines.map((p) => p.type).join(', ')}, got ${describeValue(entry.type)}`);
      return;
    }
    const own = Object.fromEntries(Object.entries(entry).filter(([k]) => !PIPELINE_BASE_KEYS.includes(k)));
    const parsed = def.config.safeParse(own, { reportInput: true });
    if (!parsed.success) {
      problems.push(...formatIssues(parsed.error.issues, ['pipelines', i], hints));
      return;
    }
    for (const upstream of def.upstreams) {
      if (root.success && !root.data.upstreams[upstream]) problems.push(`upstreams.${upstream}: expected a block, since pipeline "${entry.name}" (${entry.type}) uses it, got nothing`);
    }
    pipelines.push({ name: entry.name, type: entry.type, schedule: entry.schedule, enabled: entry.enabled, settings: parsed.data });
  });

  if (problems.length > 0 || !root.success) {
    throw new ConfigError(`${label}: ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  }
  const upstreams = root.data.upstreams as KoppelConfig['upstreams'];
  return deepFreeze({ ...root.data, upstreams, pipelines, source, ...(readOnly ? { missingSecrets: missingSecrets(value, unset, specs.upstreams) } : {}) });
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
