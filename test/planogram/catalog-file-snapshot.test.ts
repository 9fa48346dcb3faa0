import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BAD_PRODUCT_ROWS } from '../../demo/planogram-catalog-data.js';
import { defaultItem } from '../../src/upstreams/planogrambuilder/defaults.js';
import { type PlanogramBuilderSandbox, startPlanogramBuilderSandbox } from '../../sandbox/planogrambuilder/server.js';
import type { TestApp } from '../helpers/app.js';
import { testDatabaseKinds } from '../helpers/database.js';
import { catalogApp, makeClient } from './plano-fixtures.js';

/** The log line of a catalog taken from its snapshot, by kind. */
const NOT_READ = 'the catalog file and the remote catalog are as that run left them: every row unchanged, the file is not read again';
const ALL_ROWS = { seen: 40 + BAD_PRODUCT_ROWS.length + 5 + 3, unchanged: 48, rejected: BAD_PRODUCT_ROWS.length };

describe.each(testDatabaseKinds)('planogram-catalog: an unchanged catalog file is not read again (%s)', (kind) => {
  let sandbox: PlanogramBuilderSandbox;
  let app: TestApp;
  /** Kinds taken from their snapshot in the run with this id. */
  const fromSnapshot = (runId: number | null) => app.logs.records.filter((r) => r.runId === runId && r.msg === NOT_READ).map((r) => r.kind);
  /** How the run with this id read each kind's remote catalog, in order: decoded item by item (true) or by its bytes alone. */
  const listedBy = (runId: number | null) => app.logs.records.filter((r) => r.runId === runId && r.msg === 'read the remote catalog').map((r) => `${r.kind}:${r.decoded ? 'decoded' : 'bytes'}`);
  const rejectionsOf = (runId: number | null) =>
    app.db.kysely.selectFrom('rejections').select(['item_key', 'source', 'line', 'field', 'reason', 'value']).where('run_id', '=', runId!).orderBy('id').execute();

  beforeEach(async () => {
    sandbox = await startPlanogramBuilderSandbox();
  });
  afterEach(async () => {
    await app?.dispose();
    await sandbox.close();
  });

  it('re-runs from the snapshot: the same counts and rejections as reading it, no mutating call', async () => {
    ({ app } = await catalogApp(kind, sandbox));
    const first = await app.runner.run('catalog');
    expect(fromSnapshot(first.runId)).toEqual([]);
    sandbox.resetCalls();
    const second = await app.runner.run('catalog');
    expect(fromSnapshot(second.runId)).toEqual(['product', 'accessory', 'material']);
    expect(second.outcome).toBe('rejected');
    expect(second.counts).toEqual({ ...ALL_ROWS, created: 0, updated: 0, failed: 0 });
    expect(second.plan?.summary).toMatchObject({ create: 0, update: 0, unchanged: 48, upload: 0, refresh: 0 });
    expect(await rejectionsOf(second.runId)).toEqual(await rejectionsOf(first.runId));
    expect(sandbox.mutatingCalls()).toBe(0);
  });

  it('reads a file again once the remote catalog moved (an item edited, one deleted, one added elsewhere), then trusts the new snapshot', async () => {
    ({ app } = await catalogApp(kind, sandbox));
    await app.runner.run('catalog');
    const [edited, deleted] = sandbox.items('product');
    const { client } = makeClient(sandbox);
    const release = await client.connect();
    await client.call('UpdateProduct', { product: { ...edited!, name: 'edited elsewhere' } });
    await client.call('DeleteProduct', { reference: deleted!.reference });
    await client.call('CreateProduct', { product: { ...defaultItem('product', 'MADE-ELSEWHERE'), name: 'not in the catalog' } });
    await release();

    sandbox.resetCalls();
    const second = await app.runner.run('catalog');
    expect(fromSnapshot(second.runId)).toEqual(['accessory', 'material']);
    expect(second.counts).toEqual({ ...ALL_ROWS, unchanged: 46, created: 1, updated: 1, failed: 0 });
    expect(sandbox.calls()).toMatchObject({ UpdateProduct: 1, CreateProduct: 1 });
    expect(sandbox.mutatingCalls()).toBe(2);
    expect(sandbox.items('product').find((p) => p.reference === edited!.reference)?.name).toBe(edited!.name);
    expect(sandbox.items('product').map((p) => p.reference)).toContain(deleted!.reference);

    // The item made elsewhere stays (pruning is off) and is part of the catalog the run left.
    sandbox.resetCalls();
    const third = await app.runner.run('catalog');
    expect(fromSnapshot(third.runId)).toEqual(['product', 'accessory', 'material']);
    expect(third.counts).toEqual({ ...ALL_ROWS, created: 0, updated: 0, failed: 0 });
    expect(sandbox.mutatingCalls()).toBe(0);
  });

  it('trusts a listing it checked item by item by its bytes next time; an edit or a new order is decoded again', async () => {
    ({ app } = await catalogApp(kind, sandbox));
    await app.runner.run('catalog');
    const checked = await app.runner.run('catalog');
    expect(fromSnapshot(checked.runId)).toEqual(['product', 'accessory', 'material']);
    expect(listedBy(checked.runId)).toEqual(['product:decoded', 'accessory:decoded', 'material:decoded']);
    const trusted = await app.runner.run('catalog');
    expect(fromSnapshot(trusted.runId)).toEqual(['product', 'accessory', 'material']);
    expect(listedBy(trusted.runId)).toEqual(['product:bytes', 'accessory:bytes', 'material:bytes']);
    expect(trusted.counts).toEqual({ ...ALL_ROWS, created: 0, updated: 0, failed: 0 });

    // An item edited elsewhere: other bytes, so the items are decoded, the file is read and the edit undone.
    const [edited, moved] = sandbox.items('product');
    const { client } = makeClient(sandbox);
    let release = await client.connect();
    await client.call('UpdateProduct', { product: { ...edited!, name: 'edited elsewhere' } });
    await release();
    sandbox.resetCalls();
    const afterEdit = await app.runner.run('catalog');
    expect(listedBy(afterEdit.runId)).toEqual(['product:bytes', 'product:decoded', 'accessory:bytes', 'material:bytes']);
    expect(fromSnapshot(afterEdit.runId)).toEqual(['accessory', 'material']);
    expect(afterEdit.counts).toEqual({ ...ALL_ROWS, unchanged: 47, created: 0, updated: 1, failed: 0 });
    expect(sandbox.mutatingCalls()).toBe(1);
    expect(sandbox.items('product').find((p) => p.reference === edited!.reference)?.name).toBe(edited!.name);

    // The same items in another order (one deleted and made again as it was): other bytes, the same catalog. The
    // snapshot still holds, but these bytes are not trusted again until a new snapshot.
    await app.runner.run('catalog');
    release = await client.connect();
    await client.call('DeleteProduct', { reference: moved!.reference });
    await client.call('CreateProduct', { product: moved! });
    await release();
    const reordered = await app.runner.run('catalog');
    expect(listedBy(reordered.runId)).toEqual(['product:bytes', 'product:decoded', 'accessory:bytes', 'material:bytes']);
    expect(fromSnapshot(reordered.runId)).toEqual(['product', 'accessory', 'material']);
    const after = await app.runner.run('catalog');
    expect(listedBy(after.runId)).toEqual(['product:decoded', 'accessory:bytes', 'material:bytes']);
    expect(fromSnapshot(after.runId)).toEqual(['product', 'accessory', 'material']);
    expect(after.counts).toEqual({ ...ALL_ROWS, created: 0, updated: 0, failed: 0 });
  });

  it('reads a file again when its bytes or its mapping changed, and under --full', async () => {
    // The mappings are copies this test can edit.
    const mappings = await mkdtemp(join(tmpdir(), 'koppel-mappings-'));
    for (const name of ['products', 'accessories', 'materials']) await copyFile(`mappings/${name}.yaml`, join(mappings, `${name}.yaml`));
    const mapping = { products: join(mappings, 'products.yaml'), accessories: join(mappings, 'accessories.yaml'), materials: join(mappings, 'materials.yaml') };
    const { app: made, catalog } = await catalogApp(kind, sandbox, { mapping });
    app = made;
    await app.runner.run('catalog');

    const text = iconv.decode(await readFile(catalog.products), 'win1252');
    const line2 = text.split('\r\n')[1]!;
    await writeFile(catalog.products, iconv.encode(text.replace(line2, line2.replace(/^([^;]*);([^;]*);/, '$1;$2 (nieuw);')), 'win1252'));
    sandbox.resetCalls();
    const edited = await app.runner.run('catalog');
    expect(fromSnapshot(edited.runId)).toEqual(['accessory', 'material']);
    expect(edited.counts).toMatchObject({ updated: 1, unchanged: 47 });
    expect(sandbox.calls()).toMatchObject({ UpdateProduct: 1 });

    // The same bytes make other items once the name comes from another column.
    await writeFile(mapping.products, (await readFile(mapping.products, 'utf8')).replace('name: Omschrijving', 'name: Merk'));
    const remapped = await app.runner.run('catalog');
    expect(fromSnapshot(remapped.runId)).toEqual(['accessory', 'material']);
    expect(remapped.counts).toMatchObject({ updated: 40, unchanged: 8 });

    const full = await app.runner.run('catalog', { full: true });
    expect(fromSnapshot(full.runId)).toEqual([]);
    expect(full.counts).toEqual({ ...ALL_ROWS, created: 0, updated: 0, failed: 0 });
    await rm(mappings, { recursive: true, force: true });
  });

  it('reads a file again when the run its rejections were recorded under is gone, and reports them again', async () => {
    ({ app } = await catalogApp(kind, sandbox));
    const first = await app.runner.run('catalog');
    const before = await rejectionsOf(first.runId);
    await app.db.kysely.deleteFrom('rejections').where('run_id', '=', first.runId!).execute();
    const second = await app.runner.run('catalog');
    expect(fromSnapshot(second.runId)).toEqual(['accessory', 'material']);
    expect(second.counts).toEqual({ ...ALL_ROWS, created: 0, updated: 0, failed: 0 });
    expect(await rejectionsOf(second.runId)).toEqual(before);
  });
});
