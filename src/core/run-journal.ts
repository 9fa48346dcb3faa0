import type { Insertable, Kysely } from 'kysely';
import type { DB, RunEventsTable } from '../db/schema.js';
import type { LogRecord } from './logger.js';

/**
 * How much of a run's log is kept: the first HEAD lines and the last TAIL (where the outcome and the error
 * are); lines in between are counted, not stored, so a chatty run cannot grow the database without limit.
 */
export const RUN_LOG_HEAD = 400;
export const RUN_LOG_TAIL = 100;
/** Phases kept per run; a pipeline that keeps switching phase names is counted past this. */
export const RUN_PHASES_MAX = 100;
/** pino's info: debug and trace lines are not kept. */
const MIN_LEVEL = 30;
const MESSAGE_CHARS = 2000;
const FIELD_CHARS = 300;
const FIELDS_MAX = 20;
/** Bindings every line of a run carries, or pino's own: not shown again as the line's fields. */
const NOT_FIELDS = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'pipeline', 'runId', 'v']);

type Row = Insertable<RunEventsTable>;

interface OpenPhase {
  name: string;
  at: Date;
  done: number;
  total: number;
}

/**
 * What a run did, in order, stored in `run_events` for the console's run page: its phases (the runner's
 * plan and apply, and each phase a pipeline reports progress under, one after another) and its log lines at
 * info level and above, as the logger wrote them (so already redacted). Written at each phase's end and at the
 * run's end; a failed write is kept and reported by `close`, never thrown into the run.
 */
export class RunJournal {
  readonly #db: Kysely<DB>;
  readonly #runId: number;
  #phase: OpenPhase | undefined;
  /** Rows not yet written: closed phases and the head's lines. */
  #pending: Row[] = [];
  /** The last lines once the head is full; at most RUN_LOG_TAIL, written at close. */
  #tail: Row[] = [];
  #headLines = 0;
  #phases = 0;
  #linesDropped = 0;
  #phasesDropped = 0;
  /** Writes go one after another, in order; close() awaits the last. */
  #writing: Promise<void> = Promise.resolve();
  #failure: unknown;

  constructor(db: Kysely<DB>, runId: number) {
    this.#db = db;
    this.#runId = runId;
  }

  /** Ends the current phase and starts `name` (nothing happens if it is the current one). */
  phase(name: string, at = new Date()): void {
    if (this.#phase?.name === name) return;
    this.endPhase(at);
    if (this.#phases >= RUN_PHASES_MAX) {
      this.#phasesDropped++;
      return;
    }
    this.#phases++;
    this.#phase = { name, at, done: 0, total: 0 };
  }

  /** A pipeline's progress report: a new phase name starts that phase; without one, the current phase's figures. */
  progress(phase: string | undefined, done: number, total: number): void {
    if (phase !== undefined) this.phase(phase);
    if (this.#phase) Object.assign(this.#phase, { done, total });
  }

  /** Ends the current phase, if any, and writes what is pending. */
  endPhase(at = new Date()): void {
    const p = this.#phase;
    if (!p) return;
    this.#phase = undefined;
    this.#pending.push({ run_id: this.#runId, kind: 'phase', at: p.at, ended_at: at, level: null, message: p.name, fields: JSON.stringify({ done: p.done, total: p.total }) });
    this.#flush();
  }

  /** One finished log line of the run. Never throws: it is called from inside a log call. */
  line(record: LogRecord): void {
    const level = typeof record.level === 'number' ? record.level : 0;
    if (level < MIN_LEVEL) return;
    const row: Row = {
      run_id: this.#runId,
      kind: 'log',
      at: new Date(typeof record.time === 'number' ? record.time : Date.now()),
      ended_at: null,
      level,
      message: cut(typeof record.msg === 'string' ? record.msg : '', MESSAGE_CHARS),
      fields: keyFields(record),
    };
    if (this.#headLines < RUN_LOG_HEAD) {
      this.#headLines++;
      this.#pending.push(row);
      return;
    }
    this.#tail.push(row);
    if (this.#tail.length > RUN_LOG_TAIL) {
      this.#tail.shift();
      this.#linesDropped++;
    }
  }

  /** Ends the last phase, writes everything left and the dropped counts; rejects with the first failed write. */
  async close(at = new Date()): Promise<void> {
    this.endPhase(at);
    this.#pending.push(...this.#tail);
    this.#tail = [];
    this.#flush();
    const dropped = { log_lines_dropped: this.#linesDropped, phases_dropped: this.#phasesDropped };
    if (dropped.log_lines_dropped > 0 || dropped.phases_dropped > 0) {
      this.#chain(() => this.#db.updateTable('runs').set(dropped).where('id', '=', this.#runId).execute());
    }
    await this.#writing;
    if (this.#failure !== undefined) throw this.#failure;
  }

  #flush(): void {
    if (this.#pending.length === 0) return;
    const rows = this.#pending;
    this.#pending = [];
    this.#chain(() => this.#db.insertInto('run_events').values(rows).execute());
  }

  #chain(write: () => Promise<unknown>): void {
    this.#writing = this.#writing.then(async () => {
      if (this.#failure !== undefined) return;
      try {
        await write();
      } catch (err) {
        this.#failure = err;
      }
    });
  }
}

/** The line's own fields, each value cut short: what the run page shows beside the message. */
function keyFields(record: LogRecord): string | null {
  const out: Record<string, string | number | boolean | null> = {};
  let n = 0;
  for (const [key, value] of Object.entries(record)) {
    if (NOT_FIELDS.has(key) || value === undefined) continue;
    if (n++ >= FIELDS_MAX) break;
    if (key === 'err' && value !== null && typeof value === 'object') {
      const err = value as { type?: unknown; message?: unknown };
      out.err = cut(`${String(err.type ?? 'Error')}: ${String(err.message ?? '')}`, FIELD_CHARS);
    } else if (typeof value === 'number' || typeof value === 'boolean' || value === null) {
      out[key] = value;
    } else {
      out[key] = cut(typeof value === 'string' ? value : JSON.stringify(value), FIELD_CHARS);
    }
  }
  return n === 0 ? null : JSON.stringify(out);
}

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
