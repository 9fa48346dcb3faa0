/**
 * The plan's pass over the catalog files, run on a worker thread while the main thread lists the remote
 * catalog: parsing, mapping and hashing a file is most of a no-change run, and it needs nothing remote, so the
 * two overlap on the machine's second core. The worker sends each row in compact form (line, reference, and
 * the reference's fingerprint and item's content hash as bytes, the way the reference index keeps them); the
 * plan decides per row once the remote side is known. The worker runs a bounded number of batches ahead of the
 * plan and has a heap of its own with a small ceiling, so a long file costs no more memory than a short one.
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

/** One catalog row as the plan needs it. `fingerprint` and `hash` are views into the batch's buffers. */
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
  | { source: number; lines: Uint32Array; references: (string | null)[]; fingerprints: Uint8Array; hashes: Uint8Array; extras: [number, RowProblem | string[]][]; end: boolean }
  | { failed: { name: string; message: string } };

/** The worker's side: reads every source in order and posts its rows a batch at a time; `ahead` says when to wait. */
export async function scanSources(sources: CatalogSource[], batchRows: number, post: (message: ScanMessage, transfer: ArrayBuffer[]) => void, ahead: () => Promise<void>): Promise<void> {
  try {
    for (let source = 0; source < sources.length; source++) {
      let batch = newBatch(source, batchRows);
      for await (const row of catalogRows(sources[source]!)) {
        const i = batch.references.length;
        batch.lines[i] = row.line;
        if (row.error !== undefined) {
          batch.references.push(null);
          batch.extras.push([i, { error: row.error }]);
        } else {
          const mapped = row.mapped;
          batch.references.push(mapped.reference ?? null);
          if (mapped.reference) fingerprintInto(mapped.reference.toLowerCase(), batch.fingerprints, i * FP_BYTES);
          if (!mapped.ok) batch.extras.push([i, { column: mapped.column, reason: mapped.reason, value: mapped.value }]);
          else {
            itemHashInto(mapped.item, batch.hashes, i * HASH_BYTES);
            const images = imagesOf(mapped.item);
            if (images.length) batch.extras.push([i, images]);
          }
        }
        if (batch.references.length === batchRows) {
          send(batch, false);
          await ahead();
          batch = newBatch(source, batchRows);
        }
      }
      send(batch, true);
    }
  } catch (err) {
    post({ failed: { name: (err as Error).name, message: (err as Error).message } }, []);
  }

  function send(batch: ReturnType<typeof newBatch>, end: boolean): void {
    const n = batch.references.length;
    const lines = batch.lines.slice(0, n);
    const fingerprints = new Uint8Array(batch.fingerprints.subarray(0, n * FP_BYTES));
    const hashes = new Uint8Array(batch.hashes.subarray(0, n * HASH_BYTES));
    post({ source: batch.source, lines, references: batch.references, fingerprints, hashes, extras: batch.extras, end }, [lines.buffer, fingerprints.buffer, hashes.buffer]);
  }
}

function newBatch(source: number, rows: number) {
  return {
    source,
    lines: new Uint32Array(rows),
    references: [] as (string | null)[],
    fingerprints: Buffer.alloc(rows * FP_BYTES),
    hashes: Buffer.alloc(rows * HASH_BYTES),
    extras: [] as [number, RowProblem | string[]][],
  };
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
      this.#worker.postMessage('more');
      const extras = new Map(message.extras);
      for (let i = 0; i < message.lines.length; i++) {
        const extra = extras.get(i);
        yield {
          line: message.lines[i]!,
          reference: message.references[i] ?? undefined,
          fingerprint: message.fingerprints.subarray(i * FP_BYTES, (i + 1) * FP_BYTES),
          hash: message.hashes.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES),
          images: Array.isArray(extra) ? extra : [],
          problem: Array.isArray(extra) ? undefined : extra,
        };
      }
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
