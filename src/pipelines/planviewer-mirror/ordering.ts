/**
 * Places the order for one resolved request with the money-safety protocol of `core/order-requests.ts`:
 * intent committed first, one call that is never retried once it may have reached Planviewer, the job uuid
 * recorded together with the job row. Returns whether ordering may go on in this run.
 */
import { sql } from 'kysely';
import { BackOffError, PermanentError, RetryableError } from '../../core/errors.js';
import { claimForOrdering, markNeedsAttention, recordOrderPlaced, recordOrderRefused } from '../../core/order-requests.js';
import type { PipelineContext } from '../../core/types.js';
import {
  PlanviewerDailyCapError,
  PlanviewerOrderOutcomeUnknownError,
  PlanviewerPaymentRequiredError,
} from '../../upstreams/planviewer/errors.js';
import type { PlanviewerMirrorConfig } from './config.js';
import type { ResolvedOrder } from './resolve.js';

export type OrderOutcome = 'placed' | 'not-placed' | 'needs-attention' | 'stop';

export async function placeOrder(ctx: PipelineContext<PlanviewerMirrorConfig>, requestId: number, order: ResolvedOrder): Promise<OrderOutcome> {
  const pv = ctx.global.upstreams.planviewer!;
  const log = ctx.log.child({ requestId, intention: order.intention.uuid });
  const claim = await claimForOrdering(ctx.db, {
    requestId,
    upstream: 'planviewer',
    pipeline: ctx.pipeline,
    target: order.intention.uuid,
    dailyCap: pv.daily_order_cap,
    timeZone: pv.order_day_time_zone,
    details: { location: order.location, product: order.product, intention: { uuid: order.intention.uuid, properties: order.intention.properties } },
  });
  if (!claim.ok) {
    if (claim.reason === 'cap-reached' || claim.reason === 'blocked') {
      log.warn({ reason: claim.detail }, 'not ordering any more today');
      return 'stop';
    }
    log.info({ reason: claim.detail }, 'request not ordered');
    return 'not-placed';
  }

  let jobUuid: string;
  try {
    jobUuid = await ctx.upstreams.planviewer.order(order.intention.uuid);
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
  return 'placed';
}

/** Sorts a failed order call into "definitely not placed" (released) and "may be placed" (needs a human). */
async function settleFailedOrder(ctx: PipelineContext<PlanviewerMirrorConfig>, requestId: number, order: ResolvedOrder, err: Error): Promise<OrderOutcome> {
  const pv = ctx.global.upstreams.planviewer!;
  const block = (reason: string) => ({ upstream: 'planviewer', timeZone: pv.order_day_time_zone, reason });
  const log = ctx.log.child({ requestId });
  if (err instanceof PlanviewerDailyCapError) {
    const reason = `Planviewer's daily order cap is reached (429); not ordered, it will be ordered on a later day`;
    await recordOrderRefused(ctx.db, requestId, { status: 'pending', reason, blockDay: block(reason) });
    log.warn({ err }, 'Planviewer daily order cap reached: no more orders today');
    return 'stop';
  }
  if (err instanceof PlanviewerPaymentRequiredError) {
    const reason =
      'Planviewer refused the order: payment on account is not enabled (402). Ask Planviewer to enable it, then `koppel order planviewer retry ' +
      `${requestId}\``;
    await recordOrderRefused(ctx.db, requestId, { status: 'needs-attention', reason, blockDay: block('payment on account is not enabled (402)') });
    log.error({ err }, 'payment on account is off: ordering stopped for today');
    ctx.count('failed');
    return 'stop';
  }
  if (err instanceof PlanviewerOrderOutcomeUnknownError || !(err instanceof PermanentError || err instanceof BackOffError || err instanceof RetryableError)) {
    const reason = `order outcome unknown: ${err.message}. Check the Planviewer account for an order of intention ${order.intention.uuid} (${order.product}, ${order.location.title}) and resolve it (koppel order planviewer resolve ${requestId} --ordered <job> | --not-ordered)`;
    await markNeedsAttention(ctx.db, requestId, reason);
    log.error({ err }, 'order outcome unknown: needs attention');
    ctx.count('failed');
    return 'needs-attention';
  }
  if (err instanceof PermanentError && err.code === 401) {
    await recordOrderRefused(ctx.db, requestId, { status: 'pending', reason: err.message });
    throw err; // bad credentials: the whole run fails with the reason
  }
  if (err instanceof PermanentError) {
    await recordOrderRefused(ctx.db, requestId, { status: 'failed', reason: `Planviewer refused the order (nothing was ordered): ${err.message}` });
    log.warn({ err }, 'order refused');
    ctx.count('failed');
    return 'not-placed';
  }
  // Rate limited past the retries, or the connection was refused: nothing reached Planviewer's order book.
  await recordOrderRefused(ctx.db, requestId, { status: 'pending', reason: `not ordered yet: ${err.message}` });
  log.warn({ err }, 'order not placed; will try again next run');
  return 'stop';
}
