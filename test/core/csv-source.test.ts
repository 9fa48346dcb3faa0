import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import { afterAll, describe, expect, it } from 'vitest';
import { type CsvReadMeter, type CsvRow, detectDelimiter, readCsv, readCsvBatches } from '../../src/core/csv-source.js';

// Every file a test writes lives in a folder of its own; all are removed when the file's tests end.
const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'koppel-csv-'));
  dirs.push(dir);
  return dir;
}

async function rows(content: string | Buffer, options = {}, meter?: CsvReadMeter): Promise<CsvRow[]> {
  const dir = await tempDir();
  const path = join(dir, 'in.csv');
  await writeFile(path, content);
  const out: CsvRow[] = [];
  for await (const r of readCsv(path, options, meter)) out.push(r);
  return out;
}

/** A catalog-like data row of about 100 characters; `quoted` puts a quoted field in it. */
const dataRow = (i: number, quoted = false) => `P${String(i).padStart(6, '0')};${quoted ? `"Product ${i}; large"` : `Product ${i} large`};${(i % 500) + 10},5;${'d'.repeat(66)};${i % 1000},95`;
const HEADER = 'reference;name;width;description;price';

/** `n` data rows; the rows in `stray` (0-based) get a quote that never closes in their name. */
function catalog(n: number, stray: Set<number>, quoted = false): string {
  const lines = [HEADER];
  for (let i = 0; i < n; i++) lines.push(stray.has(i) ? dataRow(i, quoted).replace(';d', ';"d') : dataRow(i, quoted));
  return `${lines.join('\n')}\n`;
}

const meter = (): CsvReadMeter => ({ bytesRead: 0, charsScanned: 0 });

describe('readCsv', () => {
  it('gives each record the physical line where it starts, also after multi-line fields', async () => {
    const out = await rows('a,b\n1,2\n"multi\nline",3\n4,5\n');
    expect(out).toEqual([
      { line: 2, values: { a: '1', b: '2' } },
      { line: 3, values: { a: 'multi\nline', b: '3' } },
      { line: 5, values: { a: '4', b: '5' } },
    ]);
  });

  it('reports wrong column counts and goes on', async () => {
    const out = await rows('a,b\n1,2\n3\n4,5\n');
    expect(out.map((r) => r.line)).toEqual([2, 3, 4]);
    expect(out[1]!.error).toMatch(/wrong number of columns/);
    expect(out[2]!.values).toEqual({ a: '4', b: '5' });
  });

  it('recovers from an unclosed quote: only that record is lost', async () => {
    const out = await rows('a;b\n1;2\n3;"never closed\n4;5\n6;7\n');
    expect(out).toEqual([
      { line: 2, values: { a: '1', b: '2' } },
      { line: 3, error: expect.stringContaining('unclosed quote') },
      { line: 4, values: { a: '4', b: '5' } },
      { line: 5, values: { a: '6', b: '7' } },
    ]);
  });

  it('restarts after an unclosed quote without repeating records, even when the parser ran ahead', async () => {
    const good = Array.from({ length: 1000 }, (_, i) => `${i};x`).join('\n');
    const out = await rows(`a;b\n${good}\n9999;"open\n${Array.from({ length: 5 }, (_, i) => `t${i};y`).join('\n')}\n`);
    const lines = out.filter((r) => r.values).map((r) => r.line);
    expect(lines).toHaveLength(1005);
    expect(new Set(lines).size).toBe(1005);
    expect(out.find((r) => r.error)).toEqual({ line: 1002, error: expect.stringContaining('unclosed quote') });
  });

  it('detects ; , and tab, ignoring separators inside quotes', () => {
    expect(detectDelimiter('a;b;"c,d,e"')).toBe(';');
    expect(detectDelimiter('a,b,c')).toBe(',');
    expect(detectDelimiter('a\tb\tc')).toBe('\t');
  });

  it('strips a UTF-8 BOM from the first header', async () => {
    const out = await rows(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('naam;prijs\nboot;€ 5\n')]));
    expect(out[0]!.values).toEqual({ naam: 'boot', prijs: '€ 5' });
  });

  it('decodes Windows-1252 correctly (€ ™ – „ ”), where Node 20 TextDecoder would not', async () => {
    const text = 'naam;omschrijving\nboot;„Prijs” – 5 € ™\n';
    const out = await rows(iconv.encode(text, 'win1252'), { encoding: 'windows-1252' });
    expect(out[0]!.values).toEqual({ naam: 'boot', omschrijving: '„Prijs” – 5 € ™' });
  });

  it('rejects invalid UTF-8 with a hint instead of passing replacement characters on', async () => {
    const out = await rows(Buffer.concat([Buffer.from('a,b\n1,'), Buffer.from([0xff, 0xfe]), Buffer.from('\n2,3\n')]));
    expect(out[0]).toEqual({ line: 2, error: expect.stringMatching(/column "b" is not valid UTF-8.*windows-1252/) });
    expect(out[1]!.values).toEqual({ a: '2', b: '3' });
  });

  it('rejects an oversized record without loading it', async () => {
    const out = await rows(`a,b\n1,${'x'.repeat(5000)}\n2,3\n`, { max_record_chars: 1024 });
    expect(out[0]!.error).toMatch(/too large/);
    expect(out[1]!.values).toEqual({ a: '2', b: '3' });
  });

  it('refuses a file whose header cannot be read, naming the file and the line', async () => {
    await expect(rows('"a,b\n1,2\n')).rejects.toThrow(/the header \(line 1\) cannot be read: unclosed quote/);
  });
});

describe('readCsv recovery from a broken record', () => {
  // The issue's case: 30,000 rows, about 3 MiB, one stray quote on data row 10 (line 11). Before, the quote
  // swallowed 1 MiB of good rows (19,712 of 29,999 came through) and recovery re-read the file from byte 0.
  for (const quoted of [false, true]) {
    it(`reads all 29,999 good rows of a 3 MiB file with one stray quote, reading it once (${quoted ? 'quoted fields around it' : 'no other quotes'})`, async () => {
      const text = catalog(30_000, new Set([9]), quoted);
      expect(text.length).toBeGreaterThan(3 * 1024 * 1024);
      const clean = meter();
      expect((await rows(catalog(30_000, new Set(), quoted), {}, clean)).filter((r) => r.values)).toHaveLength(30_000);
      const broken = meter();
      const out = await rows(text, {}, broken);
      const good = out.filter((r) => r.values);
      expect(good).toHaveLength(29_999);
      expect(out.filter((r) => r.error)).toEqual([{ line: 11, error: expect.stringMatching(quoted ? /^bad quote: .*line 11 .*reading goes on at line 12/ : /^unclosed quote: .*line 11 .*reading goes on at line 12/) }]);
      // Every good row on its own line, with its own values.
      expect(good.every((r) => r.values!.reference === `P${String(r.line - 2).padStart(6, '0')}`)).toBe(true);
      // O(file): the bytes are read from disk once (plus the header's first 64 KiB), and what recovery scans again is
      // the stray quote's bounded reach (at most max_record_lines lines), not the file.
      expect(broken.bytesRead).toBeLessThanOrEqual(Buffer.byteLength(text) + 64 * 1024);
      expect(broken.charsScanned).toBeLessThanOrEqual(clean.charsScanned * 1.05);
      expect(clean.charsScanned).toBeLessThanOrEqual(text.length * 1.01);
    });
  }

  it('an 8 MiB file with a stray quote in every MiB loses only those rows and scans it about once', async () => {
    const n = 80_000;
    const stray = new Set(Array.from({ length: 8 }, (_, k) => k * 10_000 + 4321));
    const text = catalog(n, stray);
    expect(text.length).toBeGreaterThan(8 * 1024 * 1024);
    const m = meter();
    const out = await rows(text, {}, m);
    expect(out.filter((r) => r.values)).toHaveLength(n - 8);
    expect(out.filter((r) => r.error).map((r) => r.line)).toEqual([...stray].map((i) => i + 2));
    expect(m.bytesRead).toBeLessThanOrEqual(Buffer.byteLength(text) + 64 * 1024);
    expect(m.charsScanned).toBeLessThanOrEqual(text.length * 1.15);
  });

  it('reads a legitimate multi-line description (200 lines) whole, and the lines after it stay right', async () => {
    const description = Array.from({ length: 200 }, (_, i) => `regel ${i}; "quoted" text`).join('\r\n');
    const out = await rows(`a;b\n1;"${description.replace(/"/g, '""')}"\n2;x\n`);
    expect(out).toEqual([
      { line: 2, values: { a: '1', b: description } },
      { line: 202, values: { a: '2', b: 'x' } },
    ]);
  });

  it('bounds an open quote by max_record_lines: the record is rejected and every line after the quote is read', async () => {
    const after = Array.from({ length: 30 }, (_, i) => `${i};v${i}`);
    const out = await rows(`a;b\n0;"open\n${after.join('\n')}\n`, { max_record_lines: 10 });
    expect(out[0]).toEqual({ line: 2, error: expect.stringMatching(/^unclosed quote: .*line 2 is still open 10 lines later \(more than max_record_lines\).*line 3/) });
    expect(out.slice(1)).toEqual(after.map((_, i) => ({ line: i + 3, values: { a: String(i), b: `v${i}` } })));
  });

  it('a stray quote in a file of long lines hits max_record_chars first, and still loses no other row', async () => {
    const long = (i: number) => `${i};${'w'.repeat(300)}`;
    const out = await rows(`a;b\n0;"stray\n${Array.from({ length: 50 }, (_, i) => long(i + 1)).join('\n')}\n`, { max_record_chars: 1024 });
    expect(out[0]).toEqual({ line: 2, error: expect.stringMatching(/^record too large .*line 3/) });
    expect(out.slice(1).map((r) => [r.line, r.values?.a])).toEqual(Array.from({ length: 50 }, (_, i) => [i + 3, String(i + 1)]));
  });
});

describe('readCsvBatches', () => {
  it('hands over each record as its fields under the one header, bad records as errors, in file order', async () => {
    const dir = await tempDir();
    const path = join(dir, 'in.csv');
    await writeFile(path, ` a ;b\n1;2\n3\n"x;y";4\n`);
    const got: { header: readonly string[]; line: number; fields?: readonly string[]; error?: string }[] = [];
    for await (const { header, rows } of readCsvBatches(path)) for (const row of rows) got.push({ header, ...row });
    expect(got).toEqual([
      { header: ['a', 'b'], line: 2, fields: ['1', '2'] },
      { header: ['a', 'b'], line: 3, error: 'wrong number of columns: the header has 2, this row 1' },
      { header: ['a', 'b'], line: 4, fields: ['x;y', '4'] },
    ]);
  });
});
