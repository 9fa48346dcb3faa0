/**
 * The shape of an upstream type: what the core needs to know of a service without naming it. The concrete
 * types are listed at the edge (`src/upstreams/index.ts`, one line per service) and handed to the core.
 */
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { UpstreamBlockSpec } from '../config/registry-specs.js';
import type { UpstreamKind } from './types.js';
import type { UpstreamGateway } from './upstream-gateway.js';

/**
 * A service koppel talks to: its config block (name, schema with its rate default, plaintext rule; secrets are
 * the block's keys that `isSecretKey` names) and how to build its client from the validated block.
 */
export interface UpstreamType<Name extends string = string, Schema extends z.ZodObject = z.ZodObject, Client = unknown> extends UpstreamBlockSpec<Name, Schema> {
  /** Builds the one client of the process; every call it makes goes through `gateway` (rate limit, retries). */
  create(cfg: z.output<Schema>, gateway: UpstreamGateway, log: Logger): Client;
}

/** The kind map of a list of upstream types (the registry's `as const` list). */
export type UpstreamKindsOf<Types extends readonly UpstreamType<string, z.ZodObject, unknown>[]> = {
  [T in Types[number] as T['name']]: UpstreamKind<ReturnType<T['create']>, z.output<T['config']>>;
};

/** Typed identity for a registry line: the compiler checks that `create` takes what the schema yields. */
export function defineUpstreamType<const Name extends string, Schema extends z.ZodObject, Client>(line: UpstreamType<Name, Schema, Client>): UpstreamType<Name, Schema, Client> {
  return Object.freeze(line);
}
