/**
 * Hostile catalog input to planogram-catalog on the gRPC sandbox: references differing only in case, numbers
 * out of range (negative, NaN, Infinity, 1e400), oversize, missing and traversing images, a mapping naming a
 * column the file lacks, a mapping with a typo. Each bad row is named by file, line and column; the rest lands.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tinyPng } from '../../demo/planogram-catalog-data.js';
import { type PlanogramBuilderSandbox, startPlanogramBuilderSandbox } from '../../sandbox/planogrambuilder/server.js';
import { type TestApp, createTestApp } from '../helpers/app.js';
import { sandboxUpstreamConfig } from '../planogram/plano-fixtures.js';
import { KIND } from '../helpers/maas-world.js';

const MAPPING = `products:
  fields:
    reference: ref
    name: name
    width: { column: width, unit: cm }
    images: { column: images, split: "|" }
`;

describe('hostile catalog input (planogram-catalog)', () => {
  let sandbox: PlanogramBuilderSandbox;
  let app: TestApp;
  let csv: string;
  let images: string;
  let mapping: string;
  beforeEach(async () => {
    sandbox = await startPlanogramBuilderSandbox();
    app = await createTestApp(KIND, (dir) => {
      csv = join(dir, 'products.csv');
      images = join(dir, 'images');
      mapping = join(dir, 'products.yaml');
      return {
        upstreams: { planogrambuilder: sandboxUpstreamConfig(sandbox) },
        pipelines: [{ name: 'catalog', type: 'planogram-catalog', source: { products: csv, images }, mapping }],
      };
    });
    app.watchSecrets('planogrambuilder sandbox access token', () => sandbox.state.issuedTokens);
    await mkdir(images, { recursive: true });
    await writeFile(mapping, MAPPING);
  });
  afterEach(async () => {
    await app?.dispose();
    await sandbox.close();
  });

  const run = () => app.runner.run('catalog');
  const rejections = (runId: number | null) =>
    app.db.kysely.selectFrom('rejections').select(['source', 'line', 'field', 'reason', 'value']).where('run_id', '=', runId!).orderBy('line').execute();
  const refs = () => sandbox.items('product').map((p) => p.reference).sort();

  it('references differing only in case are one item: the first row is synced, the later one named as duplicate', async () => {
    await writeFile(csv, 'ref,name,width,images\nABC-1,Eerste,10,\nabc-1,Tweede,11,\nXYZ,Ander,12,\n');
    const r = await run();
    expect(await rejections(r.runId)).toEqual([
      { source: csv, line: 3, field: 'ref', reason: 'duplicate reference "abc-1" (first at line 2); not sent twice', value: 'abc-1' },
    ]);
    expect(refs()).toEqual(['ABC-1', 'XYZ']);
    expect(sandbox.items('product').find((p) => p.reference === 'ABC-1')?.name).toBe('Eerste');
  });

  it('negative, NaN, Infinity, 1e400 and beyond-the-limit numbers are rejected by column; the good row lands', async () => {
    await writeFile(csv, 'ref,name,width,images\nN1,neg,-5,\nN2,nan,NaN,\nN3,inf,Infinity,\nN4,exp,1e400,\nN5,big,12345678,\nN6,two,"1,2,3",\nOK,goed,"12,5",\n');
    const r = await run();
    const rej = await rejections(r.runId);
    expect(rej.map((x) => [x.line, x.field, x.value])).toEqual([
      [2, 'width', '-5'],
      [3, 'width', 'NaN'],
      [4, 'width', 'Infinity'],
      [5, 'width', '1e400'],
      [6, 'width', '12345678'],
      [7, 'width', '1,2,3'],
    ]);
    expect(rej[0]!.reason).toMatch(/width -5 is outside \[0, /);
    expect(rej[1]!.reason).toMatch(/"NaN" is not a number/);
    expect(rej[3]!.reason).toMatch(/width (is not a number|.*outside)/);
    expect(refs()).toEqual(['OK']);
    expect(sandbox.items('product')[0]!.width).toBe(12.5);
  });

  it('an oversize image (> 5 MiB) and a missing one are reported per item; the items sync without them', async () => {
    await writeFile(join(images, 'big.png'), Buffer.alloc(5 * 1024 * 1024 + 1, 1));
    await writeFile(join(images, 'ok.png'), tinyPng(1, 2, 3));
    await writeFile(csv, 'ref,name,width,images\nBIG,groot,10,big.png\nGONE,weg,10,gone.png\nFINE,goed,10,ok.png\n');
    const r = await run();
    expect(r.error).toBeUndefined();
    expect((await rejections(r.runId)).map((x) => [x.line, x.field, x.reason])).toEqual([
      [2, 'images', 'image "big.png" is 5.0 MiB, more than the 5 MiB the API accepts (the item is synced without it)'],
      [3, 'images', 'image "gone.png" is not in the images folder (the item is synced without it)'],
    ]);
    expect(refs()).toEqual(['BIG', 'FINE', 'GONE']);
    expect(sandbox.files().map((f) => f.name)).toEqual(['ok.png']);
  });

  it('an image name that climbs out of the images folder is refused, and the file outside is never read or sent', async () => {
    // A real file one level up: a naive join(images, name) would upload it.
    await writeFile(join(app.dir, 'outside.png'), tinyPng(9, 9, 9));
    await writeFile(csv, 'ref,name,width,images\nEVIL,kwaad,10,../outside.png\nABS,abs,10,/etc/passwd\nOK,goed,10,\n');
    const r = await run();
    const rej = await rejections(r.runId);
    expect(rej.map((x) => [x.line, x.field, x.value])).toEqual([
      [2, 'images', '../outside.png'],
      [3, 'images', '/etc/passwd'],
    ]);
    expect(rej.every((x) => /images\[0\] file name is not a plain file name/.test(x.reason))).toBe(true);
    expect(sandbox.files()).toEqual([]);
    expect(refs()).toEqual(['OK']);
  });

  it('a mapping naming a column the file lacks fails the run, naming the file and both column lists; nothing is written', async () => {
    await writeFile(csv, 'ref,naam,width,images\nA,x,10,\n');
    const r = await run();
    expect(r.outcome).toBe('failed');
    expect(r.error?.message).toBe(`${csv}: the mapping names column "name" that the file lacks (it has "ref", "naam", "width", "images")`);
    expect(sandbox.mutatingCalls()).toBe(0);
  });

  it('a mapping file with a typo in a key fails the run naming the file, the key path and what was expected', async () => {
    await writeFile(mapping, MAPPING.replace('width: {', 'widht: {'));
    await writeFile(csv, 'ref,name,width,images\nA,x,10,\n');
    const r = await run();
    expect(r.outcome).toBe('failed');
    expect(r.error?.message).toMatch(new RegExp(`^mapping ${mapping.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\n  products\\.fields\\.widht: expected one of reference, .*width`));
    expect(sandbox.mutatingCalls()).toBe(0);
  });
});
