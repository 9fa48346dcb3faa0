/**
 * The console's order actions, each calling the same queue functions and the same validation as
 * `koppel order …` (src/cli/commands/order-*.ts), so both keep one set of rules and one money safety.
 * This file is the one place the console reaches the order queue: when the CLI's logic moves into functions
 * of each pipeline's module, these become one-line calls to them.
 *
 * Every function throws a ConfigError with a message for the person when the answer is refused.
 */
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { KoppelConfig } from '../config/schema.js';
import { ConfigError } from '../core/errors.js';
import { enqueueOrderRequest, requeueOrderRequest, resolveInterruptedOrder, unblockOrderDay } from '../orders/index.js';
import type { DB } from '../db/schema.js';
import { waitingChoice } from '../pipelines/planviewer-mirror/waiting-choice.js';
import { upstreamConfig } from '../upstreams/index.js';

/** A waiting request's candidates, as the request page lists them (empty when it waits for none). */
export function choiceOf(request: { upstream: string; status: string; details: unknown }) {
  return request.upstream === 'planviewer' ? waitingChoice(request.status, request.details) : undefined;
}

/** `koppel order planviewer resolve <id> --location|--intention <uuid>`: only one of the listed candidates. */
export async function answerWait(db: Kysely<DB>, id: number, uuid: string): Promise<string> {
  const request = await db.selectFrom('order_requests').select(['upstream', 'status', 'details']).where('id', '=', id).executeTakeFirst();
  if (!request) throw new ConfigError(`request ${id}: not found`);
  const choice = choiceOf(request);
  if (!choice) throw new ConfigError(`request ${id} is ${request.status} and waits for no choice`);
  const chosen = choice.candidates.find((c) => c.uuid === uuid);
  // A stale or mistyped uuid would order (and pay for) something else.
  if (!chosen) throw new ConfigError(`request ${id}: "${uuid}" is not one of its candidates`);
  await requeueOrderRequest(db, id, choice.kind === 'location' ? { location_uuid: uuid } : { intention_rule: `uuid:${uuid}` });
  return `request #${id} answered with ${choice.kind} ${chosen.title ?? chosen.product ?? uuid}; the next run orders it`;
}

/** `koppel order <upstream> resolve <id> --ordered <vendor id> | --not-ordered`. */
export async function resolveNeedsAttention(db: Kysely<DB>, id: number, answer: { ordered: string } | { notOrdered: true }): Promise<string> {
  const request = await db.selectFrom('order_requests').select(['upstream', 'status']).where('id', '=', id).executeTakeFirst();
  if (!request) throw new ConfigError(`request ${id}: not found`);
  if ('ordered' in answer) {
    const vendorId = answer.ordered.trim();
    if (request.upstream === 'ambita' && !/^[1-9]\d{0,15}$/.test(vendorId)) throw new ConfigError(`the Ambita order id is a positive number, got "${vendorId}"`);
    if (request.upstream === 'planviewer') {
      // The CLI also records the job for the pipeline to follow; until that lives in the pipeline's module,
      // the console leaves this answer to the CLI rather than writing a pipeline table itself.
      throw new ConfigError(`recording a Planviewer job as ordered is done with \`koppel order planviewer resolve ${id} --ordered <job>\` for now`);
    }
    await resolveInterruptedOrder(db, id, { ordered: vendorId });
    return `request #${id} recorded as ordered (${vendorId}); the next run follows it`;
  }
  await resolveInterruptedOrder(db, id, { notOrdered: true });
  return `request #${id} recorded as not ordered; it is back in the queue`;
}

/** `koppel order <upstream> retry <id>`: back to the queue; for Planviewer it also lifts today's payment block. */
export async function retryRequest(db: Kysely<DB>, config: KoppelConfig, id: number): Promise<string> {
  const request = await db.selectFrom('order_requests').select(['upstream']).where('id', '=', id).executeTakeFirst();
  if (!request) throw new ConfigError(`request ${id}: not found`);
  await requeueOrderRequest(db, id);
  const pv = upstreamConfig(config, 'planviewer');
  if (request.upstream === 'planviewer' && pv) await unblockOrderDay(db, { upstream: 'planviewer', timeZone: pv.order_day_time_zone });
  return `request #${id} is back in the queue`;
}

/** `koppel order planviewer --address|--lot … --product …`: the same checks and the same duplicate key. */
export async function queuePlanviewerRequest(
  db: Kysely<DB>,
  config: KoppelConfig,
  input: { address?: string | undefined; lot?: string | undefined; product: string; intention?: string | undefined; pipeline?: string | undefined; again?: boolean },
): Promise<string> {
  const address = input.address?.trim() || undefined;
  const lot = input.lot?.trim() || undefined;
  if (!input.product.trim()) throw new ConfigError('product: expected a product slug, got nothing');
  if (!address === !lot) throw new ConfigError('expected exactly one of address or lot');
  const mapping = await import('../pipelines/planviewer-mirror/mapping.js');
  if (address && !mapping.parseAddress(address)) throw new ConfigError(`address: expected a postcode and a house number, got "${address}"`);
  if (lot && !mapping.parseLot(lot)) throw new ConfigError(`lot: expected "<gemeente> <sectie> <perceelnummer>", got "${lot}"`);
  const parsed = mapping.planviewerRequestSchema.safeParse({
    ...(address ? { address } : {}),
    ...(lot ? { lot } : {}),
    product: input.product.trim(),
    ...(input.intention?.trim() ? { intention_rule: input.intention.trim() } : {}),
  });
  if (!parsed.success) throw new ConfigError(`order request: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  const pipelines = config.pipelines.filter((p) => p.type === 'planviewer-mirror').map((p) => p.name);
  if (input.pipeline && !pipelines.includes(input.pipeline)) throw new ConfigError(`pipeline: expected one of ${pipelines.join(', ') || 'none'}, got "${input.pipeline}"`);
  // The CLI's duplicate key (order-planviewer.ts `normalised`): the same request from either is queued once.
  const r = parsed.data as Record<string, unknown>;
  const normalised = {
    address: typeof r.address === 'string' ? mapping.parseAddress(r.address) : undefined,
    lot: typeof r.lot === 'string' ? mapping.parseLot(r.lot) : undefined,
    product: r.product,
    rule: r.intention_rule ?? null,
  };
  const key = input.again ? null : createHash('sha256').update(JSON.stringify(normalised)).digest('hex').slice(0, 32);
  const { request, created } = await enqueueOrderRequest(db, { upstream: 'planviewer', pipeline: input.pipeline ?? null, request: parsed.data, idempotencyKey: key });
  if (!created) throw new ConfigError(`already queued as request #${request.id} (${request.status}); tick "order again" to order it once more`);
  return `queued order request #${request.id}; the next run of ${input.pipeline ?? (pipelines.join(' or ') || 'a planviewer-mirror pipeline')} orders it`;
}
