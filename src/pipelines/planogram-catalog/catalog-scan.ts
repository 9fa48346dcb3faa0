/**
 * The plan's pass over the catalog files, run on a worker thread while the main thread lists the remote
 * catalog: parsing, mapping and hashing a file is most of a no-change run, and it needs nothing remote, so the
 * two overlap on the machine's second core. The worker sends each row in compact form (line, reference, and
 * the reference's fingerprint and item's content hash as bytes, the way the reference index keeps them); the
 * plan decides per row once the remote side is known. The worker runs a bounded number of batches ahead of the
 * plan and has a heap of its own with a small ceiling, so a long file costs no more memory than a short one.
 * A batch's bytes travel in one buffer that the plan hands back once it has read the rows, and the worker fills
 * it again: the plan thread allocates almost nothing while it reads, so no collection would free spent batches
 * (at 1M rows ~36 MiB of them piled up outside the heap before one did).
 */
import type { Worker } from 'node:worker_threads';
import { csvOptionsSchema } from '../../core/csv-source.js';
import { ConfigError } from '../../core/errors.js';
import { startModuleWorker } from '../../core/module-worker.js';
import { type CatalogSource, catalogRows } from './catalog-rows.js';
import { imagesOf, itemHashInto } from './compare.js';
import { FP_BYTES, fingerprintInto } from './fingerprint.js';
import { HASH_BYTES } from './reference-index.js';

/** How the scan is cut up: rows per message, and messages the worker may send before the plan has read them. */
export interface ScanPacing {
  batchRows: number;
  batchesAhead: number;
}
/** ~130k rows ahead (about 10 MB here): enough to cover a long remote listing, flat for any file length. */
const PACING: ScanPacing = { batchRows: 512, batchesAhead: 256 };

/** Why a row is refused before any comparison (CSV-level `error`, or the mapper's column and reason). */
export type RowProblem = { error: string } | { column: string; reason: string; value?: string | undefined };

/**
 * One catalog row as the plan needs it. `fingerprint` and `hash` are views into the batch's buffer, valid until
 * the next row is asked for (the buffer then goes back to the worker).
 */
export interface ScannedRow {
  line: number;
  /** As written in the catalog (undefined when the row has none). */
  reference: string | undefined;
  fingerprint: Uint8Array;
  /** `itemHashInto` of the mapped item (zeros when the row has a problem). */
  hash: Uint8Array;
  images: string[];
  problem: RowProblem | undefined;
}

/** What the worker sends: a batch of one source's rows, the end of a source, or why it stopped. */
type ScanMessage =
  | { source: number; rows: number; bytes: ArrayBuffer; references: (string | null)[]; extras: [number, RowProblem | string[]][]; end: boolean }
  | { failed: { name: string; message: string } };

/**
 * A batch's bytes, one buffer per batch: the lines (Uint32), then the fingerprints, then the item hashes. The
 * plan hands each buffer back (`BatchBytes.back`) once it has read the rows; the worker fills it again.
 */
class BatchBytes {
  readonly lines: Uint32Array;
  readonly fingerprints: Uint8Array;
  readonly hashes: Uint8Array;

  constructor(
    readonly buffer: ArrayBuffer,
    rows: number,
  ) {
    this.lines = new Uint32Array(buffer, 0, rows);
    this.fingerprints = new Uint8Array(buffer, rows * 4, rows * FP_BYTES);
    this.hashes = new Uint8Array(buffer, rows * (4 + FP_BYTES), rows * HASH_BYTES);
  }

  static size(rows: number): number {
    return rows * (4 + FP_BYTES + HASH_BYTES);
  }
}

/**
 * The worker's side: reads every source in order and posts its rows a batch at a time; `ahead` says when to
 * wait, `spare` hands out a buffer the plan gave back (undefined: none yet, a new one is made).
 */
export async function scanSources(sources: CatalogSource[], batchRows: number, post: (message: ScanMessage, transfer: ArrayBuffer[]) => void, ahead: () => Promise<void>, spare: () => ArrayBuffer | undefined = () => undefined): Promise<void> {
  try {
    for (let source = 0; source < sources.length; source++) {
      let batch = newBatch(source, batchRows, spare());
      for await (const row of catalogRows(sources[source]!)) {
        const i = batch.references.length;
        batch.bytes.lines[i] = row.line;
        if (row.error !== undefined) {
          batch.references.push(null);
          batch.extras.push([i, { error: row.error }]);
        } else {
          const mapped = row.mapped;
          batch.references.push(mapped.reference ?? null);
          if (mapped.reference) fingerprintInto(mapped.reference.toLowerCase(), batch.bytes.fingerprints, i * FP_BYTES);
          if (!mapped.ok) batch.extras.push([i, { column: mapped.column, reason: mapped.reason, value: mapped.value }]);
          else {
            itemHashInto(mapped.item, batch.bytes.hashes, i * HASH_BYTES);
            const images = imagesOf(mapped.item);
            if (images.length) batch.extras.push([i, images]);
          }
        }
        if (batch.references.length === batchRows) {
          send(batch, false);
          await ahead();
          batch = newBatch(source, batchRows, spare());
        }
      }
      send(batch, true);
    }
  } catch (err) {
    post({ failed: { name: (err as Error).name, message: (err as Error).message } }, []);
  }

  function send(batch: ReturnType<typeof newBatch>, end: boolean): void {
    const { buffer } = batch.bytes;
    post({ source: batch.source, rows: batch.references.length, bytes: buffer, references: batch.references, extras: batch.extras, end }, [buffer]);
  }
}

/** A batch to fill: in a buffer handed back (zeroed: a row without reference or item keeps zero bytes) or a new one. */
function newBatch(source: number, rows: number, reused: ArrayBuffer | undefined) {
  const size = BatchBytes.size(rows);
  const buffer = reused?.byteLength === size ? reused : new ArrayBuffer(size);
  if (buffer === reused) new Uint8Array(buffer).fill(0);
  return { source, bytes: new BatchBytes(buffer, rows), references: [] as (string | null)[], extras: [] as [number, RowProblem | string[]][] };
}

/** The plan's side: the worker, started at once, and each source's rows in file order. */
export class CatalogScan {
  readonly #worker: Worker;
  readonly #queue: ScanMessage[] = [];
  #wake: (() => void) | undefined;
  #gone: Error | undefined;
  #closed = false;

  constructor(sources: CatalogSource[], pacing: ScanPacing = PACING) {
    this.#worker = startWorker(sources, pacing);
    this.#worker.on('message', (message: ScanMessage) => this.#push(message));
    this.#worker.on('error', (err: Error & { code?: string }) => {
      const message =
        err.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? `the catalog reader ran out of memory (its heap is sized from csv.max_record_chars: ${err.message})`
          : `the catalog reader failed: ${err.message}`;
      this.#push({ failed: { name: 'Error', message } });
    });
    this.#worker.on('exit', (code) => {
      if (!this.#closed) this.#gone = new Error(`the catalog reader stopped unexpectedly (exit code ${code})`);
      this.#wake?.();
    });
  }

  /** Source `source`'s rows; sources must be read in order, each to its end. */
  async *rows(source: number): AsyncGenerator<ScannedRow> {
    for (;;) {
      const message = await this.#next();
      if ('failed' in message) throw message.failed.name === 'ConfigError' ? new ConfigError(message.failed.message) : new Error(message.failed.message);
      if (message.source !== source) throw new Error(`catalog reader out of step: expected source ${source}, got ${message.source}`);
      const bytes = new BatchBytes(message.bytes, message.bytes.byteLength / BatchBytes.size(1));
      const extras = new Map(message.extras);
      for (let i = 0; i < message.rows; i++) {
        const extra = extras.get(i);
        yield {
          line: bytes.lines[i]!,
          reference: message.references[i] ?? undefined,
          fingerprint: bytes.fingerprints.subarray(i * FP_BYTES, (i + 1) * FP_BYTES),
          hash: bytes.hashes.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES),
          images: Array.isArray(extra) ? extra : [],
          problem: Array.isArray(extra) ? undefined : extra,
        };
      }
      // The rows are read (the plan copies what it keeps): the buffer goes back to be filled again.
      this.#worker.postMessage(message.bytes, [message.bytes]);
      if (message.end) return;
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#worker.terminate();
  }

  #push(message: ScanMessage): void {
    this.#queue.push(message);
    this.#wake?.();
  }

  async #next(): Promise<ScanMessage> {
    for (;;) {
      const message = this.#queue.shift();
      if (message) return message;
      if (this.#gone) throw this.#gone;
      await new Promise<void>((resolve) => (this.#wake = resolve));
      this.#wake = undefined;
    }
  }
}

/**
 * The worker's heap ceiling leaves room for the longest record the CSV settings allow (a record is held whole, in UTF-16,
 * a few times over while it is parsed and mapped); without one, V8 sizes a worker's heap from the host's memory.
 */
function startWorker(sources: CatalogSource[], pacing: ScanPacing): Worker {
  const longestRecord = Math.max(0, ...sources.map((s) => csvOptionsSchema.parse({ ...s.csv, ...s.mapping.csv }).max_record_chars));
  return startModuleWorker(import.meta.url, 'scan-worker', {
    workerData: { sources, pacing },
    resourceLimits: { maxYoungGenerationSizeMb: 8, maxOldGenerationSizeMb: 32 + Math.ceil((8 * longestRecord) / 2 ** 20) },
  });
}
