/**
 * Follows placed orders: `jobs/status` in batches, rounds spaced by a doubling delay, until every job has
 * settled or the run's wait budget is spent (the next run picks up the rest: there are no job webhooks).
 * `waiting for user` and `error` are surfaced with the action needed, never spun on.
 */
import { sql } from 'kysely';
import { sleep } from '../../core/abortable-sleep.js';
import { CredentialError, PermanentError } from '../../core/errors.js';
import { markFailed, markNeedsAttention, noteOrdered } from '../../orders/index.js';
import type { ContextOf } from '../define-pipeline.js';
import type { JobStatusEntry } from '../../upstreams/planviewer/api.js';
import type { PlanviewerMirrorConfig } from './config.js';
import * as why from './reasons.js';

type Ctx = ContextOf<PlanviewerMirrorConfig, 'planviewer'>;
const ACTIVE = ['initial', 'in_progress'];

export async function pollJobs(ctx: Ctx): Promise<void> {
  await sendSelections(ctx);
  const started = Date.now();
  let delay = ctx.config.poll.initial_delay_ms;
  // Jobs waiting for a user are asked about once per run (a choice may have been made elsewhere), not in every round.
  let statuses = [...ACTIVE, 'waiting for user'];
  for (let round = 0; ; round++) {
    const jobs = await ctx.db
      .selectFrom('planviewer_jobs')
      .select(['job_uuid', 'request_id', 'status'])
      .where('pipeline', '=', ctx.pipeline)
      .where('status', 'in', statuses)
      .orderBy('created_at')
      .execute();
    statuses = ACTIVE;
    if (jobs.length === 0) return;
    let done = 0;
    for (let i = 0; i < jobs.length; i += ctx.config.poll.batch_size) {
      if (ctx.stopSignal.aborted) return;
      const ok = await pollBatch(ctx, jobs.slice(i, i + ctx.config.poll.batch_size));
      if (!ok) return;
      done += Math.min(ctx.config.poll.batch_size, jobs.length - i);
      ctx.progress(done, jobs.length, 'poll');
    }
    const left = await countActive(ctx);
    if (left === 0 || Date.now() - started + delay > ctx.config.poll.max_wait_ms || ctx.stopSignal.aborted) {
      if (left > 0) ctx.log.info({ jobs: left, rounds: round + 1 }, 'jobs still running; the next run follows them');
      return;
    }
    try {
      await sleep(delay, ctx.stopSignal);
    } catch {
      return; // shutting down: the jobs are followed by the next run
    }
    delay = Math.min(ctx.config.poll.max_delay_ms, Math.max(1, delay * 2));
  }
}

async function countActive(ctx: Ctx): Promise<number> {
  const row = await ctx.db
    .selectFrom('planviewer_jobs')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('pipeline', '=', ctx.pipeline)
    .where('status', 'in', ACTIVE)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** One status call; on 400 (a job Planviewer does not know) the batch is split to find it. False = stop polling. */
async function pollBatch(ctx: Ctx, jobs: { job_uuid: string; request_id: number; status: string }[]): Promise<boolean> {
  let answer: JobStatusEntry[];
  try {
    answer = await ctx.upstreams.planviewer.status(
      jobs.map((j) => j.job_uuid),
      { signal: ctx.abortSignal },
    );
  } catch (err) {
    if (err instanceof PermanentError && err.code === 400) {
      if (jobs.length === 1) {
        const job = jobs[0]!;
        await ctx.db.updateTable('planviewer_jobs').set({ status: 'unknown', updated_at: sql`now()` }).where('job_uuid', '=', job.job_uuid).execute();
        await markNeedsAttention(ctx.db, Number(job.request_id), why.jobUnknown(job.job_uuid));
        ctx.count('failed');
        return true;
      }
      const half = Math.ceil(jobs.length / 2);
      return (await pollBatch(ctx, jobs.slice(0, half))) && pollBatch(ctx, jobs.slice(half));
    }
    if (err instanceof CredentialError) throw err; // every further call would be refused alike
    ctx.log.warn({ err }, 'job status unavailable; the next run asks again');
    return false;
  }
  const byUuid = new Map(jobs.map((j) => [j.job_uuid, j]));
  for (const entry of answer) {
    const job = byUuid.get(entry.uuid);
    if (!job) continue;
    await settle(ctx, job, entry);
  }
  return true;
}

async function settle(ctx: Ctx, job: { job_uuid: string; request_id: number; status: string }, entry: JobStatusEntry): Promise<void> {
  const log = ctx.log.child({ job: job.job_uuid, requestId: Number(job.request_id) });
  const set: Record<string, unknown> = {
    status: entry.status,
    progress_current: entry.progress?.current ?? null,
    progress_total: entry.progress?.total ?? null,
    polls: sql`polls + 1`,
    last_polled_at: sql`now()`,
    updated_at: sql`now()`,
  };
  if (entry.status === 'finished') set.finished_at = sql`coalesce(finished_at, now())`;
  let waitingChoices: Record<string, string> | undefined;
  if (entry.status === 'waiting for user' && job.status !== 'waiting for user') {
    const waiting = await ctx.upstreams.planviewer.waiting(job.job_uuid, { signal: ctx.abortSignal });
    waitingChoices = waiting.locaties;
    set.waiting = sql`${JSON.stringify(waiting)}::jsonb`;
    set.selected_index = null; // a new question: an earlier answer does not apply to it
    log.warn(
      { choices: waiting.locaties, message: waiting.message },
      `job waits for a user's choice: koppel order planviewer select ${job.job_uuid} <index>`,
    );
  }
  await ctx.db.updateTable('planviewer_jobs').set(set).where('job_uuid', '=', job.job_uuid).execute();
  if (entry.status === 'waiting for user' && job.status !== 'waiting for user') {
    const choices = waitingChoices ?? {};
    await noteOrdered(ctx.db, Number(job.request_id), why.jobWaitsForChoice(job.job_uuid, choices));
    ctx.count('waiting');
  }
  if (entry.status === 'error' && job.status !== 'error') {
    await markFailed(ctx.db, Number(job.request_id), why.jobError(job.job_uuid));
    log.error('job ended in error');
    ctx.count('failed');
  }
}

/** Choices recorded by `koppel order planviewer select` (or another application) are sent here. */
async function sendSelections(ctx: Ctx): Promise<void> {
  const chosen = await ctx.db
    .selectFrom('planviewer_jobs')
    .select(['job_uuid', 'selected_index'])
    .where('pipeline', '=', ctx.pipeline)
    .where('status', '=', 'waiting for user')
    .where('selected_index', 'is not', null)
    .execute();
  for (const job of chosen) {
    if (ctx.stopSignal.aborted) return;
    await ctx.upstreams.planviewer.select(job.job_uuid, job.selected_index!, { signal: ctx.abortSignal });
    await ctx.db
      .updateTable('planviewer_jobs')
      .set({ status: 'in_progress', waiting: null, updated_at: sql`now()` })
      .where('job_uuid', '=', job.job_uuid)
      .execute();
    const request = await ctx.db.selectFrom('planviewer_jobs').select('request_id').where('job_uuid', '=', job.job_uuid).executeTakeFirst();
    if (request) await noteOrdered(ctx.db, Number(request.request_id), null);
    ctx.log.info({ job: job.job_uuid, index: job.selected_index }, 'choice sent to Planviewer');
  }
}
