/**
 * Places the order for one resolved request with the money-safety protocol of `src/orders/queue.ts`:
 * intent committed first, one call that is never retried once it may have reached Planviewer, the job uuid
 * recorded together with the job row. Returns whether ordering may go on in this run.
 */
import { sql } from 'kysely';
import { BackOffError, CredentialError, PermanentError, RetryableError } from '../../core/errors.js';
import type { Reason } from '../../core/reasons.js';
import type { ContextOf } from '../define-pipeline.js';
import {
  PlanviewerDailyCapError,
  PlanviewerOrderOutcomeUnknownError,
  PlanviewerPaymentRequiredError,
} from '../../upstreams/planviewer/errors.js';
import { claimForOrdering, dayBlockedReason, markNeedsAttention, orderDay, recordOrderPlaced, recordOrderRefused } from '../../orders/index.js';
import type { PlanviewerMirrorConfig } from './config.js';
import * as why from './reasons.js';
import type { ResolvedOrder } from './resolve.js';

/** Why the rest of the queue is not ordered in this run: `capped` (a daily cap) or still `pending` (a passing cause). */
export interface Hold {
  state: 'capped' | 'pending';
  reason: Reason;
}

/** `stop` ends ordering for this run; `hold` says what the rest of the queue waits for. */
export type OrderOutcome = { kind: 'placed' | 'not-placed' | 'needs-attention' } | { kind: 'stop'; hold: Hold };

export async function placeOrder(ctx: ContextOf<PlanviewerMirrorConfig, 'planviewer'>, requestId: number, order: ResolvedOrder): Promise<OrderOutcome> {
  const pv = ctx.global.upstreams.planviewer!;
  const log = ctx.log.child({ requestId, intention: order.intention.uuid });
  const claim = await claimForOrdering(ctx.db, {
    requestId,
    upstream: 'planviewer',
    pipeline: ctx.pipeline,
    target: order.intention.uuid,
    dailyCap: pv.daily_order_cap,
    capKey: why.CAP_KEY,
    timeZone: pv.order_day_time_zone,
    retryCommand: why.retryCommand(requestId),
    details: { location: order.location, product: order.product, intention: { uuid: order.intention.uuid, properties: order.intention.properties } },
  });
  if (!claim.ok) {
    if (claim.hold) {
      log.warn({ reason: claim.detail }, 'not ordering any more today');
      return { kind: 'stop', hold: { state: claim.reason === 'cap-reached' ? 'capped' : 'pending', reason: claim.hold } };
    }
    log.info({ reason: claim.detail }, 'request not ordered');
    return { kind: 'not-placed' };
  }

  let jobUuid: string;
  try {
    jobUuid = await ctx.upstreams.planviewer.order(order.intention.uuid, { signal: ctx.abortSignal });
  } catch (err) {
    return settleFailedOrder(ctx, requestId, order, err as Error);
  }
  // Logged before it is recorded: if the database write fails now, the log is where a human finds the job.
  log.info({ job: jobUuid, placedToday: claim.placedToday }, 'order placed');
  await ctx.db.transaction().execute(async (trx) => {
    await recordOrderPlaced(trx, requestId, jobUuid);
    await trx
      .insertInto('planviewer_jobs')
      .values({
        job_uuid: jobUuid,
        request_id: requestId,
        pipeline: ctx.pipeline,
        location_uuid: order.location.uuid,
        location_title: order.location.title,
        product: order.product,
        intention_uuid: order.intention.uuid,
        intention: sql`${JSON.stringify(order.intention)}::jsonb`,
      })
      .execute();
  });
  return { kind: 'placed' };
}

/** Sorts a failed order call into "definitely not placed" (released) and "may be placed" (needs a human). */
async function settleFailedOrder(ctx: ContextOf<PlanviewerMirrorConfig, 'planviewer'>, requestId: number, order: ResolvedOrder, err: Error): Promise<OrderOutcome> {
  const pv = ctx.global.upstreams.planviewer!;
  const block = (reason: string) => ({ upstream: 'planviewer', timeZone: pv.order_day_time_zone, reason });
  const log = ctx.log.child({ requestId });
  if (err instanceof PlanviewerDailyCapError) {
    const vendorMessage = err.message.replace(/^.*\(429\): /, '');
    const reason = why.vendorCap(requestId, vendorMessage, pv.order_day_time_zone);
    await recordOrderRefused(ctx.db, requestId, { status: 'capped', reason, blockDay: block(`${why.VENDOR_CAP_BLOCK}: ${vendorMessage}`) });
    log.warn({ err }, 'Planviewer daily order cap reached: no more orders today');
    return { kind: 'stop', hold: { state: 'capped', reason } };
  }
  if (err instanceof PlanviewerPaymentRequiredError) {
    const blocked = 'payment on account is not enabled (402)';
    await recordOrderRefused(ctx.db, requestId, { status: 'needs-attention', reason: why.paymentRequired(requestId), blockDay: block(blocked) });
    log.error({ err }, 'payment on account is off: ordering stopped for today');
    ctx.count('failed');
    const day = orderDay(pv.order_day_time_zone);
    return { kind: 'stop', hold: { state: 'pending', reason: dayBlockedReason({ upstream: 'planviewer', blockedReason: blocked, day, timeZone: pv.order_day_time_zone, retryCommand: why.retryCommand('<request>') }) } };
  }
  if (err instanceof PlanviewerOrderOutcomeUnknownError || !(err instanceof PermanentError || err instanceof BackOffError || err instanceof RetryableError)) {
    await markNeedsAttention(ctx.db, requestId, why.outcomeUnknown(requestId, err.message, { intention: order.intention.uuid, product: order.product, location: order.location.title }));
    log.error({ err }, 'order outcome unknown: needs attention');
    ctx.count('failed');
    return { kind: 'needs-attention' };
  }
  if (err instanceof CredentialError) {
    await recordOrderRefused(ctx.db, requestId, { status: 'pending', reason: why.credentialsRefused(err.message) });
    throw err; // bad credentials: the whole run fails at the first refusal, naming the keys to check
  }
  if (err instanceof PermanentError) {
    await recordOrderRefused(ctx.db, requestId, { status: 'failed', reason: why.refused(err.message) });
    log.warn({ err }, 'order refused');
    ctx.count('failed');
    return { kind: 'not-placed' };
  }
  // Rate limited past the retries, or the connection was refused: nothing reached Planviewer's order book.
  const reason = why.notOrderedYet(err.message);
  await recordOrderRefused(ctx.db, requestId, { status: 'pending', reason });
  log.warn({ err }, 'order not placed; will try again next run');
  return { kind: 'stop', hold: { state: 'pending', reason } };
}
