import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.js';
import { writeExampleCatalog } from '../../demo/planogram-catalog-data.js';
import type { PlanogramCatalogConfig } from '../../src/pipelines/planogram-catalog/config.js';
import { type CatalogSource, catalogRows, loadSources } from '../../src/pipelines/planogram-catalog/catalog-rows.js';
import { CatalogScan, type ScannedRow, scanSources } from '../../src/pipelines/planogram-catalog/catalog-scan.js';
import { imagesOf, itemHash } from '../../src/pipelines/planogram-catalog/compare.js';
import { FP_BYTES, fingerprintInto } from '../../src/pipelines/planogram-catalog/fingerprint.js';
import { HASH_BYTES } from '../../src/pipelines/planogram-catalog/reference-index.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'plano-scan-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

function sourcesOf(source: PlanogramCatalogConfig['source']): Promise<CatalogSource[]> {
  const mapping = { products: 'mappings/products.yaml', accessories: 'mappings/accessories.yaml', materials: 'mappings/materials.yaml' };
  return loadSources({ source, mapping, csv: {} } as unknown as PlanogramCatalogConfig);
}

/** What the worker must send for one source: the same rows read in this thread, in the scan's compact form. */
async function expectedRows(src: CatalogSource) {
  const out = [];
  for await (const row of catalogRows(src)) {
    const reference = row.mapped?.reference;
    const fingerprint = new Uint8Array(FP_BYTES);
    if (reference) fingerprintInto(reference.toLowerCase(), fingerprint, 0);
    const ok = row.mapped?.ok ? row.mapped : undefined;
    out.push({
      line: row.line,
      reference,
      fingerprint: Buffer.from(fingerprint).toString('hex'),
      hash: ok ? itemHash(ok.item).slice(0, HASH_BYTES * 2) : '0'.repeat(HASH_BYTES * 2),
      images: ok ? imagesOf(ok.item) : [],
      problem: row.error !== undefined ? { error: row.error } : row.mapped?.ok === false ? { column: row.mapped.column, reason: row.mapped.reason, value: row.mapped.value } : undefined,
    });
  }
  return out;
}

const plain = (row: ScannedRow) => ({ ...row, fingerprint: Buffer.from(row.fingerprint).toString('hex'), hash: Buffer.from(row.hash).toString('hex') });

describe('catalog scan (worker thread)', () => {
  it('sends every row of every catalog in file order, exactly as they read in this thread, while held back', async () => {
    const catalog = await writeExampleCatalog({ dir: join(dir, 'example'), products: 300, imageShare: 0.3, badRows: true, accessories: 12, materials: 5 });
    // A CSV-level error too (wrong column count), between good rows.
    await appendFile(catalog.accessories!, 'ACC-X,only two\nACC-9999,"Strip, 50 cm",divider,50,3.5,0.5,ACC-0001.png,#FFCC00,1.2,#000000,Actie,yes\n');
    const sources = await sourcesOf({ products: catalog.products, accessories: catalog.accessories, materials: catalog.materials });
    // Tiny batches and one batch ahead: the worker has to wait for the plan many times over.
    const scan = new CatalogScan(sources, { batchRows: 7, batchesAhead: 1 });
    try {
      const counts = [];
      for (const [i, src] of sources.entries()) {
        const got = [];
        for await (const row of scan.rows(i)) got.push(plain(row));
        expect(got).toEqual(await expectedRows(src));
        counts.push(got.length);
      }
      // 300 products and 6 bad ones; 12 accessories, the short row and one more; 5 materials.
      expect(counts).toEqual([306, 14, 5]);
    } finally {
      await scan.close();
    }
    const products = await expectedRows(sources[0]!);
    expect(products.filter((r) => r.problem).map((r) => r.reference)).toEqual(['BAD-WIDE', 'BAD#HASH', 'BAD-BOOL', 'BAD-NUM', 'BAD-BEHAVIOR']);
    expect(products.filter((r) => r.images.length).length).toBeGreaterThan(50);
    const accessories = await expectedRows(sources[1]!);
    expect(accessories.find((r) => r.problem && 'error' in r.problem)).toMatchObject({ line: 14, problem: { error: expect.stringMatching(/wrong number of columns/) } });
  });

  it('fills the batch buffers the plan hands back instead of new ones, zeroing what a row leaves unset', async () => {
    const catalog = await writeExampleCatalog({ dir: join(dir, 'reuse'), products: 100, badRows: true, imageShare: 0 });
    const [src] = await sourcesOf({ products: catalog.products });
    const buffers = new Set<ArrayBuffer>();
    const spare: ArrayBuffer[] = [];
    let rows = 0;
    let zeroHashes = 0;
    await scanSources([src!], 7, (message) => {
      if ('failed' in message) throw new Error(message.failed.message);
      buffers.add(message.bytes);
      rows += message.rows;
      // A row without an item (a bad value) has a zero hash, in a buffer a good row filled before.
      const hashes = new Uint8Array(message.bytes, message.bytes.byteLength - 7 * 16);
      for (let i = 0; i < message.rows; i++) if (hashes.subarray(i * 16, (i + 1) * 16).every((b) => b === 0)) zeroHashes++;
      spare.push(message.bytes); // read at once, as the plan does, and handed back
    }, async () => undefined, () => spare.pop());
    expect(rows).toBe(106);
    expect(zeroHashes).toBe(5);
    expect(buffers.size).toBe(1);
  });

  it('passes a file-level problem on as the ConfigError it is, naming the file', async () => {
    const file = join(dir, 'wrong-columns.csv');
    await writeFile(file, 'Code;Naam\nP1;Thee\n');
    const scan = new CatalogScan(await sourcesOf({ products: file }));
    try {
      const reading = (async () => {
        for await (const _ of scan.rows(0)) void _;
      })();
      await expect(reading).rejects.toThrow(ConfigError);
      await expect(reading).rejects.toThrow(/wrong-columns\.csv: the mapping names columns "Artikelnummer"/);
    } finally {
      await scan.close();
    }
  });
});
