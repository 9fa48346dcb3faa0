import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BAD_PRODUCT_ROWS, PRODUCT_HEADER, tinyPng } from '../../demo/planogram-catalog-data.js';
import { type PlanogramBuilderSandbox, startPlanogramBuilderSandbox } from '../../sandbox/planogrambuilder/server.js';
import type { Product } from '../../src/upstreams/planogrambuilder/wire.js';
import type { TestApp } from '../helpers/app.js';
import { testDatabaseKinds } from '../helpers/database.js';
import { catalogApp as setup } from './plano-fixtures.js';

const rejectionsOf = (app: TestApp, runId: number | null) =>
  app.db.kysely.selectFrom('rejections').select(['item_key', 'source', 'line', 'field', 'reason']).where('run_id', '=', runId!).orderBy('line').execute();

describe.each(testDatabaseKinds)('planogram-catalog run (%s)', (kind) => {
  let sandbox: PlanogramBuilderSandbox;
  let app: TestApp;
  beforeEach(async () => {
    sandbox = await startPlanogramBuilderSandbox();
  });
  afterEach(async () => {
    await app?.dispose();
    await sandbox.close();
  });

  it('imports every valid row with exactly the mapped values, uploads images, rejects bad rows, and re-runs with 0 mutating calls', async () => {
    ({ app } = await setup(kind, sandbox));
    const first = await app.runner.run('catalog');
    expect(first.error).toBeUndefined();
    expect(first.outcome).toBe('rejected');
    expect(first.counts).toMatchObject({ seen: 40 + BAD_PRODUCT_ROWS.length + 5 + 3, created: 48, rejected: BAD_PRODUCT_ROWS.length, failed: 0 });

    const products = sandbox.items('product');
    expect(products).toHaveLength(40);
    const raw = iconv.decode(await readFile(join(app.dir, 'products.csv')), 'win1252').split('\r\n')[1]!.split(';');
    const p1 = products.find((p) => p.reference === 'P000001')!;
    const cell = (h: string) => raw[PRODUCT_HEADER.indexOf(h)]!;
    expect(p1.name).toBe(cell('Omschrijving'));
    expect(p1.name).toMatch(/[€™–„”]/);
    expect(p1.width).toBe(Math.fround(Number(cell('Breedte (mm)').replace(',', '.')) / 10));
    expect(p1.enabled).toBe(cell('Actief') === 'ja' ? 'PAB_TRUE' : 'PAB_FALSE');
    expect(p1.color).toBe(`0xFF${cell('Kleur').slice(1).toUpperCase()}`);
    expect(p1.classification).toEqual({ level1: cell('Merk'), level2: cell('Groep'), level3: cell('Subgroep') });
    expect(p1.custom_properties).toEqual(cell('Kenmerken').split('|'));
    expect(p1.images).toEqual(cell('Afbeeldingen') ? [cell('Afbeeldingen')] : []);
    expect(sandbox.items('accessory').map((a) => a.behavior)).toContain('AB_SHELF_STRIP');
    expect(sandbox.items('material')).toHaveLength(3);

    const referenced = new Set([...products.flatMap((p) => p.images), ...sandbox.items('accessory').flatMap((a) => a.images), ...sandbox.items('material').map((m) => m.image1)]);
    expect(new Set(sandbox.files().map((f) => f.name))).toEqual(referenced);
    expect(sandbox.staleItems()).toEqual([]);

    const rejections = await rejectionsOf(app, first.runId);
    expect(rejections.map((r) => r.field)).toEqual(BAD_PRODUCT_ROWS.map((b) => b.why));
    expect(rejections.map((r) => r.line)).toEqual(BAD_PRODUCT_ROWS.map((_, i) => 42 + i));
    expect(rejections.every((r) => r.source?.endsWith('products.csv'))).toBe(true);
    expect(rejections.find((r) => r.field === 'Breedte (mm)')?.reason).toMatch(/width 12345\.6\d* is outside \[0, 10000\]/);
    expect(rejections.find((r) => r.line === 46)?.reason).toMatch(/duplicate reference "p000001" \(first at line 2\)/);

    sandbox.resetCalls();
    const second = await app.runner.run('catalog');
    expect(second.counts).toMatchObject({ created: 0, updated: 0, unchanged: 48, failed: 0 });
    expect(sandbox.mutatingCalls()).toBe(0);
    expect(sandbox.calls().SignIn).toBe(1);
    expect(sandbox.calls().SignOut).toBe(1);
  });

  it('re-records lost or stale checkpoints of items equal remotely without any call, and leaves the rest alone', async () => {
    ({ app } = await setup(kind, sandbox));
    const first = await app.runner.run('catalog');
    const checkpoints = async () =>
      (await app.db.kysely.selectFrom('item_state').select(['item_key', 'content_hash', 'last_run_id']).where('pipeline', '=', 'catalog').orderBy('item_key').execute()).filter((c) =>
        /^(product|accessory|material):/.test(c.item_key),
      );
    const before = await checkpoints();
    expect(before).toHaveLength(48);
    const firstOf = (kind: string) => before.find((c) => c.item_key.startsWith(`${kind}:`))!.item_key;
    const [lost, stale] = [[firstOf('product'), firstOf('material')], firstOf('accessory')];
    await app.db.kysely.deleteFrom('item_state').where('item_key', 'in', lost).execute();
    await app.db.kysely.updateTable('item_state').set({ content_hash: 'stale' }).where('item_key', '=', stale).execute();
    const repaired = [...lost, stale];

    sandbox.resetCalls();
    const second = await app.runner.run('catalog');
    expect(second.counts).toMatchObject({ created: 0, updated: 0, unchanged: 48, failed: 0 });
    expect(sandbox.mutatingCalls()).toBe(0);
    const after = await checkpoints();
    expect(after.map(({ item_key, content_hash }) => ({ item_key, content_hash }))).toEqual(before.map(({ item_key, content_hash }) => ({ item_key, content_hash })));
    for (const c of after) expect([c.item_key, c.last_run_id]).toEqual([c.item_key, repaired.includes(c.item_key) ? second.runId : first.runId]);
  });

  it('uploads a changed image and refreshes exactly the items that use it', async () => {
    ({ app } = await setup(kind, sandbox));
    await app.runner.run('catalog');
    const user = sandbox.items('product').find((p) => p.images.length > 0)!;
    await writeFile(join(app.dir, 'images', user.images[0]!), tinyPng(1, 2, 3));
    sandbox.resetCalls();
    const run = await app.runner.run('catalog');
    expect(run.plan?.summary).toMatchObject({ upload: 1, refresh: 1, create: 0, update: 0 });
    expect(sandbox.calls()).toMatchObject({ UploadFile: 1, RefreshProduct: 1 });
    expect(sandbox.mutatingCalls()).toBe(2);
    expect(sandbox.fileData(user.images[0]!)?.equals(tinyPng(1, 2, 3))).toBe(true);
    expect(sandbox.staleItems()).toEqual([]);
  });
});

describe('planogram-catalog run (pglite)', () => {
  let sandbox: PlanogramBuilderSandbox;
  let app: TestApp;
  beforeEach(async () => {
    sandbox = await startPlanogramBuilderSandbox();
  });
  afterEach(async () => {
    await app?.dispose();
    await sandbox.close();
  });

  it('prints a dry-run plan with changed fields and changes nothing', async () => {
    ({ app } = await setup('pglite', sandbox));
    await app.runner.run('catalog');
    const csv = join(app.dir, 'products.csv');
    const text = iconv.decode(await readFile(csv), 'win1252').replace(/^P000002;([^;]*);/m, 'P000002;Nieuwe naam;');
    await writeFile(csv, iconv.encode(text, 'win1252'));
    sandbox.resetCalls();
    const dry = await app.runner.run('catalog', { dryRun: true });
    expect(dry.outcome).toBe('dry-run');
    expect(dry.plan?.summary).toMatchObject({ create: 0, update: 1, upload: 0, refresh: 0, delete: 0 });
    expect(dry.plan?.actions).toContainEqual(
      expect.objectContaining({ action: 'update', key: 'product:p000002', detail: expect.objectContaining({ changed: { name: expect.objectContaining({ to: 'Nieuwe naam' }) } }) }),
    );
    expect(sandbox.mutatingCalls()).toBe(0);
    expect(sandbox.state.activeTokens).toBe(0);
    const real = await app.runner.run('catalog');
    expect(real.counts.updated).toBe(1);
    expect(sandbox.items('product').find((p) => p.reference === 'P000002')?.name).toBe('Nieuwe naam');
  });

  it('prunes only within the guard unless --force', async () => {
    ({ app } = await setup('pglite', sandbox, { prune: true }));
    await app.runner.run('catalog');
    const csv = join(app.dir, 'products.csv');
    const lines = iconv.decode(await readFile(csv), 'win1252').split('\r\n');
    await writeFile(csv, iconv.encode(lines.filter((l) => !/^P00000[1-6];/.test(l)).join('\r\n'), 'win1252'));
    sandbox.resetCalls();
    const refused = await app.runner.run('catalog');
    expect(refused.outcome).toBe('failed');
    expect(refused.error?.message).toMatch(/prune refused: it would delete 5 of 40 remote products \(12\.5 %\)/);
    expect(sandbox.calls().DeleteProduct).toBe(0);
    const forced = await app.runner.run('catalog', { force: true });
    expect(forced.counts).toMatchObject({ failed: 0 });
    expect(sandbox.calls().DeleteProduct).toBe(5);
    expect(sandbox.items('product').map((p) => p.reference)).not.toContain('P000002');
    expect(sandbox.items('product').map((p) => p.reference)).toContain('P000001'); // kept: a bad row still names it
  });

  it('converges despite lost responses, transient faults and a revoked token, without duplicates', async () => {
    ({ app } = await setup('pglite', sandbox));
    sandbox.faults.set({ errorRate: 0.1, seed: 11 });
    sandbox.setLostResponseRate(0.15);
    sandbox.revokeTokens(30);
    const run = await app.runner.run('catalog');
    expect(run.error).toBeUndefined();
    expect(run.counts.failed).toBe(0);
    expect(sandbox.items('product')).toHaveLength(40);
    // One sign-in after the revocation; faults and lost responses hit SignIn too, and each retry is a new SignIn.
    expect(sandbox.calls().SignIn).toBeGreaterThanOrEqual(2);
    sandbox.faults.set({ errorRate: 0 });
    sandbox.setLostResponseRate(0);
    sandbox.resetCalls();
    await app.runner.run('catalog');
    expect(sandbox.mutatingCalls()).toBe(0);
    expect(sandbox.staleItems()).toEqual([]);
  });

  it('a missing image is a warning under the mapping\'s column, the item counted once (as created); counts add up to seen', async () => {
    ({ app } = await setup('pglite', sandbox));
    await appendFile(join(app.dir, 'products.csv'), iconv.encode('NOIMG;Zonder foto;ja;;;;10;10;10;box;ontbreekt.png;;standaard;ja;1;\r\n', 'win1252'));
    await appendFile(join(app.dir, 'materials.csv'), 'MAT-X,Zonder textuur,weg.png,1,30,30\n');
    const run = await app.runner.run('catalog');
    const c = run.counts;
    expect(c.created + c.updated + c.unchanged + c.rejected + c.failed).toBe(c.seen);
    expect(c).toMatchObject({ created: 50, rejected: BAD_PRODUCT_ROWS.length, failed: 0 });
    expect(run.warnings).toHaveLength(2);
    const rows = await app.db.kysely.selectFrom('rejections').select(['item_key', 'field', 'reason', 'severity']).where('run_id', '=', run.runId!).where('severity', '=', 'warning').orderBy('id').execute();
    // In the user's words: the products file's column "Afbeeldingen", the materials file's column "image".
    expect(rows).toEqual([
      { item_key: 'product:noimg', field: 'Afbeeldingen', severity: 'warning', reason: expect.stringMatching(/"ontbreekt.png" is not in the images folder \(the item is synced without it\)/) },
      { item_key: 'material:mat-x', field: 'image', severity: 'warning', reason: expect.stringMatching(/"weg.png" is not in the images folder/) },
    ]);
    expect(sandbox.items('product').some((p: Product) => p.reference === 'NOIMG')).toBe(true);
    const recorded = await app.db.kysely.selectFrom('runs').select(['seen', 'created', 'rejected', 'warnings']).where('id', '=', run.runId!).executeTakeFirstOrThrow();
    expect(recorded).toMatchObject({ seen: c.seen, created: 50, warnings: 2 });
  });

  it('an unknown behavior is reported with the mapping\'s own words', async () => {
    ({ app } = await setup('pglite', sandbox));
    await appendFile(join(app.dir, 'products.csv'), iconv.encode('HANG;Hangt;ja;;;;10;10;10;box;;;hangend;ja;1;\r\n', 'win1252'));
    const run = await app.runner.run('catalog');
    const rejections = await rejectionsOf(app, run.runId);
    expect(rejections).toContainEqual(expect.objectContaining({ field: 'Gedrag', reason: 'behavior: "hangend" is not one of standaard, haak, stapelbaar, tester' }));
  });
});
