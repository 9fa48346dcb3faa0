/**
 * `planviewer-mirror`: order Planviewer products for queued requests, follow the jobs, and mirror every
 * deliverable to disk and Postgres — never paying twice, never past the daily cap.
 *
 * plan:  resolve pending requests (read-only search and intentions) up to today's remaining cap; list jobs to
 *        follow, choices to send and files to download.
 * apply: reconcile interrupted orders, order, poll, download.
 */
import { sql } from 'kysely';
import { CredentialError, isKoppelError, RetryableError } from '../../core/errors.js';
import {
  dayBlockedReason,
  interruptedOrderRequests,
  markCapped,
  markFailed,
  markWaiting,
  notePending,
  orderCapToday,
  orderRequestStatus,
  ownCapReason,
  pendingOrderRequests,
  reconcileInterruptedOrders,
} from '../../orders/index.js';
import { type PlannedAction } from '../../core/types.js';
import { definePipeline, type ContextOf } from '../define-pipeline.js';
import { planviewerMirrorConfigSchema, type PlanviewerMirrorConfig } from './config.js';
import { downloadCandidates, downloadFinished } from './downloads.js';
import { type Hold, placeOrder } from './ordering.js';
import { pollJobs } from './polling.js';
import * as why from './reasons.js';
import { type Resolution, resolveRequest } from './resolve.js';

type Ctx = ContextOf<PlanviewerMirrorConfig, 'planviewer'>;

/** A resolution that failed for a transient reason (network): the request stays pending. */
type PlannedResolution = Resolution | { kind: 'error'; reason: string } | { kind: 'held'; hold: Hold };

export interface PlanviewerMirrorState {
  /** Request id → what apply does with it, in queue order. */
  requests: { id: number; resolution: PlannedResolution }[];
}

export const planviewerMirror = definePipeline({
  type: 'planviewer-mirror',
  description: 'Orders Planviewer products for queued requests, follows the jobs and mirrors the files to disk and Postgres',
  upstreams: ['planviewer'],
  config: planviewerMirrorConfigSchema,

  async plan(ctx) {
    const pv = ctx.global.upstreams.planviewer!;
    const actions: PlannedAction[] = [];
    const summary: Record<string, number> = { order: 0, wait: 0, fail: 0, invalid: 0, held: 0, error: 0 };
    const interrupted = await interruptedOrderRequests(ctx.db, { upstream: 'planviewer', pipeline: ctx.pipeline });
    for (const r of interrupted) actions.push({ action: 'needs-attention', key: `request:${r.id}`, detail: { reason: 'interrupted order' } });
    summary['needs-attention'] = interrupted.length;

    const cap = await orderCapToday(ctx.db, { upstream: 'planviewer', dailyCap: pv.daily_order_cap, timeZone: pv.order_day_time_zone });
    let left = cap.blockedReason ? 0 : cap.left;
    // Why requests past the cap are held: the same reason for every one of them today.
    const hold: Hold = !cap.blockedReason
      ? { state: 'capped', reason: ownCapReason({ upstream: 'planviewer', capKey: why.CAP_KEY, cap: pv.daily_order_cap, placed: cap.placed, day: cap.day, timeZone: pv.order_day_time_zone }) }
      : {
          // The vendor's cap is a cap (ordered by itself tomorrow); another block (402) leaves the queue pending.
          state: cap.blockedReason.startsWith(why.VENDOR_CAP_BLOCK) ? 'capped' : 'pending',
          reason: dayBlockedReason({ upstream: 'planviewer', blockedReason: cap.blockedReason, day: cap.day, timeZone: pv.order_day_time_zone, retryCommand: why.retryCommand('<request>') }),
        };
    const requests: PlanviewerMirrorState['requests'] = [];
    const pending = await pendingOrderRequests(ctx.db, { upstream: 'planviewer', pipeline: ctx.pipeline });
    for (const [i, req] of pending.entries()) {
      if (ctx.stopSignal.aborted) break;
      let resolution: PlannedResolution;
      if (left <= 0) {
        resolution = { kind: 'held', hold };
      } else {
        try {
          resolution = await resolveRequest(ctx.upstreams.planviewer, req.request, ctx.config.intention_rule, ctx.abortSignal);
        } catch (err) {
          // Bad credentials refuse every look-up alike, and an upstream still unreachable after the retries fails the
          // next look-up the same way: end the run at the first (exit 1), rather than record each request as failed.
          if (!isKoppelError(err) || err instanceof CredentialError || err instanceof RetryableError) throw err;
          resolution = { kind: 'error', reason: (err as Error).message };
        }
      }
      if (resolution.kind === 'order') left -= 1;
      summary[resolution.kind] = (summary[resolution.kind] ?? 0) + 1;
      requests.push({ id: req.id, resolution });
      actions.push({ action: resolution.kind, key: `request:${req.id}`, detail: describe(resolution) });
      ctx.progress(i + 1, pending.length, 'resolve');
    }

    const jobs = await ctx.db
      .selectFrom('planviewer_jobs')
      .select(['job_uuid', 'status', 'selected_index'])
      .where('pipeline', '=', ctx.pipeline)
      .where('status', 'in', ['initial', 'in_progress', 'waiting for user'])
      .execute();
    for (const j of jobs) {
      const action = j.status === 'waiting for user' ? (j.selected_index !== null ? 'select' : 'waiting-for-user') : 'poll';
      actions.push({ action, key: `job:${j.job_uuid}`, detail: { status: j.status, ...(j.selected_index !== null ? { index: j.selected_index } : {}) } });
      summary[action] = (summary[action] ?? 0) + 1;
    }
    const downloads = await downloadCandidates(ctx);
    for (const d of downloads) actions.push({ action: 'download', key: `job:${d.job_uuid}`, detail: { request: d.request_id } });
    summary.download = downloads.length;
    summary.cap_left_today = left;
    return { summary, actions, state: { requests } satisfies PlanviewerMirrorState };
  },

  async apply(ctx, plan) {
    for (const r of await reconcileInterruptedOrders(ctx.db, { upstream: 'planviewer', pipeline: ctx.pipeline })) {
      ctx.log.error({ requestId: r.id }, r.reason ?? 'interrupted order needs attention');
      ctx.count('failed');
    }
    await orderRequests(ctx, plan.state.requests);
    if (ctx.stopSignal.aborted) return;
    await pollJobs(ctx);
    if (ctx.stopSignal.aborted) return;
    await downloadFinished(ctx, await downloadCandidates(ctx));
  },

  async status(ctx) {
    const pv = ctx.global.upstreams.planviewer;
    const requests = pv
      ? await orderRequestStatus(ctx.db, {
          upstream: 'planviewer',
          pipeline: ctx.pipeline,
          dailyCap: pv.daily_order_cap,
          capKey: why.CAP_KEY,
          timeZone: pv.order_day_time_zone,
          vendorCap: why.vendorCapNote,
          describe: why.describeRequest,
        })
      : {};
    const jobs = await ctx.db
      .selectFrom('planviewer_jobs')
      .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
      .where('pipeline', '=', ctx.pipeline)
      .groupBy('status')
      .execute();
    const waiting = await ctx.db
      .selectFrom('planviewer_jobs')
      .select(['job_uuid', 'request_id', 'waiting', 'selected_index'])
      .where('pipeline', '=', ctx.pipeline)
      .where('status', '=', 'waiting for user')
      .limit(20)
      .execute();
    const files = await ctx.db
      .selectFrom('planviewer_files as f')
      .innerJoin('planviewer_jobs as j', 'j.job_uuid', 'f.job_uuid')
      .select([(eb) => eb.fn.countAll<number>().as('n'), sql<number>`coalesce(sum(f.size), 0)`.as('bytes')])
      .where('j.pipeline', '=', ctx.pipeline)
      .executeTakeFirstOrThrow();
    return {
      ...requests,
      jobs: Object.fromEntries(jobs.map((j) => [j.status, Number(j.n)])),
      jobs_waiting_for_user: waiting.map((w) => ({
        job: w.job_uuid,
        request: Number(w.request_id),
        choices: Object.entries((w.waiting as { locaties?: Record<string, string> } | null)?.locaties ?? {}).map(([index, text]) => `${index}: ${text}`),
        next: w.selected_index !== null ? `none: choice ${w.selected_index} is sent on the next run` : `koppel order planviewer select ${w.job_uuid} <index>`,
      })),
      files: Number(files.n),
      bytes: Number(files.bytes),
    };
  },
});

async function orderRequests(ctx: Ctx, requests: PlanviewerMirrorState['requests']): Promise<void> {
  /** Set when ordering stopped in this run (a cap, a blocked day, a passing error): the rest of the queue waits with it. */
  let stopped: Hold | undefined;
  const held = new Map<Hold, number[]>();
  const hold = (h: Hold, id: number) => held.set(h, [...(held.get(h) ?? []), id]);
  for (const [i, { id, resolution }] of requests.entries()) {
    if (ctx.stopSignal.aborted) break;
    const log = ctx.log.child({ requestId: id });
    switch (resolution.kind) {
      case 'invalid':
        await ctx.reject.add({ itemKey: `request:${id}`, source: 'order_requests', field: resolution.field, reason: resolution.reason });
        await markFailed(ctx.db, id, why.invalidRequest(resolution.reason));
        break;
      case 'fail':
        await markFailed(ctx.db, id, why.nothingToOrder(resolution.reason));
        log.warn({ reason: resolution.reason }, 'nothing to order');
        ctx.count('skipped');
        break;
      case 'wait': {
        const message = resolution.reason.replace('<request>', String(id));
        await markWaiting(ctx.db, id, why.choiceNeeded(id, message, resolution.details), resolution.details);
        log.warn({ reason: message, ...resolution.details }, 'request waits for a human');
        ctx.count('waiting');
        break;
      }
      case 'error':
        await notePending(ctx.db, id, why.lookupFailed(resolution.reason));
        log.warn({ reason: resolution.reason }, 'could not resolve the request; the next run tries again');
        ctx.count('failed');
        break;
      case 'held':
        hold(stopped ?? resolution.hold, id);
        ctx.count('skipped');
        break;
      case 'order': {
        if (stopped) {
          hold(stopped, id);
          ctx.count('skipped');
          break;
        }
        const outcome = await placeOrder(ctx, id, resolution);
        if (outcome.kind === 'placed') ctx.count('created');
        if (outcome.kind === 'stop') stopped = outcome.hold;
        break;
      }
    }
    ctx.progress(i + 1, requests.length, 'order');
  }
  // Every request held back says why: which cap, its count and when it resets, or what it waits for.
  const pv = ctx.global.upstreams.planviewer!;
  for (const [h, ids] of held) {
    // koppel's own cap as it stands now (the plan counted before this run's orders were placed).
    const cap = h.reason.code === 'daily-cap' ? await orderCapToday(ctx.db, { upstream: 'planviewer', dailyCap: pv.daily_order_cap, timeZone: pv.order_day_time_zone }) : undefined;
    const base = cap ? ownCapReason({ upstream: 'planviewer', capKey: why.CAP_KEY, cap: pv.daily_order_cap, placed: cap.placed, day: cap.day, timeZone: pv.order_day_time_zone }) : h.reason;
    for (const id of ids) {
      const reason = { ...base, next: base.next.replace('<request>', String(id)) };
      if (h.state === 'capped') await markCapped(ctx.db, [id], reason);
      else await notePending(ctx.db, id, reason);
    }
  }
}

function describe(r: PlannedResolution): Record<string, unknown> {
  if (r.kind === 'order') return { location: r.location.title, product: r.product, intention: r.intention.uuid, ...r.intention.properties };
  if (r.kind === 'wait') return { reason: r.reason, ...r.details };
  if (r.kind === 'held') return { state: r.hold.state, reason: r.hold.reason.message, next: r.hold.reason.next };
  return { reason: r.reason };
}
