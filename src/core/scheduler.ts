import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';
import type { PipelineEntry } from '../config/schema.js';
import type { Runner } from './runner.js';

/**
 * Starts one cron task per enabled, scheduled pipeline. Each tick triggers a run carrying the tick's scheduled
 * time, so that of several replicas exactly one runs it (see Runner #claimTick). A tick during a run of the
 * pipeline is not dropped: the runner runs it once more after (ticks may overlap here; the runner coalesces).
 */
export function schedulePipelines(pipelines: readonly PipelineEntry[], runner: Runner, log: Logger): { stop(): Promise<void> } {
  const tasks: ScheduledTask[] = [];
  for (const p of pipelines) {
    if (!p.enabled || !p.schedule) continue;
    const task = cron.schedule(
      p.schedule,
      async (context) => {
        const tick = new Date(Math.floor(context.date.getTime() / 1000) * 1000);
        try {
          const result = await runner.trigger(p.name, { tick });
          if (result.outcome === 'skipped') log.info({ pipeline: p.name, tick, reason: result.reason }, 'scheduled run skipped');
        } catch (err) {
          // e.g. the database is unreachable for the lock: log it here, the next tick tries again.
          log.error({ err, pipeline: p.name, tick }, 'scheduled run could not start');
        }
      },
      { name: `koppel:${p.name}` },
    );
    tasks.push(task);
    log.info({ pipeline: p.name, schedule: p.schedule, next: task.getNextRun() }, 'pipeline scheduled');
  }
  return {
    async stop() {
      // destroy() also removes the task from node-cron's process-wide list.
      for (const t of tasks) await t.destroy();
    },
  };
}
