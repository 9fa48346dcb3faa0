/**
 * The rows apply sends, read again from a catalog: on a worker thread (catalog-scan.ts) that parses, maps,
 * hashes and encodes each row, so the thread that answers the calls' responses only picks the accepted rows
 * and frames their bytes. Without the tuning (bench: KOPPEL_BENCH_WITHOUT=apply-worker), or with the plain item
 * hash, they are read on this thread (acceptedRows). Which rows come out is the same either way.
 */
import { tuningOff } from '../../core/bench-switch.js';
import type { ProtoSource } from '../../upstreams/planogrambuilder/proto.js';
import type { AnyItem } from '../../upstreams/planogrambuilder/wire.js';
import { acceptedRows, type CatalogSource } from './catalog-rows.js';
import { CatalogScan } from './catalog-scan.js';
import { imagesOf, ITEM_HASH_BYTES, itemHash, itemKey } from './compare.js';
import type { ReferenceIndex } from './reference-index.js';

/** A row the plan accepted, as apply needs it. */
export interface ApplyRow {
  line: number;
  slot: number;
  key: string;
  reference: string;
  /** The item to send: its encoded message (item-bytes.ts) or the item. */
  item: Uint8Array | AnyItem;
  /** `itemHash` of the item (its checkpoint's hash). */
  hash: string;
  images: readonly string[];
}

/** Rows the worker reads ahead of the calls: a few batches (bounded memory, any file length). */
const PACING = { batchRows: 512, batchesAhead: 4 };
/** The tuning's switch, and the plain hash's: its checkpoints are not the worker's 16 bytes (compare.ts). */
const inline = tuningOff('apply-worker') || tuningOff('murmur');

/** `acceptedRows` of `src` (see there), each with its item, hash and images; `proto` encodes the items. */
export async function* applyRows(src: CatalogSource, index: ReferenceIndex, stop: AbortSignal, learn: boolean, proto: ProtoSource): AsyncGenerator<ApplyRow> {
  if (inline) {
    for await (const row of acceptedRows(src, index, stop, learn)) yield { ...row, hash: itemHash(row.item), images: imagesOf(row.item) };
    return;
  }
  const scan = new CatalogScan([src], PACING, proto);
  try {
    for await (const row of scan.rows(0)) {
      if (stop.aborted) return;
      // Like acceptedRows: a reference counts as seen on its first row, valid or not.
      if (learn && row.reference) index.seeFingerprint(row.fingerprint, row.line);
      if (row.problem !== undefined) continue;
      const slot = index.slotOfFingerprint(row.fingerprint);
      if (slot === undefined || index.line(slot) !== row.line) continue;
      if (row.item === undefined) throw new Error(`catalog reader sent no item for line ${row.line}`);
      const hash = Buffer.from(row.hash.buffer, row.hash.byteOffset, ITEM_HASH_BYTES).toString('hex');
      yield { line: row.line, slot, key: itemKey(src.kind, row.reference!), reference: row.reference!, item: row.item, hash, images: row.images };
    }
  } finally {
    await scan.close();
  }
}
