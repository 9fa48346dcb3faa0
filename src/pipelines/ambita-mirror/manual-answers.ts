/**
 * What a person does with Ambita orders by hand: queue a request, resolve an order whose outcome was unknown,
 * put a request back in the queue, follow an order placed outside koppel. `koppel order ambita …` and the web
 * console call these, and only these: each takes the database, its arguments and who acts (`actor`, as the
 * caller names them; the CLI passes none), checks its input itself, and throws a ConfigError (exit 2) naming
 * what was wrong. No caller touches a table itself.
 */
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import { ConfigError } from '../../core/errors.js';
import type { DB } from '../../db/schema.js';
import { enqueueOrderRequest, type OrderRequest, refuseOtherUpstream, requeueOrderRequest, resolveInterruptedOrder } from '../../orders/index.js';
import { ambitaOrderRequestSchema } from './mapping.js';
import { trackOrder } from './mirror-store.js';

const UPSTREAM = 'ambita';

/** A request as a person gives it: product codes and the order data of one kind (cadastre, share or map). */
export interface AmbitaOrderInput {
  products: readonly string[];
  /** `{ cadastre, address }`, `{ organizationNumber, shareNumber }` or `{ geometry, spatialReference }`. */
  orderData: Record<string, unknown>;
  /** Assignment key (Ambita bills by it). */
  reference?: string | undefined;
  /** Only this ambita-mirror pipeline may take the request. */
  pipeline?: string | undefined;
  /** Queue it even if the same request was queued before (it is ordered and paid again). */
  again?: boolean | undefined;
}

/**
 * Queues a request, once: the same request again returns the first (`created: false`) unless `again`.
 * `pipelines`: the ambita-mirror pipelines configured (a `pipeline` must be one of them).
 */
export async function queueAmbitaOrder(
  db: Kysely<DB>,
  input: AmbitaOrderInput,
  pipelines: readonly string[],
  actor?: string,
): Promise<{ request: OrderRequest; created: boolean }> {
  if (!input.products.length) throw new ConfigError('--product: expected at least one product code, got nothing');
  const parsed = ambitaOrderRequestSchema.safeParse({ products: input.products, orderData: input.orderData, ...(input.reference ? { reference: input.reference } : {}) });
  if (!parsed.success) {
    throw new ConfigError(`order request: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  }
  if (input.pipeline && !pipelines.includes(input.pipeline)) {
    throw new ConfigError(`--pipeline: expected one of the ambita-mirror pipelines (${pipelines.join(', ') || 'none'}), got "${input.pipeline}"`);
  }
  // The same request twice is most likely a slip of the finger: it would be ordered and paid twice.
  const key = input.again ? null : createHash('sha256').update(JSON.stringify(parsed.data)).digest('hex').slice(0, 32);
  return enqueueOrderRequest(db, { upstream: UPSTREAM, pipeline: input.pipeline ?? null, request: parsed.data, idempotencyKey: key, actor });
}

/**
 * A map order's `orderData` from GeoJSON as people have it: a Polygon geometry, a Feature, or a
 * FeatureCollection (its first feature). Not checked here: `queueAmbitaOrder` checks it with the rest.
 */
export function mapOrderData(geojson: unknown, spatialReference: string): Record<string, unknown> {
  const g = geojson as { type?: string; geometry?: unknown; features?: { geometry?: unknown }[] } | null;
  const geometry = g?.type === 'Feature' ? g.geometry : g?.type === 'FeatureCollection' ? g.features?.[0]?.geometry : geojson;
  return { geometry, spatialReference };
}

/**
 * A person checked the Ambita account for an order whose outcome was unknown: it was placed (`ordered`: its
 * order id; the pipeline follows it from its next run) or it was not (queued again).
 */
export async function resolveAmbitaOrder(db: Kysely<DB>, id: number, answer: { ordered: string } | { notOrdered: true }, actor?: string): Promise<void> {
  if ('ordered' in answer && !/^[1-9]\d*$/.test(answer.ordered)) throw new ConfigError(`--ordered: expected a positive integer, got "${answer.ordered}"`);
  await refuseOtherUpstream(db, id, UPSTREAM);
  await resolveInterruptedOrder(db, id, answer, actor);
}

/** Puts a failed or needs-attention request (with no order recorded) back in the queue. */
export async function retryAmbitaRequest(db: Kysely<DB>, id: number, actor?: string): Promise<void> {
  await refuseOtherUpstream(db, id, UPSTREAM);
  await requeueOrderRequest(db, id, {}, actor);
}

/**
 * Follows an order placed outside koppel (Ambita's web shop): `pipeline` names the ambita-mirror pipeline that
 * mirrors it, or is left out when exactly one is configured (`pipelines`). `added: false` when it already did.
 */
export async function trackAmbitaOrder(
  db: Kysely<DB>,
  orderId: number,
  pipeline: string | undefined,
  pipelines: readonly string[],
): Promise<{ pipeline: string; added: boolean }> {
  const name = pipeline ?? (pipelines.length === 1 ? pipelines[0] : undefined);
  if (!name || !pipelines.includes(name)) {
    throw new ConfigError(`--pipeline: expected one of the ambita-mirror pipelines (${pipelines.join(', ') || 'none'}), got ${pipeline ? `"${pipeline}"` : 'nothing'}`);
  }
  return { pipeline: name, added: await trackOrder(db, { pipeline: name, orderId }) };
}
