/**
 * The index of downloaded deliverables, written in batches: one transaction per batch (one multi-row upsert of
 * `planviewer_files`, one UPDATE completing the requests) instead of one transaction per file. At 1 MiB per
 * file, four round trips per file were a third of the time; a batch costs the same four round trips.
 *
 * A file on disk that a crash kept out of the index is not lost: the next run finds it in its job's folder
 * and indexes it without fetching (see `downloads.ts`).
 */
import { type Kysely, sql } from 'kysely';
import type { DB } from '../../db/schema.js';
import type { PlanviewerFilesTable } from './tables.js';
import { markCompletedMany } from '../../orders/index.js';

/** One downloaded file as indexed (`downloaded_at` is set by the database). */
export type FileRow = Omit<PlanviewerFilesTable, 'downloaded_at'>;

export interface FileIndexOptions {
  /** A batch is written once it holds this many rows. */
  maxRows: number;
  /** …or this long after its first row arrived, so a slow trickle of big files is indexed promptly. */
  maxDelayMs: number;
  /** Called after a batch committed (the files are now "downloaded" for every later run). */
  onIndexed(rows: readonly FileRow[]): void;
  /** Called when a batch could not be written; its files stay on disk and the next run indexes them. */
  onFailed(rows: readonly FileRow[], err: unknown): void;
}

export class FileIndexBatch {
  readonly #db: Kysely<DB>;
  readonly #options: FileIndexOptions;
  /** Rows downloaded and renamed into place, not yet committed. */
  #pending: FileRow[] = [];
  /** The write in flight (batches are written one after the other); never rejects. */
  #writing: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;

  constructor(db: Kysely<DB>, options: FileIndexOptions) {
    this.#db = db;
    this.#options = options;
  }

  add(row: FileRow): void {
    this.#pending.push(row);
    if (this.#pending.length >= this.#options.maxRows) void this.flush();
    else this.#timer ??= setTimeout(() => void this.flush(), this.#options.maxDelayMs);
  }

  /** Writes every row added so far; resolves once they are committed (or reported failed). */
  flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const rows = this.#pending;
    this.#pending = [];
    if (rows.length > 0) this.#writing = this.#writing.then(() => this.#write(rows));
    return this.#writing;
  }

  async #write(rows: FileRow[]): Promise<void> {
    try {
      await this.#db.transaction().execute(async (trx) => {
        await trx
          .insertInto('planviewer_files')
          .values(rows)
          .onConflict((oc) =>
            oc.column('job_uuid').doUpdateSet((eb) => ({
              path: eb.ref('excluded.path'),
              vendor_filename: eb.ref('excluded.vendor_filename'),
              size: eb.ref('excluded.size'),
              sha256: eb.ref('excluded.sha256'),
              content_type: eb.ref('excluded.content_type'),
              downloaded_at: sql`now()`,
            })),
          )
          .execute();
        await markCompletedMany(trx, rows.map((r) => r.request_id));
      });
    } catch (err) {
      this.#options.onFailed(rows, err);
      return;
    }
    this.#options.onIndexed(rows);
  }
}
