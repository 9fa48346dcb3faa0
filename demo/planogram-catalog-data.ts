/**
 * A deterministic example catalog for the demo, the tests and the benchmark: products as a Dutch spreadsheet
 * export (Windows-1252, `;`, decimal commas, millimetres, CRLF), accessories and materials as UTF-8 CSV with a
 * BOM, small generated PNG pack shots, and optionally a few deliberately bad rows.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { once } from 'node:events';
import { crc32, deflateSync } from 'node:zlib';
import iconv from 'iconv-lite';
import { createRandom } from '../sandbox/kit.js';

export interface ExampleCatalogOptions {
  dir: string;
  products: number;
  accessories?: number;
  materials?: number;
  /** Share of products with a pack shot (accessories and materials always have one when > 0). @default 1 */
  imageShare?: number;
  /** Add the deliberately bad rows (see BAD_PRODUCT_ROWS). @default false */
  badRows?: boolean;
  seed?: number;
}

export interface ExampleCatalog {
  products: string;
  accessories: string | undefined;
  materials: string | undefined;
  images: string;
  /** Image files written. */
  imageCount: number;
  /** Bad rows added to the products file, each with the reason it must be rejected for. */
  badRows: { reference: string; why: string }[];
}

export const PRODUCT_HEADER = [
  'Artikelnummer', 'Omschrijving', 'Actief', 'Merk', 'Groep', 'Subgroep', 'Breedte (mm)', 'Hoogte (mm)', 'Diepte (mm)',
  'Vorm', 'Afbeeldingen', 'Kleur', 'Gedrag', 'Botsingen', 'Facings diep', 'Kenmerken',
];

const BRANDS = ['Zonnig', 'Molenaar', 'De Kaaskop', 'Polderpracht', 'Noordzee'];
const GROUPS = [['Dranken', 'Koffie'], ['Dranken', 'Thee'], ['Zuivel', 'Kaas'], ['Snoep', 'Chocolade'], ['Verzorging', 'Zeep']];
// Names carry the characters a Windows-1252 export mangles when decoded as latin1: € ™ – „ ”.
const NAMES = ['Koffie „Extra” – 250 g', 'Thee™ Earl Grey – 20 zakjes', 'Kaas belegen € actie', 'Chocolade „puur” 72 %', 'Zeep – lavendel™'];
const BEHAVIORS = ['standaard', 'haak', 'stapelbaar', 'tester'];

/** An 8×8 PNG of one color: real image bytes, different per item, tiny. */
export function tinyPng(r: number, g: number, b: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const out = Buffer.alloc(body.length + 8);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), body.length + 4);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(8, 0);
  ihdr.writeUInt32BE(8, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: 8 }, () => [r, g, b]).flat())]);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.concat(Array.from({ length: 8 }, () => row)))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const mm = (n: number) => n.toFixed(1).replace('.', ',');

/** Writes the catalog under `dir` (products.csv, accessories.csv, materials.csv, images/). */
export async function writeExampleCatalog(options: ExampleCatalogOptions): Promise<ExampleCatalog> {
  const random = createRandom(options.seed ?? 20240601);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const images = join(options.dir, 'images');
  await mkdir(images, { recursive: true });
  let imageCount = 0;
  const image = async (name: string) => {
    await writeFile(join(images, name), tinyPng(Math.floor(random() * 256), Math.floor(random() * 256), Math.floor(random() * 256)));
    imageCount++;
  };

  const products = join(options.dir, 'products.csv');
  const out = createWriteStream(products);
  const write = async (cells: (string | number)[]) => {
    if (!out.write(iconv.encode(`${cells.join(';')}\r\n`, 'win1252'))) await once(out, 'drain');
  };
  await write(PRODUCT_HEADER);
  const share = options.imageShare ?? 1;
  for (let i = 1; i <= options.products; i++) {
    const ref = `P${String(i).padStart(6, '0')}`;
    const [group, sub] = pick(GROUPS);
    const withImage = random() < share;
    const img = withImage ? `${ref.toLowerCase()}.png` : '';
    if (withImage) await image(img);
    const color = `#${Math.floor(random() * 0xffffff).toString(16).padStart(6, '0')}`;
    await write([
      ref, `${pick(NAMES)} ${i}`, random() < 0.9 ? 'ja' : 'nee', pick(BRANDS), group!, sub!,
      mm(40 + random() * 200), mm(60 + random() * 250), mm(30 + random() * 120), 'box', img, color, pick(BEHAVIORS),
      random() < 0.5 ? 'ja' : 'nee', Math.floor(random() * 10), `${pick(BRANDS)}|${Math.floor(random() * 1000)} g`,
    ]);
  }
  const badRows = options.badRows ? BAD_PRODUCT_ROWS : [];
  for (const bad of badRows) await write(bad.cells);
  out.end();
  await once(out, 'finish');

  let accessories: string | undefined;
  if (options.accessories) {
    accessories = join(options.dir, 'accessories.csv');
    const lines = ['reference,name,behavior,width_cm,height_cm,depth_cm,images,color,text_height,text_color,caption,enabled'];
    for (let i = 1; i <= options.accessories; i++) {
      const ref = `ACC-${String(i).padStart(4, '0')}`;
      await image(`${ref}.png`);
      lines.push([ref, `"Schapstrip ${i}, 100 cm"`, pick(['shelf strip', 'divider', 'tag', 'presenter']), '100', '3.5', '0.5', `${ref}.png`, '#FFCC00', '1.2', '#000000', `Actie ${i}`, 'yes'].join(','));
    }
    await writeFile(accessories, `\uFEFF${lines.join('\n')}\n`, 'utf8');
  }

  let materials: string | undefined;
  if (options.materials) {
    materials = join(options.dir, 'materials.csv');
    const lines = ['code,name,image,tile,tile_width,tile_height'];
    for (let i = 1; i <= options.materials; i++) {
      const ref = `MAT-${i}`;
      await image(`${ref}.png`);
      lines.push([ref, `Hout ${i}`, `${ref}.png`, i % 2 ? '1' : '0', '30', '30'].join(','));
    }
    await writeFile(materials, `\uFEFF${lines.join('\n')}\n`, 'utf8');
  }
  return { products, accessories, materials, images, imageCount, badRows: badRows.map(({ reference, why }) => ({ reference, why })) };
}

const row = (ref: string, overrides: Partial<Record<string, string>> = {}): string[] =>
  PRODUCT_HEADER.map((h) => overrides[h] ?? ({ Artikelnummer: ref, Omschrijving: `Fout ${ref}`, Actief: 'ja', 'Breedte (mm)': '100', 'Hoogte (mm)': '100', 'Diepte (mm)': '100', Gedrag: 'standaard', Botsingen: 'ja', 'Facings diep': '1' } as Record<string, string>)[h] ?? '');

/** Rows every run must reject, with the column at fault. */
export const BAD_PRODUCT_ROWS: { reference: string; why: string; cells: string[] }[] = [
  { reference: 'BAD-WIDE', why: 'Breedte (mm)', cells: row('BAD-WIDE', { 'Breedte (mm)': '123456,0' }) },
  { reference: 'BAD#HASH', why: 'Artikelnummer', cells: row('BAD#HASH') },
  { reference: 'BAD-BOOL', why: 'Actief', cells: row('BAD-BOOL', { Actief: 'misschien' }) },
  { reference: 'BAD-NUM', why: 'Hoogte (mm)', cells: row('BAD-NUM', { 'Hoogte (mm)': 'twaalf' }) },
  { reference: 'p000001', why: 'Artikelnummer', cells: row('p000001') },
  { reference: 'BAD-BEHAVIOR', why: 'Gedrag', cells: row('BAD-BEHAVIOR', { Gedrag: 'zwevend' }) },
];
