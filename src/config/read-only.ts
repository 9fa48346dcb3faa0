/**
 * Read-only commands (`status`, `migrate`, `config check --no-secrets`) need the database settings, not the
 * upstreams' credentials: an operator on a support host, or a cron wrapper that only reads `status`, should not
 * have to hold every service's secret. This is the config schema with each upstream secret optional; a secret
 * that IS given is still checked. The secrets left out are listed, so the command can say which are missing.
 */
import { z } from 'zod';
import type { UpstreamBlockSpec } from './registry-specs.js';
import { buildRootConfigSchema, buildUpstreamsSchema } from './schema.js';
import { isSecretKey } from './secrets.js';

const emptyIsAbsent = (schema: z.ZodType) => z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

/** One upstream block with its secret fields optional (the other fields as strict as ever). */
function withOptionalSecrets(block: z.ZodObject): z.ZodObject {
  const relaxed = Object.fromEntries(Object.entries(block.shape).filter(([key]) => isSecretKey(key)).map(([key, schema]) => [key, emptyIsAbsent(schema as z.ZodType)]));
  return block.extend(relaxed);
}

/** The whole file as read-only commands validate it, for these upstream types. */
export function buildReadOnlyRootConfigSchema(upstreams: readonly UpstreamBlockSpec[]) {
  return buildRootConfigSchema(buildUpstreamsSchema(upstreams, (spec) => withOptionalSecrets(spec.config)));
}

/**
 * The secrets of upstream blocks that are absent: `upstreams.<name>.secret (environment variable SOME_SECRET
 * is not set)`. `unset` is the substitution's map of config path → unset variable names.
 */
export function missingSecrets(value: unknown, unset: ReadonlyMap<string, string[]>, specs: readonly UpstreamBlockSpec[]): string[] {
  const upstreams = (value as { upstreams?: Record<string, unknown> } | null)?.upstreams;
  if (!upstreams || typeof upstreams !== 'object') return [];
  const out: string[] = [];
  for (const [name, block] of Object.entries(upstreams)) {
    if (!block || typeof block !== 'object') continue;
    const shape: Record<string, z.ZodType> = specs.find((spec) => spec.name === name)?.config.shape ?? {};
    for (const key of Object.keys(shape).filter(isSecretKey)) {
      const v = (block as Record<string, unknown>)[key];
      if (v !== undefined && v !== '') continue;
      // webhook_token and the like are optional anyway: only a secret the service needs is "missing".
      if (shape[key]!.safeParse(undefined).success) continue;
      const path = `upstreams.${name}.${key}`;
      const names = unset.get(path);
      out.push(names ? `${path} (environment variable ${names.join(', ')} is not set)` : `${path} (not given)`);
    }
  }
  return out;
}
