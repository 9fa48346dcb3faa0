/**
 * Translates PlanogramBuilder failures into koppel's closed set of errors. Vendor errors arrive inside the
 * response (`error.code`), transport errors as gRPC status codes; the two never mix.
 */
import type { ServiceError, status } from '@grpc/grpc-js';
import { BackOffError, CredentialError, NotConnectedError, PermanentError, RetryableError } from '../../core/errors.js';
import type { MethodName, PlanoApiErrorBody } from './wire.js';

const UPSTREAM = 'planogrambuilder';

/**
 * gRPC status codes (fixed by the gRPC spec), written out so this module loads without grpc-js, which the
 * client imports only when it opens its channel. `satisfies` keeps the table equal to grpc-js's enum.
 */
const Status = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const satisfies { [K in keyof typeof status]: (typeof status)[K] };

const STATUS_NAMES: Record<number, string> = Object.fromEntries(Object.entries(Status).map(([name, code]) => [code, name]));

/** How long to pause on RESOURCE_EXHAUSTED when the server names no time. */
const DEFAULT_BACKOFF_MS = 1_000;

/** A non-OK `error` field → typed error carrying the vendor code, the method and the vendor message. */
export function planoError(method: MethodName, error: PlanoApiErrorBody, itemKey?: string): Error {
  const ctx = { upstream: UPSTREAM, op: method, code: error.code, itemKey };
  const message = `${method} failed with ${error.code}: ${error.message}`;
  switch (error.code) {
    case 'PAE_UNAUTHENTICATED':
      // On SignIn this is a wrong user name or password, which signing in again cannot fix.
      return method === 'SignIn'
        ? new CredentialError(message, ['upstreams.planogrambuilder.username', 'upstreams.planogrambuilder.password'], ctx)
        : new NotConnectedError(message, ctx);
    case 'PAE_INTERNAL':
      return new RetryableError(message, ctx);
    default:
      return new PermanentError(message, ctx);
  }
}

/** gRPC status (transport level) → typed error. */
export function grpcError(method: MethodName, err: ServiceError, itemKey?: string): Error {
  const name = STATUS_NAMES[err.code] ?? String(err.code);
  const ctx = { upstream: UPSTREAM, op: method, code: name, itemKey, cause: err };
  const message = `${method}: gRPC ${name}: ${err.details || err.message}`;
  switch (err.code) {
    case Status.RESOURCE_EXHAUSTED: {
      const header = err.metadata?.get('retry-after')[0];
      const seconds = typeof header === 'string' ? Number(header) : Number.NaN;
      return new BackOffError(message, Number.isFinite(seconds) ? seconds * 1000 : DEFAULT_BACKOFF_MS, ctx);
    }
    case Status.UNAVAILABLE:
    case Status.DEADLINE_EXCEEDED:
    case Status.ABORTED:
    case Status.CANCELLED:
    case Status.INTERNAL:
    case Status.UNKNOWN:
      return new RetryableError(message, ctx);
    default:
      // UNIMPLEMENTED (wrong proto/service), INVALID_ARGUMENT (serialisation) and the like: a retry cannot help.
      return new PermanentError(message, ctx);
  }
}
