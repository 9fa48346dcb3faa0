/** What the pipelines, run and rejections pages read: runs and rejections as the runner recorded them. */
import cron from 'node-cron';
import type { Kysely } from 'kysely';
import type { PipelineEntry } from '../config/schema.js';
import type { DB } from '../db/schema.js';
import type { RunMark } from './charts.js';

export const SPARKLINE_RUNS = 30;

export interface PipelineOverview {
  entry: PipelineEntry;
  nextTick: Date | null;
  /** Oldest first, at most 30, dry runs left out (they change nothing). */
  runs: (RunMark & { startedAt: Date; endedAt: Date | null; seen: number; warnings: number; error: string | null })[];
}

/** When the schedule next fires (the daemon's cron reading of it); null for a pipeline without one or disabled. */
export function nextTick(entry: PipelineEntry, now = new Date()): Date | null {
  if (!entry.enabled || !entry.schedule) return null;
  // An unstarted task computes the next times without scheduling anything; destroy() unregisters it.
  const task = cron.createTask(entry.schedule, () => undefined);
  try {
    return task.getNextRuns(2).find((d) => d.getTime() > now.getTime()) ?? null;
  } finally {
    void task.destroy();
  }
}

export async function pipelineOverview(db: Kysely<DB>, entry: PipelineEntry): Promise<PipelineOverview> {
  const rows = await db
    .selectFrom('runs')
    .select(['id', 'outcome', 'started_at', 'ended_at', 'seen', 'created', 'updated', 'unchanged', 'rejected', 'failed', 'warnings', 'error'])
    .where('pipeline', '=', entry.name)
    .where('dry_run', '=', false)
    .orderBy('id', 'desc')
    .limit(SPARKLINE_RUNS)
    .execute();
  const runs = rows.reverse().map((r) => ({
    id: Number(r.id),
    outcome: r.outcome,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    durationMs: r.ended_at ? r.ended_at.getTime() - r.started_at.getTime() : null,
    seen: Number(r.seen),
    created: Number(r.created),
    updated: Number(r.updated),
    unchanged: Number(r.unchanged),
    rejected: Number(r.rejected),
    failed: Number(r.failed),
    warnings: Number(r.warnings),
    error: r.error,
  }));
  return { entry, nextTick: nextTick(entry), runs };
}

export async function findRun(db: Kysely<DB>, id: number) {
  return db.selectFrom('runs').selectAll().where('id', '=', id).executeTakeFirst();
}

export interface RejectionFilter {
  pipeline?: string | undefined;
  runId?: number | undefined;
}

/** Rejections and warnings, newest run first, then in the order they were recorded (file order). */
export async function listRejections(db: Kysely<DB>, f: RejectionFilter, limit: number) {
  let q = db.selectFrom('rejections').select(['id', 'run_id', 'pipeline', 'item_key', 'source', 'line', 'field', 'reason', 'value', 'severity', 'created_at']);
  if (f.pipeline) q = q.where('pipeline', '=', f.pipeline);
  if (f.runId !== undefined) q = q.where('run_id', '=', f.runId);
  return q.orderBy('run_id', 'desc').orderBy('id').limit(limit).execute();
}

/** A run's phases and its kept log lines (see core/run-journal.ts), each in the order they happened. */
export async function runJournal(db: Kysely<DB>, runId: number) {
  const rows = await db
    .selectFrom('run_events')
    .select(['id', 'kind', 'at', 'ended_at', 'level', 'message', 'fields'])
    .where('run_id', '=', runId)
    .orderBy('at')
    .orderBy('id')
    .execute();
  return { phases: rows.filter((r) => r.kind === 'phase'), lines: rows.filter((r) => r.kind === 'log') };
}
