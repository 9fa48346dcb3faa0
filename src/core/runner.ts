import { setMaxListeners } from 'node:events';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { KoppelConfig, PipelineEntry } from '../config/schema.js';
import type { Database } from '../db/database.js';
import { findPipelineType, loadPipeline } from '../pipelines/index.js';
import type { UpstreamRegistry } from '../upstreams/index.js';
import { ConfigError, coerceError } from './errors.js';
import type { KoppelEvents } from './events.js';
import { ItemStateStore } from './item-state.js';
import { RejectionReporter } from './rejections.js';
import {
  type ItemStatus,
  type PipelineContext,
  type PipelineDefinition,
  type PipelineType,
  type RunCounts,
  type RunOptions,
  type RunOutcome,
  type RunResult,
  emptyCounts,
} from './types.js';

export interface RunnerDeps {
  config: KoppelConfig;
  db: Database;
  upstreams: UpstreamRegistry;
  events: KoppelEvents;
  log: Logger;
}

/**
 * Runs pipelines: one runner per pipeline at a time (in this process, and across processes through a
 * Postgres advisory lock), every run recorded with its outcome and counts, rejected items stored.
 */
export class Runner {
  readonly #deps: RunnerDeps;
  /** Pipelines running in this process; a second request for one of them is skipped, never overlapped. */
  readonly #active = new Map<string, Promise<RunResult>>();
  /** Aborts on the first shutdown signal: pipelines finish the item in hand and start nothing new. */
  readonly #stop = new AbortController();
  /** Aborts when the grace period is over: in-flight upstream calls are cancelled. */
  readonly #abort = new AbortController();

  constructor(deps: RunnerDeps) {
    this.#deps = deps;
    // Every upstream call in flight listens on these (queue slot, fetch, gRPC); hundreds at once are normal.
    setMaxListeners(0, this.#stop.signal, this.#abort.signal);
  }

  get stopping(): boolean {
    return this.#stop.signal.aborted;
  }

  /** Runs currently in progress in this process. */
  get active(): string[] {
    return [...this.#active.keys()];
  }

  /** Looks a pipeline up by name; unknown or disabled names are usage errors (exit 2). */
  entry(name: string): { entry: PipelineEntry; type: PipelineType } {
    const entry = this.#deps.config.pipelines.find((p) => p.name === name);
    if (!entry) {
      const known = this.#deps.config.pipelines.map((p) => p.name);
      throw new ConfigError(`pipeline "${name}" is not in the config (configured: ${known.length ? known.join(', ') : 'none'})`);
    }
    const type = findPipelineType(entry.type);
    if (!type) throw new ConfigError(`pipelines: type "${entry.type}" of "${name}" is not a registered pipeline type`);
    return { entry, type };
  }

  /** Runs a pipeline now. Rejects (never throws synchronously) for an unknown or disabled name. */
  async run(name: string, options: RunOptions = {}): Promise<RunResult> {
    // Everything up to the first await runs synchronously, so the overlap check below cannot race.
    const { entry, type } = this.entry(name);
    if (!entry.enabled) throw new ConfigError(`pipeline "${name}" is disabled (pipelines[].enabled: false)`);
    if (this.#active.has(name) || this.stopping) {
      const reason = this.stopping ? 'shutting down' : 'already running in this process';
      return skipped(name, reason);
    }
    const running = this.#execute(entry, type, options).finally(() => this.#active.delete(name));
    this.#active.set(name, running);
    return running;
  }

  /** First signal: stop starting work, wait for runs up to `graceMs`, then abort what is still going. */
  async shutdown(graceMs: number): Promise<void> {
    this.#stop.abort(new Error('shutdown requested'));
    const all = Promise.allSettled([...this.#active.values()]);
    const timer = setTimeout(() => this.#abort.abort(new Error('shutdown grace period over')), graceMs);
    await all;
    clearTimeout(timer);
  }

  /** Second signal: abort at once. */
  abort(): void {
    this.#stop.abort(new Error('shutdown requested'));
    this.#abort.abort(new Error('forced shutdown'));
  }

  async #execute(entry: PipelineEntry, type: PipelineType, options: RunOptions): Promise<RunResult> {
    const { db, log: rootLog, events } = this.#deps;
    const def = await loadPipeline(type);
    const release = await db.tryLock(`pipeline:${entry.name}`);
    if (!release) return skipped(entry.name, 'another process holds its lock');
    const counts = emptyCounts();
    let runId: number | null = null;
    const started = performance.now();
    try {
      if (options.tick && !(await this.#claimTick(entry.name, options.tick))) {
        return skipped(entry.name, 'this schedule tick already ran on another replica');
      }
      await this.#closeCrashedRuns(entry.name);
      runId = await this.#recordStart(entry, def, options);
      const log = rootLog.child({ pipeline: entry.name, runId });
      const ctx = this.#context(entry, def, options, runId, log, counts);
      events.emit('run:start', { pipeline: entry.name, type: def.type, runId, dryRun: !!options.dryRun });
      log.info({ type: def.type, dryRun: !!options.dryRun, full: !!options.full, tick: options.tick?.toISOString() }, 'run started');

      let outcome: RunOutcome;
      let error: Error | undefined;
      let plan;
      try {
        plan = await def.plan(ctx);
        if (options.dryRun) {
          outcome = 'dry-run';
        } else {
          await def.apply(ctx, plan);
          // A shutdown may have cut the work short: say so rather than record a partial run as a success.
          outcome = counts.failed > 0 ? 'failed' : this.stopping ? 'stopped' : ctx.reject.count > 0 ? 'rejected' : 'succeeded';
        }
      } catch (thrown) {
        error = coerceError(thrown);
        outcome = 'failed';
        log.error({ err: error }, 'run failed');
      }
      // The rejection reporter is the one source of the rejected count.
      counts.rejected = ctx.reject.count;
      await ctx.reject.flush();
      await this.#recordEnd(runId, outcome, counts, error);
      const durationMs = performance.now() - started;
      events.emit('run:end', { pipeline: entry.name, type: def.type, runId, outcome, counts: { ...counts }, durationMs });
      log.info({ outcome, counts, durationMs: Math.round(durationMs) }, 'run finished');
      return { runId, pipeline: entry.name, outcome, counts, plan, error, rejections: ctx.reject.sample };
    } catch (thrown) {
      // Recording itself failed (database gone): report, and leave the row for the next run to close.
      const error = coerceError(thrown);
      rootLog.error({ err: error, pipeline: entry.name }, 'run could not be recorded');
      return { runId, pipeline: entry.name, outcome: 'failed', counts, error };
    } finally {
      await release();
    }
  }

  #context(
    entry: PipelineEntry,
    def: PipelineDefinition,
    options: RunOptions,
    runId: number,
    log: Logger,
    counts: RunCounts,
  ): PipelineContext {
    const { db, events, config, upstreams } = this.#deps;
    return Object.freeze({
      pipeline: entry.name,
      runId,
      config: entry.settings,
      global: config,
      options: Object.freeze({ ...options }),
      log,
      db: db.kysely,
      upstreams,
      state: new ItemStateStore(db.kysely, entry.name, runId),
      reject: new RejectionReporter(db.kysely, entry.name, runId, log),
      events,
      stopSignal: this.#stop.signal,
      abortSignal: this.#abort.signal,
      count(status: ItemStatus | 'seen', n = 1) {
        // Rejections are counted once, by the rejection reporter (and reach metrics through run:end).
        if (status === 'rejected') return;
        if (status in counts) counts[status as keyof RunCounts] += n;
        if (status !== 'skipped' && status !== 'seen') events.emit('item:outcome', { pipeline: entry.name, status, n });
      },
      progress(done: number, total: number, phase = def.type) {
        events.emit('progress', { pipeline: entry.name, phase, done, total });
      },
    });
  }

  /** Claims a cron tick under the lock; false when another replica already ran it. */
  async #claimTick(pipeline: string, tick: Date): Promise<boolean> {
    const row = await this.#deps.db.kysely
      .insertInto('schedule_ticks')
      .values({ pipeline, tick, claimed_by: `${hostname()}:${process.pid}` })
      .onConflict((oc) => oc.columns(['pipeline', 'tick']).doNothing())
      .returning('pipeline')
      .executeTakeFirst();
    return row !== undefined;
  }

  /** We hold the lock, so any run of this pipeline still marked running belongs to a process that died. */
  async #closeCrashedRuns(pipeline: string): Promise<void> {
    await this.#deps.db.kysely
      .updateTable('runs')
      .set({ outcome: 'crashed', ended_at: new Date(), error: 'the process ended before the run was recorded as finished' })
      .where('pipeline', '=', pipeline)
      .where('outcome', '=', 'running')
      .execute();
  }

  async #recordStart(entry: PipelineEntry, def: PipelineDefinition, options: RunOptions): Promise<number> {
    const row = await this.#deps.db.kysely
      .insertInto('runs')
      .values({
        pipeline: entry.name,
        type: def.type,
        outcome: 'running',
        dry_run: !!options.dryRun,
        full_sync: !!options.full,
        host: hostname(),
        pid: process.pid,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }

  async #recordEnd(runId: number, outcome: RunOutcome, counts: RunCounts, error?: Error): Promise<void> {
    await this.#deps.db.kysely
      .updateTable('runs')
      .set({ outcome, ended_at: new Date(), ...counts, error: error ? error.message.slice(0, 2000) : null })
      .where('id', '=', runId)
      .execute();
  }
}

function skipped(pipeline: string, reason: string): RunResult {
  return { runId: null, pipeline, outcome: 'skipped', counts: emptyCounts(), reason };
}
