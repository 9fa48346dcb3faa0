/**
 * Loads the PlanogramBuilder service definition at run time with @grpc/proto-loader, so the vendor's own
 * `.proto` can replace ours without a rebuild. Enums come out as names and unset fields as their defaults,
 * which is what `wire.ts` validates.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ConfigError } from '../../core/errors.js';
import { METHOD_NAMES } from './wire.js';

export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: Number,
  enums: String,
  bytes: Buffer,
  defaults: true,
  arrays: true,
  oneofs: true,
};

/** 8 MiB: room for 5 MiB files plus framing; grpc-js receives only 4 MiB by default. */
export const MAX_MESSAGE_BYTES = 8 * 1024 * 1024;

/** `proto/planoapiv1.proto` of this package, found from this module both in `src/` (tsx) and `dist/src/` (built). */
export function defaultProtoPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'proto', 'planoapiv1.proto');
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  return resolve('proto/planoapiv1.proto');
}

export interface ProtoSource {
  proto?: string | undefined;
  package: string;
  service: string;
}

/** The service definition (method paths, serialisers), checked to have all 24 methods of the guide. */
export function loadPlanoService(source: ProtoSource): grpc.ServiceDefinition {
  const path = source.proto ?? defaultProtoPath();
  let pkg: grpc.GrpcObject;
  try {
    pkg = grpc.loadPackageDefinition(protoLoader.loadSync(path, LOADER_OPTIONS));
  } catch (err) {
    throw new ConfigError(`upstreams.planogrambuilder.proto: cannot load ${path}: ${(err as Error).message}`);
  }
  let node: unknown = pkg;
  for (const part of [...source.package.split('.'), source.service]) node = (node as Record<string, unknown> | undefined)?.[part];
  const service = (node as { service?: grpc.ServiceDefinition } | undefined)?.service;
  if (!service) {
    throw new ConfigError(`upstreams.planogrambuilder.service: ${source.package}.${source.service} is not a service in ${path}`);
  }
  const missing = METHOD_NAMES.filter((m) => !service[m]);
  if (missing.length) throw new ConfigError(`upstreams.planogrambuilder.proto: ${path} lacks methods ${missing.join(', ')}`);
  return service;
}
