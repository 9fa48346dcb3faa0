/**
 * What a person does with Planviewer orders by hand: queue a request, answer a job waiting for the user,
 * answer a waiting request (a location or an intention), resolve an interrupted order, put a request back in
 * the queue. `koppel order planviewer …` and the web console call these, and only these: each takes the
 * database, its arguments and who acts (`actor`, as the caller names them; the CLI passes none), checks its
 * input itself, and throws a ConfigError (exit 2) naming what was wrong. No caller touches a table itself.
 */
import { createHash } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import { ConfigError } from '../../core/errors.js';
import type { DB } from '../../db/schema.js';
import {
  candidateLine,
  enqueueOrderRequest,
  findOrderRequest,
  type OrderRequest,
  refuseOtherUpstream,
  requeueOrderRequest,
  resolveInterruptedOrder,
  unblockOrderDay,
} from '../../orders/index.js';
import { parseAddress, parseLot, planviewerRequestSchema } from './mapping.js';
import { type WaitingChoice, waitingChoice } from './waiting-choice.js';

const UPSTREAM = 'planviewer';

/** A request as a person gives it: an address or a lot, a product, and optionally an intention rule. */
export interface PlanviewerOrderInput {
  address?: string | undefined;
  lot?: string | undefined;
  product?: string | undefined;
  /** Intention choice rule: only | newest | uuid:<uuid> | <property>=<value>. */
  intention?: string | undefined;
  /** Only this planviewer-mirror pipeline may take the request. */
  pipeline?: string | undefined;
  /** Queue it even if the same request was queued before (it is ordered and paid again). */
  again?: boolean | undefined;
}

/**
 * Queues a request, once: the same request again returns the first (`created: false`) unless `again`.
 * `pipelines`: the planviewer-mirror pipelines configured (a `pipeline` must be one of them).
 */
export async function queuePlanviewerOrder(
  db: Kysely<DB>,
  input: PlanviewerOrderInput,
  pipelines: readonly string[],
  actor?: string,
): Promise<{ request: OrderRequest; created: boolean }> {
  if (!input.product) throw new ConfigError('--product: expected a product slug, got nothing');
  if (!input.address === !input.lot) throw new ConfigError('expected exactly one of --address or --lot');
  if (input.address && !parseAddress(input.address)) throw new ConfigError(`--address: expected a postcode and a house number, got "${input.address}"`);
  if (input.lot && !parseLot(input.lot)) throw new ConfigError(`--lot: expected "<gemeente> <sectie> <perceelnummer>", got "${input.lot}"`);
  const request = planviewerRequestSchema.safeParse({
    ...(input.address ? { address: input.address } : {}),
    ...(input.lot ? { lot: input.lot } : {}),
    product: input.product,
    ...(input.intention ? { intention_rule: input.intention } : {}),
  });
  if (!request.success) throw new ConfigError(`order request: ${request.error.issues[0]?.message ?? 'invalid'}`);
  if (input.pipeline && !pipelines.includes(input.pipeline)) {
    throw new ConfigError(`--pipeline: expected one of the planviewer-mirror pipelines (${pipelines.join(', ') || 'none'}), got "${input.pipeline}"`);
  }
  // Same request twice is most likely a slip of the finger: it would be ordered and paid twice.
  const key = input.again ? null : createHash('sha256').update(JSON.stringify(normalised(request.data))).digest('hex').slice(0, 32);
  return enqueueOrderRequest(db, { upstream: UPSTREAM, pipeline: input.pipeline ?? null, request: request.data, idempotencyKey: key, actor });
}

/** The request as an idempotency key sees it: "6512 ex 2" and "6512EX 2" are the same address. */
function normalised(r: Record<string, unknown>): Record<string, unknown> {
  const address = typeof r.address === 'string' ? parseAddress(r.address) : undefined;
  const lot = typeof r.lot === 'string' ? parseLot(r.lot) : undefined;
  return { address, lot, product: r.product, rule: r.intention_rule ?? null };
}

/** Answers a job waiting for the user with the 1-based index of one of its choices; the next run sends it. */
export async function selectJobChoice(db: Kysely<DB>, job: string, index: number, actor?: string): Promise<{ index: number; choice: string }> {
  const row = await db.selectFrom('planviewer_jobs').select(['status', 'waiting']).where('job_uuid', '=', job).executeTakeFirst();
  if (!row) throw new ConfigError(`job ${job}: not a Planviewer job koppel follows`);
  if (row.status !== 'waiting for user') throw new ConfigError(`job ${job}: is ${row.status}, not waiting for the user`);
  const choices = (row.waiting as { locaties?: Record<string, string> } | null)?.locaties ?? {};
  if (!(String(index) in choices)) {
    throw new ConfigError(`index: expected one of ${Object.keys(choices).join(', ') || '(no choices known yet)'}, got ${index}`);
  }
  await db.updateTable('planviewer_jobs').set({ selected_index: index, selected_by: actor ?? null, updated_at: sql`now()` }).where('job_uuid', '=', job).execute();
  return { index, choice: choices[String(index)]! };
}

/** What a request waits for: its state and reason, and for a waiting choice the candidates, one line each. */
export interface PlanviewerRequestQuestion {
  request: OrderRequest;
  choice: WaitingChoice | undefined;
  /** `candidateLine` of each candidate of `choice` (none without one). */
  candidates: string[];
}

/** The request with what it waits for; refuses a request that is not Planviewer's. */
export async function planviewerRequestQuestion(db: Kysely<DB>, id: number): Promise<PlanviewerRequestQuestion> {
  const request = await planviewerRequest(db, id);
  const choice = waitingChoice(request.status, request.details);
  return { request, choice, candidates: choice ? choice.candidates.map(candidateLine) : [] };
}

/** A person's answer to a request: a candidate of its waiting choice, or whether an interrupted order was placed. */
export type PlanviewerAnswer = { location: string } | { intention: string } | { ordered: string } | { notOrdered: true };

/**
 * Answers a request; the next run picks it up. A location or intention must be one of the listed candidates
 * when the request lists some: a mistyped or stale uuid would order (and pay for) something else. Returns the
 * chosen candidate's line, if it was one.
 */
export async function answerPlanviewerRequest(db: Kysely<DB>, id: number, answer: PlanviewerAnswer, actor?: string): Promise<{ chosen?: string }> {
  const { request, choice, candidates } = await planviewerRequestQuestion(db, id);
  const listed = candidates.map((line) => `  ${line}\n`).join('');
  const pick = 'location' in answer ? { kind: 'location', uuid: answer.location } : 'intention' in answer ? { kind: 'intention', uuid: answer.intention } : undefined;
  let chosen: string | undefined;
  if (pick && choice) {
    if (pick.kind !== choice.kind) throw new ConfigError(`request ${id} waits for ${aChoice(choice.kind)}, not ${aChoice(pick.kind)}: answer with --${choice.kind} <uuid>, one of:\n${listed}`);
    const at = choice.candidates.findIndex((c) => c.uuid === pick.uuid);
    if (at < 0) throw new ConfigError(`--${pick.kind}: expected one of the candidates of request ${id}, got "${pick.uuid}":\n${listed}`);
    chosen = `${pick.kind} ${candidates[at]!}`;
  }
  if ('location' in answer) await requeueOrderRequest(db, id, { location_uuid: answer.location }, actor);
  else if ('intention' in answer) await requeueOrderRequest(db, id, { intention_rule: `uuid:${answer.intention}` }, actor);
  else if ('notOrdered' in answer) await resolveInterruptedOrder(db, id, { notOrdered: true }, actor);
  else await recordJobFoundByHand(db, request, answer.ordered, actor);
  return chosen ? { chosen } : {};
}

const aChoice = (kind: string) => (kind === 'intention' ? 'an intention' : 'a location');

/** The interrupted order WAS placed: the request is `ordered` with this job, and the pipeline follows the job. */
async function recordJobFoundByHand(db: Kysely<DB>, request: OrderRequest, job: string, actor: string | undefined): Promise<void> {
  const d = request.details as { location?: { uuid: string; title: string }; product?: string; intention?: { uuid: string } } | null;
  const pipeline = request.claimedBy;
  if (!pipeline || !d?.product || !d.intention) throw new ConfigError(`request ${request.id}: no interrupted order to resolve`);
  await db.transaction().execute(async (trx) => {
    await resolveInterruptedOrder(trx, request.id, { ordered: job }, actor);
    await trx
      .insertInto('planviewer_jobs')
      .values({
        job_uuid: job,
        request_id: request.id,
        pipeline,
        location_uuid: d.location?.uuid ?? null,
        location_title: d.location?.title ?? null,
        product: d.product!,
        intention_uuid: d.intention!.uuid,
      })
      .execute();
  });
}

/**
 * Puts a waiting, failed or needs-attention request back in the queue, and lifts today's block on ordering
 * (a 402 that a person fixed). `timeZone`: `upstreams.planviewer.order_day_time_zone`, when Planviewer is configured.
 */
export async function retryPlanviewerRequest(db: Kysely<DB>, id: number, timeZone: string | undefined, actor?: string): Promise<void> {
  await refuseOtherUpstream(db, id, UPSTREAM);
  await requeueOrderRequest(db, id, {}, actor);
  if (timeZone) await unblockOrderDay(db, { upstream: UPSTREAM, timeZone });
}

async function planviewerRequest(db: Kysely<DB>, id: number): Promise<OrderRequest> {
  const request = await findOrderRequest(db, id);
  if (request?.upstream !== UPSTREAM) throw new ConfigError(`request ${id}: not a Planviewer order request`);
  return request;
}
