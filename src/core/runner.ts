import { setMaxListeners } from 'node:events';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { KoppelConfig, PipelineEntry } from '../config/schema.js';
import type { Database, ReleaseLock } from '../db/database.js';
import { sleep } from './abortable-sleep.js';
import { ConfigError, coerceError } from './errors.js';
import type { KoppelEvents } from './events.js';
import { ItemStateStore } from './item-state.js';
import { listenToRunLines } from './logger.js';
import { type RunSignal, startRunSignal } from './run-signal.js';
import { findPipelineType, loadPipeline, type Registries } from './registries.js';
import { RejectionReporter } from './rejections.js';
import { RunJournal } from './run-journal.js';
import type { UpstreamClients } from './upstream-clients.js';
import { emptyCounts, type ItemStatus, type RunCounts, type RunOutcome } from './run-outcome.js';
import type { PipelineContext, PipelineDefinition, PipelineType, RunOptions, RunResult, UpstreamKindMap } from './types.js';

/** How often a trigger asks again for a pipeline lock another process holds (one connection per attempt). */
const LOCK_RETRY_MS = 1000;

/**
 * One more run of a pipeline, asked for while a run of it is in progress in this process. Every request made
 * meanwhile joins it: many requests, one run after the active one, and each caller gets that run's result.
 */
interface FollowUp {
  options: RunOptions;
  /** Set when any joined request was a trigger: the follow-up then waits for a lock held elsewhere. */
  waitForLock: boolean;
  readonly result: Promise<RunResult>;
  settle(result: Promise<RunResult>): void;
}

export interface RunnerDeps {
  config: KoppelConfig;
  db: Database;
  /** Where the runner finds each pipeline's type. */
  registries: Registries;
  upstreams: UpstreamClients;
  events: KoppelEvents;
  log: Logger;
}

/**
 * Runs pipelines: one runner per pipeline at a time (in this process, and across processes through a
 * Postgres advisory lock), every run recorded with its outcome and counts, rejected items stored.
 *
 * Every request is handled: one that arrives while a run of the same pipeline is in progress here (it may
 * already have read what the request is about) gets one follow-up run after it, shared by all such requests.
 */
export class Runner {
  readonly #deps: RunnerDeps;
  /** Pipelines with a run in progress (or waiting for its lock) in this process: never two at once. */
  readonly #active = new Map<string, Promise<RunResult>>();
  /** At most one per pipeline, and only while that pipeline is in #active: started when the active run ends. */
  readonly #followUps = new Map<string, FollowUp>();
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
    const type = findPipelineType(this.#deps.registries, entry.type);
    if (!type) throw new ConfigError(`pipelines: type "${entry.type}" of "${name}" is not a registered pipeline type`);
    return { entry, type };
  }

  /**
   * Runs a pipeline now, or — while it is running in this process — once more right after (see FollowUp).
   * Skipped when another process holds its lock (`koppel run`'s answer). Rejects (never throws
   * synchronously) for an unknown or disabled name.
   */
  run(name: string, options: RunOptions = {}): Promise<RunResult> {
    return this.#request(name, options, false);
  }

  /**
   * A trigger (schedule tick, push message): as `run`, but when another process holds the pipeline's lock it
   * waits for that run to end and then runs, rather than being lost (a tick another replica already ran is
   * skipped). Waiting counts as running here, so further triggers join its follow-up.
   */
  trigger(name: string, options: RunOptions = {}): Promise<RunResult> {
    return this.#request(name, options, true);
  }

  async #request(name: string, options: RunOptions, waitForLock: boolean): Promise<RunResult> {
    // Everything up to the first await runs synchronously, so the overlap check below cannot race.
    const { entry, type } = this.entry(name);
    if (!entry.enabled) throw new ConfigError(`pipeline "${name}" is disabled (pipelines[].enabled: false)`);
    if (this.stopping) return skipped(name, 'shutting down');
    if (!this.#active.has(name)) return this.#start(entry, type, options, waitForLock);
    // One-off commands (dry run, date range, forced prune) come from a CLI process of their own; they never
    // share a run with others.
    if (options.dryRun || options.since || options.until || options.backfill || options.force) {
      return skipped(name, 'already running in this process');
    }
    const waiting = this.#followUps.get(name);
    if (waiting) {
      waiting.options = joinOptions(waiting.options, options);
      waiting.waitForLock ||= waitForLock;
      return waiting.result;
    }
    let settle!: (result: Promise<RunResult>) => void;
    const result = new Promise<RunResult>((resolve) => (settle = resolve));
    this.#followUps.set(name, { options, waitForLock, result, settle });
    return result;
  }

  #start(entry: PipelineEntry, type: PipelineType, options: RunOptions, waitForLock: boolean): Promise<RunResult> {
    const name = entry.name;
    const running = this.#execute(entry, type, options, waitForLock).finally(() => {
      // In the same step as the pipeline leaves #active: a request arriving later starts a run of its own.
      this.#active.delete(name);
      const next = this.#followUps.get(name);
      if (!next) return;
      this.#followUps.delete(name);
      next.settle(this.stopping ? Promise.resolve(skipped(name, 'shutting down')) : this.#start(entry, type, next.options, next.waitForLock));
    });
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

  async #execute(entry: PipelineEntry, type: PipelineType, options: RunOptions, waitForLock: boolean): Promise<RunResult> {
    const { db, log: rootLog, events } = this.#deps;
    const def = await loadPipeline(type);
    const release = await this.#lock(entry.name, options, waitForLock);
    if (typeof release === 'string') return skipped(entry.name, release);
    const counts = emptyCounts();
    let runId: number | null = null;
    let unlisten = (): void => undefined;
    let runSignal: RunSignal | undefined;
    const started = performance.now();
    try {
      if (options.tick && !(await this.#claimTick(entry.name, options.tick))) {
        return skipped(entry.name, 'this schedule tick already ran on another replica');
      }
      await this.#closeCrashedRuns(entry.name);
      runId = await this.#recordStart(entry, def, options);
      const log = rootLog.child({ pipeline: entry.name, runId });
      const journal = new RunJournal(db.kysely, runId);
      unlisten = listenToRunLines(log, runId, (line) => journal.line(line));
      runSignal = startRunSignal(this.#abort.signal, runId);
      const waiting = { n: 0 }; // items left for a person's choice: reported apart from the recorded counts
      const ctx = this.#context(entry, def, options, runId, runSignal.signal, log, counts, waiting, journal);
      events.emit('run:start', { pipeline: entry.name, type: def.type, runId, dryRun: !!options.dryRun });
      log.info({ type: def.type, dryRun: !!options.dryRun, full: !!options.full, tick: options.tick?.toISOString() }, 'run started');

      let outcome: RunOutcome;
      let error: Error | undefined;
      let plan;
      try {
        journal.phase('plan');
        plan = await def.plan(ctx);
        if (options.dryRun) {
          outcome = 'dry-run';
        } else {
          journal.phase('apply');
          await def.apply(ctx, plan);
          // A shutdown may have cut the work short: say so rather than record a partial run as a success. Items
          // that failed or wait for a person are the run's finished result, not a koppel fault: `failed` is kept
          // for an error that ended the run, so the recorded word and the exit code say the same thing.
          outcome = this.stopping ? 'stopped' : counts.failed > 0 || waiting.n > 0 ? 'attention' : ctx.reject.count > 0 ? 'rejected' : 'succeeded';
        }
      } catch (thrown) {
        error = coerceError(thrown);
        outcome = 'failed';
        log.error({ err: error }, 'run failed');
      }
      // The rejection reporter is the one source of the rejected count.
      counts.rejected = ctx.reject.count;
      journal.endPhase();
      await ctx.reject.flush();
      await this.#recordEnd(runId, outcome, counts, error, ctx.reject.warnings.length);
      const durationMs = performance.now() - started;
      events.emit('run:end', { pipeline: entry.name, type: def.type, runId, outcome, counts: { ...counts }, durationMs });
      log.info({ outcome, counts, durationMs: Math.round(durationMs) }, 'run finished');
      unlisten();
      // The journal is for people reading the run later: failing to write it does not change the run's outcome.
      await journal.close().catch((err: unknown) => rootLog.warn({ err, pipeline: entry.name, run: runId }, 'run journal could not be written'));
      return { runId, pipeline: entry.name, outcome, counts, plan, error, rejections: ctx.reject.sample, warnings: ctx.reject.warnings, waiting: waiting.n };
    } catch (thrown) {
      // Recording itself failed (database gone): report, and leave the row for the next run to close.
      const error = coerceError(thrown);
      rootLog.error({ err: error, pipeline: entry.name }, 'run could not be recorded');
      return { runId, pipeline: entry.name, outcome: 'failed', counts, error };
    } finally {
      unlisten();
      runSignal?.end();
      await release();
    }
  }

  #context(
    entry: PipelineEntry,
    def: PipelineDefinition,
    options: RunOptions,
    runId: number,
    abortSignal: AbortSignal,
    log: Logger,
    counts: RunCounts,
    waiting: { n: number },
    journal: RunJournal,
  ): PipelineContext<unknown, UpstreamKindMap> {
    const { db, events, config, upstreams } = this.#deps;
    return Object.freeze({
      pipeline: entry.name,
      runId,
      config: entry.settings,
      global: config,
      options: Object.freeze({ ...options }),
      log,
      db: db.kysely,
      // Only the upstreams the definition declares: its type says so, and so does the object.
      upstreams: upstreams.view(def.upstreams),
      state: new ItemStateStore(db.kysely, entry.name, runId),
      reject: new RejectionReporter(db.kysely, entry.name, runId, log),
      events,
      stopSignal: this.#stop.signal,
      // The run's own: it names the run to the upstream gateway (see run-signal.ts).
      abortSignal,
      count(status: ItemStatus | 'seen', n = 1) {
        // Rejections are counted once, by the rejection reporter (and reach metrics through run:end).
        if (status === 'rejected') return;
        if (status in counts) counts[status as keyof RunCounts] += n;
        if (status === 'waiting') waiting.n += n;
        if (status !== 'skipped' && status !== 'seen') events.emit('item:outcome', { pipeline: entry.name, status, n });
      },
      progress(done: number, total: number, phase?: string) {
        journal.progress(phase, done, total);
        events.emit('progress', { pipeline: entry.name, phase: phase ?? def.type, done, total });
      },
    });
  }

  /**
   * Takes the pipeline's cross-process lock, or says why not. A trigger waits for a lock another process holds
   * (its run may have started before the trigger arrived) until it is free, the tick it is for has been
   * claimed by the holder, or shutdown begins.
   */
  async #lock(pipeline: string, options: RunOptions, wait: boolean): Promise<ReleaseLock | string> {
    const { db, log } = this.#deps;
    for (let attempt = 0; ; attempt++) {
      const release = await db.tryLock(`pipeline:${pipeline}`);
      if (release) return release;
      if (!wait) return 'another process holds its lock';
      if (options.tick && (await this.#tickClaimed(pipeline, options.tick))) return 'this schedule tick already ran on another replica';
      if (attempt === 0) log.info({ pipeline }, 'another process holds the pipeline lock: this run starts when that one ends');
      try {
        await sleep(LOCK_RETRY_MS, this.#stop.signal);
      } catch {
        return 'shutting down';
      }
    }
  }

  async #tickClaimed(pipeline: string, tick: Date): Promise<boolean> {
    const row = await this.#deps.db.kysely
      .selectFrom('schedule_ticks')
      .select('pipeline')
      .where('pipeline', '=', pipeline)
      .where('tick', '=', tick)
      .executeTakeFirst();
    return row !== undefined;
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

  async #recordEnd(runId: number, outcome: RunOutcome, counts: RunCounts, error: Error | undefined, warnings: number): Promise<void> {
    await this.#deps.db.kysely
      .updateTable('runs')
      .set({ outcome, ended_at: new Date(), ...counts, warnings, error: error ? error.message.slice(0, 2000) : null })
      .where('id', '=', runId)
      .execute();
  }
}

/**
 * The options of a follow-up that several requests share: a full re-examination, or a person's whole-job run,
 * if any asked for one; a schedule tick (to claim) only when every request was a tick, the newest. A claim
 * another replica already made skips the run, which must not swallow a push or a manual request.
 */
function joinOptions(a: RunOptions, b: RunOptions): RunOptions {
  const tick = a.tick && b.tick ? new Date(Math.max(a.tick.getTime(), b.tick.getTime())) : undefined;
  return { full: !!(a.full || b.full), tick, startedBy: a.startedBy ?? b.startedBy };
}

function skipped(pipeline: string, reason: string): RunResult {
  return { runId: null, pipeline, outcome: 'skipped', counts: emptyCounts(), reason };
}
