/**
 * Glossary — these words mean exactly this everywhere in koppel:
 *
 * - **upstream**:      an outside service koppel talks to, of an upstream *type* listed in `src/upstreams/index.ts`
 *                      (its config block and its client); the core knows upstreams only through that list.
 * - **pipeline**:      one configured sync job (`pipelines[]` in the config), of a pipeline *type* listed in
 *                      `src/pipelines/index.ts`; both lists reach the core from `src/registries.ts`.
 * - **run**:           one execution of a pipeline, recorded in the `runs` table with its outcome and counts.
 * - **tick**:          one firing of a pipeline's cron schedule; a run claims its tick so replicas run it once.
 * - **item**:          the unit a pipeline syncs (a boat-date, a catalog product, an order request); it has a stable key.
 * - **batch**:         several items sent to an upstream in one call; a batch settles per item, never as a whole.
 * - **mapping**:       a file in `mappings/` that turns source columns into item fields.
 * - **checkpoint**:    durable state that lets a killed run resume without duplicates: item state (`item_state`)
 *                      and order intents (`order_placements`). Nothing else is called a checkpoint.
 * - **mark**:          one named value a pipeline keeps between runs (`pipeline_marks`), e.g. when its last sweep began.
 * - **plan**:          what a run would change, computed without changing anything; `--dry-run` prints it.
 * - **snapshot**:      what a pipeline recorded of an input file as a run left it (its digest), so an unchanged file
 *                      is not read again.
 * - **sweep**:         a run that re-reads everything a mirroring pipeline follows, not only what push messages named.
 * - **order request**: a row of the order queue (`order_requests`): one thing a person or an application asked koppel
 *                      to order from an upstream, with its state and the reason it is in that state.
 * - **deliverable**:   a file an upstream produces for an order, mirrored to `storage.root` and indexed in Postgres.
 * - **asset**:         one deliverable as an upstream lists it within an order or an order line, with its own id.
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { KoppelEvents } from './events.js';
import type { ItemStateStore } from './item-state.js';
import type { Rejection, RejectionReporter } from './rejections.js';
import type { DB } from '../db/schema.js';
import type { ItemStatus, RunCounts, RunOutcome } from './run-outcome.js';
import type { KoppelConfig } from '../config/schema.js';

/** One line of a plan: an action a run would take. `detail` is printed by `--dry-run`. */
export interface PlannedAction {
  action: string;
  key: string;
  detail?: Record<string, unknown> | undefined;
}

/**
 * A plan is computed before anything changes. `apply` carries it out; `--dry-run` prints it.
 * `state` is the pipeline's own payload passed from plan to apply.
 */
export interface Plan<State = unknown> {
  summary: Record<string, number>;
  /** The actions, or a sample of them when there are many (`summary` always has the full counts). */
  actions: PlannedAction[];
  /** Actions left out of `actions` because it is a sample. @default 0 */
  omitted?: number | undefined;
  state: State;
}

/** What a run returns instead of throwing on the first problem. */
export interface RunResult {
  runId: number | null;
  /** Sample of rejected items (the full list is in the `rejections` table). */
  rejections?: readonly Rejection[] | undefined;
  pipeline: string;
  outcome: RunOutcome;
  counts: RunCounts;
  plan?: Plan | undefined;
  error?: Error | undefined;
  /** Why a run was skipped (another runner holds the lock). */
  reason?: string | undefined;
  /** What the run left undone on purpose, and why (`reject.warn`); stored with severity `warning`. */
  warnings?: readonly Rejection[] | undefined;
  /** Items this run left waiting for a person's choice (counted apart: they are neither done nor failed). */
  waiting?: number | undefined;
}

export interface RunOptions {
  dryRun?: boolean;
  full?: boolean;
  since?: string | undefined;
  until?: string | undefined;
  /** Allow guarded destructive steps (pruning beyond the configured share). */
  force?: boolean | undefined;
  /** Set by the scheduler: the cron tick this run is for; another replica that ran it already wins. */
  tick?: Date | undefined;
  /** Set by `backfill`: the pipeline may show a progress bar. */
  backfill?: boolean;
  /**
   * Who asked for the run: `person` = `koppel run`/`backfill` on a command line, which does the whole job (an
   * operator catching up after an outage expects every followed item re-read); absent = the daemon (a schedule
   * tick or a push), which may take the cheaper path its pipeline documents.
   */
  startedBy?: 'person' | undefined;
}

/** What a pipeline's context knows of one upstream: its client and its validated config block. */
export interface UpstreamKind<Client = unknown, Config = unknown> {
  readonly client: Client;
  readonly config: Config;
}

/** Upstream name → kind; a pipeline's context is typed by the part of this map its definition declares. */
export type UpstreamKindMap = Record<string, UpstreamKind>;

/** The clients of the upstreams in `Kinds`, by name. */
export type UpstreamClientsOf<Kinds extends UpstreamKindMap> = { readonly [N in keyof Kinds]: Kinds[N]['client'] };

/** The whole config, with the blocks of the upstreams in `Kinds` typed as their own schemas yield them. */
export type GlobalConfigOf<Kinds extends UpstreamKindMap> = KoppelConfig & { readonly upstreams: { readonly [N in keyof Kinds]?: Kinds[N]['config'] } };

/**
 * Everything a pipeline gets from the runner: no module-level singletons. `Kinds` is the part of the upstream
 * registry the pipeline's definition declares: its context holds those clients and no other.
 */
export interface PipelineContext<Config = unknown, Kinds extends UpstreamKindMap = {}> {
  readonly pipeline: string;
  readonly runId: number;
  readonly config: Config;
  readonly global: GlobalConfigOf<Kinds>;
  readonly options: Readonly<RunOptions>;
  readonly log: Logger;
  readonly db: Kysely<DB>;
  readonly upstreams: UpstreamClientsOf<Kinds>;
  readonly state: ItemStateStore;
  readonly reject: RejectionReporter;
  readonly events: KoppelEvents;
  /** Aborts when shutdown begins: finish or checkpoint the item in hand, start nothing new. */
  readonly stopSignal: AbortSignal;
  /**
   * Aborts when the grace period ends (or on a second signal): pass it to upstream calls. It is this run's own,
   * so it also tells the upstream gateway which run a call is for (its retry warnings go to the run's journal).
   */
  readonly abortSignal: AbortSignal;
  /** Count an item outcome. Rejections are counted by `reject.add`, not here. */
  count(status: ItemStatus | 'seen', n?: number): void;
  /** Report progress of the current phase (drives progress bars and metrics). */
  progress(done: number, total: number, phase?: string): void;
}

/** A pipeline type: a name, a config schema, the upstreams it uses, and the two halves of a run. */
export interface PipelineDefinition<Schema extends z.ZodType = z.ZodType, State = unknown, Type extends string = string, Kinds extends UpstreamKindMap = UpstreamKindMap> {
  readonly type: Type;
  readonly description: string;
  /** Upstreams the pipeline talks to; a run fails at start when one is not configured. */
  readonly upstreams: readonly (keyof Kinds & string)[];
  readonly config: Schema;
  /** Read sources and upstreams, decide what to change. Must not mutate anything outside koppel's state. */
  plan(ctx: PipelineContext<z.output<Schema>, Kinds>): Promise<Plan<State>>;
  /** Carry out the plan. Counts outcomes through `ctx.count`; settles per item. */
  apply(ctx: PipelineContext<z.output<Schema>, Kinds>, plan: Plan<State>): Promise<void>;
  /** Optional: rows to show in `koppel status` for this pipeline (pending work, mirrored data). */
  status?(ctx: Pick<PipelineContext<z.output<Schema>, Kinds>, 'db' | 'config' | 'pipeline' | 'global'>): Promise<Record<string, unknown>>;
  /** Optional: webhook routes the daemon serves for this pipeline. */
  webhooks?(ctx: WebhookContext<z.output<Schema>, Kinds>): WebhookRoute[];
  /**
   * Optional: checks of the settings that their schema cannot make (the mapping files they name), so that
   * `koppel config check` finds a typo before the next scheduled run does. Throws a ConfigError naming the file
   * and the key path in it.
   */
  checkSettings?(settings: z.output<Schema>, ctx: Pick<PipelineContext<z.output<Schema>, Kinds>, 'pipeline' | 'global'>): Promise<void>;
}

/**
 * A registry line: what config validation needs (type name, settings schema, upstreams) without the pipeline's
 * code, and `load` to import that code, so a process only loads the pipeline types its config uses.
 */
export interface PipelineType<Schema extends z.ZodType = z.ZodType, Type extends string = string> {
  readonly type: Type;
  readonly config: Schema;
  readonly upstreams: readonly string[];
  load(): Promise<PipelineDefinition<Schema, any, Type, any>>;
}

export interface WebhookContext<Config, Kinds extends UpstreamKindMap = {}> {
  readonly pipeline: string;
  readonly config: Config;
  readonly global: GlobalConfigOf<Kinds>;
  readonly db: Kysely<DB>;
  readonly log: Logger;
  /**
   * Ask for a run of this pipeline now (Runner.trigger): during a run of it, one more run follows that one
   * (many triggers, one follow-up); while another replica holds its lock, the run waits for that one to end.
   */
  trigger(options?: RunOptions): void;
}

export interface WebhookRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  params: Record<string, string>;
  body: Buffer;
}

export interface WebhookRoute {
  method: 'POST' | 'GET' | 'PUT';
  /** Path pattern, `:name` segments become params, e.g. `/hooks/<pipeline>/:token`. */
  path: string;
  /** Largest body accepted; larger requests get 413 before the handler runs. */
  maxBodyBytes: number;
  handle(req: WebhookRequest): Promise<{ status: number; body?: unknown }>;
}

/**
 * Makes the `definePipeline` of a registry of upstreams (`Kinds`, name → client and config). That typed identity
 * infers the settings type from the schema and the context's upstreams from the names the definition declares:
 * a pipeline declaring `upstreams: ['x']` sees `ctx.upstreams.x` as x's client, and no other upstream
 * (see test/core/define-pipeline.test.ts).
 */
export function pipelineDefiner<Kinds extends UpstreamKindMap>() {
  return function definePipeline<Schema extends z.ZodType, State, const Type extends string = string, const Names extends keyof Kinds & string = never>(
    def: Omit<PipelineDefinition<Schema, State, Type, Pick<Kinds, Names>>, 'upstreams'> & { readonly upstreams: readonly Names[] },
  ): PipelineDefinition<Schema, State, Type, Pick<Kinds, Names>> {
    return Object.freeze(def);
  };
}

/** Typed identity for a registry line: the compiler checks that `load` yields the same type name and schema. */
export function definePipelineType<Schema extends z.ZodType, const Type extends string>(line: PipelineType<Schema, Type>): PipelineType<Schema, Type> {
  return Object.freeze(line);
}
