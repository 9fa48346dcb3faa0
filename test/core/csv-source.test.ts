import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { type CsvRow, detectDelimiter, readCsv } from '../../src/core/csv-source.js';

async function rows(content: string | Buffer, options = {}): Promise<CsvRow[]> {
  const dir = await mkdtemp(join(tmpdir(), 'koppel-csv-'));
  const path = join(dir, 'in.csv');
  await writeFile(path, content);
  const out: CsvRow[] = [];
  for await (const r of readCsv(path, options)) out.push(r);
  return out;
}

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
});
