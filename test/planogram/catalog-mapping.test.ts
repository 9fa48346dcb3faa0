import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCsv } from '../../src/core/csv-source.js';
import { ConfigError } from '../../src/core/errors.js';
import { loadMappingFile } from '../../src/pipelines/planogram-catalog/mapping.js';
import { RowMapper } from '../../src/pipelines/planogram-catalog/row-mapper.js';
import { CellError, parseBoolean, parseColor, parseDecimal, parseEnum, toCentimetres } from '../../src/pipelines/planogram-catalog/transforms.js';
import { PRODUCT_BEHAVIORS } from '../../src/upstreams/planogrambuilder/wire.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'plano-map-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('catalog transforms', () => {
  it('reads decimal commas, dots and thousands marks', () => {
    expect(parseDecimal('12,5')).toBe(12.5);
    expect(parseDecimal('1.234,5')).toBe(1234.5);
    expect(parseDecimal('1,234.5')).toBe(1234.5);
    expect(parseDecimal('1 234,5')).toBe(1234.5);
    expect(parseDecimal('1.234', 'comma')).toBe(1234);
    expect(() => parseDecimal('12 cm')).toThrow(CellError);
    expect(toCentimetres('123,4', 'mm', 'auto')).toBe(Math.fround(12.34));
    expect(toCentimetres('1,2', 'm', 'auto')).toBe(Math.fround(120));
  });

  it('reads ja/nee, yes/no, 1/0 and own words; rejects the rest', () => {
    expect(['ja', 'JA', 'yes', '1', 'true'].map((v) => parseBoolean(v))).toEqual([true, true, true, true, true]);
    expect(['nee', 'No', '0', 'false'].map((v) => parseBoolean(v))).toEqual([false, false, false, false]);
    expect(parseBoolean('actief', { actief: true })).toBe(true);
    expect(() => parseBoolean('misschien')).toThrow(/not a yes\/no value/);
  });

  it('maps enums by own word, API name or plain name', () => {
    expect(parseEnum('haak', PRODUCT_BEHAVIORS, { haak: 'PB_PEGGED' })).toBe('PB_PEGGED');
    expect(parseEnum('PB_TESTER', PRODUCT_BEHAVIORS)).toBe('PB_TESTER');
    expect(parseEnum('Stackable', PRODUCT_BEHAVIORS)).toBe('PB_STACKABLE');
    expect(() => parseEnum('zwevend', PRODUCT_BEHAVIORS)).toThrow(/not one of standard, pegged, stackable, tester/);
  });

  it('turns hex colors into the API form', () => {
    expect(parseColor('#336699')).toBe('0xFF336699');
    expect(parseColor('#abc')).toBe('0xFFAABBCC');
    expect(parseColor('#80336699')).toBe('0x80336699');
    expect(parseColor('4294967295')).toBe('0xFFFFFFFF');
    expect(parseColor('')).toBe('');
    expect(() => parseColor('red')).toThrow(CellError);
  });
});

describe('catalog files', () => {
  it('decodes Windows-1252 exports (€ ™ – „ ”) and detects ";"', async () => {
    const path = join(dir, 'win.csv');
    // 0x80 €, 0x99 ™, 0x96 –, 0x84 „, 0x94 ” — the characters latin1 decoding turns into control codes.
    await writeFile(path, Buffer.concat([Buffer.from('ref;naam\r\nA1;'), Buffer.from([0x80, 0x20, 0x99, 0x96, 0x84, 0x78, 0x94]), Buffer.from('\r\n')]));
    const rows = [];
    for await (const row of readCsv(path, { encoding: 'windows-1252' })) rows.push(row);
    expect(rows).toEqual([{ line: 2, values: { ref: 'A1', naam: '€ ™–„x”' } }]);
  });

  it('maps a row to a whole item and names the column of the first problem', async () => {
    const path = join(dir, 'm.yaml');
    await writeFile(path, 'products:\n  fields:\n    reference: Nr\n    width: { column: B, unit: mm }\n    enabled: { column: Act, default: ja }\n    behavior: { constant: pegged }\n');
    const mapping = (await loadMappingFile(path)).products!;
    const mapper = new RowMapper('product', mapping);
    expect(() => mapper.checkHeader(['Nr', 'B'], 'x.csv')).toThrow(/column "Act" that the file lacks/);
    const ok = mapper.map({ Nr: ' A-1 ', B: '250,5', Act: '' });
    expect(ok).toMatchObject({ ok: true, item: { reference: 'A-1', width: Math.fround(25.05), enabled: 'PAB_TRUE', behavior: 'PB_PEGGED', collisions: 'PAB_TRUE', height: 0 } });
    expect(mapper.map({ Nr: 'A-2', B: '200000', Act: 'ja' })).toMatchObject({ ok: false, column: 'B', reason: 'width 20000 is outside [0, 10000]' });
    expect(mapper.map({ Nr: 'A-3', B: 'x', Act: 'ja' })).toMatchObject({ ok: false, column: 'B', reason: 'width: "x" is not a number' });
    expect(mapper.map({ Nr: 'A#4', B: '1', Act: 'ja' })).toMatchObject({ ok: false, reference: 'A#4', column: 'Nr' });
  });

  it('refuses a mapping with unknown fields, naming the key path', async () => {
    const path = join(dir, 'bad.yaml');
    await writeFile(path, 'materials:\n  fields:\n    reference: code\n    colour: kleur\n');
    await expect(loadMappingFile(path)).rejects.toThrow(ConfigError);
    await expect(loadMappingFile(path)).rejects.toThrow(/materials\.fields\.colour: expected one of reference, name, image1/);
  });
});
