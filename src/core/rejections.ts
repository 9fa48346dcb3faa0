import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { DB } from '../db/schema.js';

/** Why one input item was not synced, and where it came from. */
export interface Rejection {
  itemKey?: string | undefined;
  /** Input file or query the item came from. */
  source?: string | undefined;
  /** 1-based line in `source` (the physical line where the record starts). */
  line?: number | undefined;
  /** Column or field at fault. */
  field?: string | undefined;
  reason: string;
  /** The offending value, shortened. */
  value?: unknown;
}

/** rejected: the item was not synced; warning: the run left something out on purpose (a prune, an image) and says why. */
export type Severity = 'rejected' | 'warning';

const FLUSH_AT = 500;
const VALUE_LIMIT = 200;

/**
 * Collects a run's rejected items and writes them to the `rejections` table in batches. Dry runs are recorded
 * runs too, so their rejections are stored under the dry run's id (`status` shows only real runs'). Warnings go
 * to the same table with severity `warning` and are counted apart (`runs.warnings`): they reject nothing.
 */
export class RejectionReporter {
  readonly #db: Kysely<DB>;
  readonly #pipeline: string;
  readonly #runId: number;
  readonly #log: Logger;
  readonly #pending: [Rejection, Severity][] = [];
  readonly #sample: Rejection[] = [];
  readonly #warnings: Rejection[] = [];
  #count = 0;

  constructor(db: Kysely<DB>, pipeline: string, runId: number, log: Logger) {
    this.#db = db;
    this.#pipeline = pipeline;
    this.#runId = runId;
    this.#log = log;
  }

  get count(): number {
    return this.#count;
  }

  /** The first rejections of the run, for summaries. */
  get sample(): readonly Rejection[] {
    return this.#sample;
  }

  /** The run's warnings (a few per run: one per thing left out, not per item). */
  get warnings(): readonly Rejection[] {
    return this.#warnings;
  }

  async add(rejection: Rejection): Promise<void> {
    this.#count++;
    if (this.#sample.length < 20) this.#sample.push(rejection);
    this.#log.warn({ rejection: { ...rejection, value: shorten(rejection.value) } }, 'item rejected');
    await this.#queue(rejection, 'rejected');
  }

  /** Something the run leaves undone on purpose, and why: shown with the run and by `koppel status`. */
  async warn(warning: Rejection): Promise<void> {
    this.#warnings.push(warning);
    this.#log.warn({ warning: { ...warning, value: shorten(warning.value) } }, warning.reason);
    await this.#queue(warning, 'warning');
  }

  async #queue(rejection: Rejection, severity: Severity): Promise<void> {
    this.#pending.push([rejection, severity]);
    if (this.#pending.length >= FLUSH_AT) await this.flush();
  }

  async flush(): Promise<void> {
    const rows = this.#pending.splice(0, this.#pending.length);
    if (rows.length === 0) return;
    await this.#db
      .insertInto('rejections')
      .values(
        rows.map(([r, severity]) => ({
          run_id: this.#runId,
          severity,
          pipeline: this.#pipeline,
          item_key: storable(r.itemKey),
          source: storable(r.source),
          line: r.line ?? null,
          field: storable(r.field),
          reason: storable(r.reason)!,
          value: storable(shorten(r.value)),
        })),
      )
      .execute();
  }
}

/** What a shortened value ends with; a value that already does (a rejection reported again) is kept as it is. */
const SHORTENED = new RegExp(`^[\\s\\S]{${VALUE_LIMIT}}… \\(\\d+ chars\\)$`);

function shorten(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > VALUE_LIMIT && !SHORTENED.test(text) ? `${text.slice(0, VALUE_LIMIT)}… (${text.length} chars)` : text;
}

/**
 * Postgres text refuses NUL, and a rejected item is exactly where hostile bytes end up: spell NUL out as `\x00`
 * so that one bad value can never fail the whole run's report.
 */
function storable(text: string | undefined): string | null {
  return text === undefined ? null : text.replace(/\u0000/g, '\\x00');
}
