/**
 * The console's order actions: each is a call to the same function `koppel order …` calls (the pipelines'
 * manual-answers modules), with the signed-in user as the actor, so both keep one set of rules and one money
 * safety. Only the wording of the result, for the page's notice, is the console's own.
 *
 * Every function throws a ConfigError with a message for the person when the answer is refused.
 */
import type { Kysely } from 'kysely';
import type { KoppelConfig } from '../config/schema.js';
import { ConfigError } from '../core/errors.js';
import type { DB } from '../db/schema.js';
import { mapOrderData, queueAmbitaOrder, resolveAmbitaOrder, retryAmbitaRequest, trackAmbitaOrder } from '../pipelines/ambita-mirror/manual-answers.js';
import { answerPlanviewerRequest, planviewerRequestQuestion, queuePlanviewerOrder, retryPlanviewerRequest, selectJobChoice } from '../pipelines/planviewer-mirror/manual-answers.js';
import { waitingChoice } from '../pipelines/planviewer-mirror/waiting-choice.js';
import { findOrderRequest } from '../orders/index.js';
import { upstreamConfig } from '../upstreams/index.js';

/** The names of the configured pipelines of one type (the ones an order request may name). */
export function pipelinesOfType(config: KoppelConfig, type: string): string[] {
  return config.pipelines.filter((p) => p.type === type).map((p) => p.name);
}

/** A waiting request's candidates, as the request page lists them (undefined when it waits for none). */
export function choiceOf(request: { upstream: string; status: string; details: unknown }) {
  return request.upstream === 'planviewer' ? waitingChoice(request.status, request.details) : undefined;
}

async function upstreamOf(db: Kysely<DB>, id: number): Promise<string> {
  const request = await findOrderRequest(db, id);
  if (!request) throw new ConfigError(`request ${id}: not found`);
  return request.upstream;
}

/** `koppel order planviewer resolve <id> --location|--intention <uuid>`: one of the listed candidates. */
export async function answerWait(db: Kysely<DB>, id: number, uuid: string, actor: string): Promise<string> {
  const { request, choice } = await planviewerRequestQuestion(db, id);
  if (!choice) throw new ConfigError(`request ${id} is ${request.status} and waits for no choice`);
  const { chosen } = await answerPlanviewerRequest(db, id, choice.kind === 'location' ? { location: uuid } : { intention: uuid }, actor);
  const c = choice.candidates.find((x) => x.uuid === uuid);
  return `request #${id} answered with ${choice.kind} ${c?.title ?? c?.product ?? chosen ?? uuid}; the next run orders it`;
}

/** `koppel order planviewer select <job> <index>`: answer a Planviewer job waiting for the user. */
export async function answerJob(db: Kysely<DB>, job: string, index: number, actor: string): Promise<string> {
  const { choice } = await selectJobChoice(db, job, index, actor);
  return `choice ${index} ("${choice}") recorded for job ${job}; the next run sends it to Planviewer`;
}

/** `koppel order <upstream> resolve <id> --ordered <vendor id> | --not-ordered`. */
export async function resolveNeedsAttention(db: Kysely<DB>, id: number, answer: { ordered: string } | { notOrdered: true }, actor: string): Promise<string> {
  const a = 'ordered' in answer ? { ordered: answer.ordered.trim() } : answer;
  if ((await upstreamOf(db, id)) === 'ambita') await resolveAmbitaOrder(db, id, a, actor);
  else await answerPlanviewerRequest(db, id, a, actor);
  return 'ordered' in a ? `request #${id} recorded as ordered (${a.ordered}); the next run follows it` : `request #${id} recorded as not ordered; it is back in the queue`;
}

/** `koppel order <upstream> retry <id>`: back to the queue; for Planviewer it also lifts today's payment block. */
export async function retryRequest(db: Kysely<DB>, config: KoppelConfig, id: number, actor: string): Promise<string> {
  if ((await upstreamOf(db, id)) === 'ambita') await retryAmbitaRequest(db, id, actor);
  else await retryPlanviewerRequest(db, id, upstreamConfig(config, 'planviewer')?.order_day_time_zone, actor);
  return `request #${id} is back in the queue`;
}

/** `koppel order planviewer --address|--lot … --product …`: the same checks and the same duplicate key. */
export async function queuePlanviewerRequest(
  db: Kysely<DB>,
  config: KoppelConfig,
  input: { address?: string | undefined; lot?: string | undefined; product: string; intention?: string | undefined; again?: boolean },
  actor: string,
): Promise<string> {
  const pipelines = pipelinesOfType(config, 'planviewer-mirror');
  const { request, created } = await queuePlanviewerOrder(db, input, pipelines, actor);
  if (!created) throw new ConfigError(`already queued as request #${request.id} (${request.status}); tick "order again" to order it once more`);
  return `queued order request #${request.id}; the next run of ${pipelines.join(' or ') || 'a planviewer-mirror pipeline'} orders it`;
}

/** What the console's Ambita form gives: product codes and the fields of a cadastre, a share or a map order. */
export interface AmbitaQueueForm {
  products: string;
  cadastre?: string | undefined;
  address?: string | undefined;
  organization?: string | undefined;
  shareNumber?: string | undefined;
  /** A map order's area: GeoJSON text (a Polygon, a Feature or a FeatureCollection), as `--map <file>` holds. */
  map?: string | undefined;
  /** A map order's spatial reference, as `--srid`. @default "25833" */
  srid?: string | undefined;
  reference?: string | undefined;
  pipeline?: string | undefined;
  again?: boolean;
}

/** `koppel order ambita --product … --cadastre … | --organization … --share-number … | --map …`: the same checks and duplicate key. */
export async function queueAmbitaRequest(db: Kysely<DB>, config: KoppelConfig, form: AmbitaQueueForm, actor: string): Promise<string> {
  const cadastre = form.cadastre !== undefined || form.address !== undefined;
  const share = form.organization !== undefined || form.shareNumber !== undefined;
  const map = form.map !== undefined;
  if ([cadastre, share, map].filter(Boolean).length !== 1) {
    throw new ConfigError('expected one kind of order: a cadastre (and address), an organisation and share number, or a map area (GeoJSON)');
  }
  const orderData = cadastre
    ? { cadastre: form.cadastre, address: form.address }
    : share
      ? { organizationNumber: form.organization, shareNumber: form.shareNumber }
      : mapOrderData(parseGeoJson(form.map!), form.srid ?? '25833');
  const products = form.products.split(/[\s,]+/).filter(Boolean);
  const pipelines = pipelinesOfType(config, 'ambita-mirror');
  const { request, created } = await queueAmbitaOrder(db, { products, orderData, reference: form.reference, pipeline: form.pipeline, again: form.again }, pipelines, actor);
  if (!created) throw new ConfigError(`already queued as request #${request.id} (${request.status}); tick "order again" to order it once more`);
  return `queued order request #${request.id}; the next run of ${form.pipeline ?? (pipelines.join(' or ') || 'an ambita-mirror pipeline')} orders it`;
}

/** `koppel order ambita track <orderId> [--pipeline name]`: follow an order placed outside koppel. */
export async function trackAmbita(db: Kysely<DB>, config: KoppelConfig, orderId: string, pipeline: string | undefined): Promise<string> {
  if (!/^[1-9]\d*$/.test(orderId)) throw new ConfigError(`order id: expected a positive integer, got "${orderId}"`);
  const pipelines = pipelinesOfType(config, 'ambita-mirror');
  const { pipeline: name, added } = await trackAmbitaOrder(db, Number(orderId), pipeline, pipelines);
  return added ? `order ${orderId} is followed by ${name} from its next run` : `order ${orderId} was already followed by ${name}`;
}

function parseGeoJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`map area: expected GeoJSON with a closed Polygon, got text that is not JSON (${(err as Error).message})`);
  }
}
