/**
 * Prune never deletes an item because its row could not be read. A products file of 20 rows is imported, then
 * one row is made unreadable (a stray quote, too many columns, a NUL byte). With `prune: true` and the default
 * 10 % share, the old code deleted that row's item (1 of 20); now the kind is not pruned in that run, the run
 * and `koppel status` say why, and a later run that takes the file from its snapshot does the same.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collectStatus } from '../../src/cli/commands/status.js';
import { formatRunResult } from '../../src/cli/print-result.js';
import { writeExampleCatalog } from '../../demo/planogram-catalog-data.js';
import { type PlanogramBuilderSandbox, startPlanogramBuilderSandbox } from '../../sandbox/planogrambuilder/server.js';
import { type TestApp, createTestApp } from '../helpers/app.js';
import { testDatabaseKinds } from '../helpers/database.js';
import { catalogApp, catalogPipeline, sandboxUpstreamConfig } from './plano-fixtures.js';
import { appendFile } from 'node:fs/promises';

const NOT_READ = 'the catalog file and the remote catalog are as that run left them: every row unchanged, the file is not read again';
const NOT_PRUNED = /^products not pruned: 1 record of .*products\.csv could not be read \(first at line 11\), and an item whose row was not read would look deleted/;

/** The 20-row products file, edited line by line (Windows-1252, CRLF, as the example export is). */
async function editProducts(file: string, edit: (line: string) => string): Promise<void> {
  const text = iconv.decode(await readFile(file), 'win1252');
  await writeFile(file, iconv.encode(text.split('\r\n').map(edit).join('\r\n'), 'win1252'));
}

describe('planogram-catalog: prune never deletes an item whose row was not read', () => {
  let sandbox: PlanogramBuilderSandbox;
  let app: TestApp;
  let products: string;
  const references = () => sandbox.items('product').map((p) => p.reference).sort();

  beforeEach(async () => {
    sandbox = await startPlanogramBuilderSandbox();
    app = await createTestApp(testDatabaseKinds[0]!, (dir) => ({
      upstreams: { planogrambuilder: sandboxUpstreamConfig(sandbox) },
      pipelines: [catalogPipeline(dir, { source: { products: join(dir, 'products.csv') }, prune: true })],
    }));
    ({ products } = await writeExampleCatalog({ dir: app.dir, products: 20, imageShare: 0 }));
    const first = await app.runner.run('catalog');
    expect(first.counts).toMatchObject({ created: 20, rejected: 0 });
  });
  afterEach(async () => {
    await app?.dispose();
    await sandbox.close();
  });

  const unreadable: Record<string, (line: string) => string> = {
    'an unclosed quote': (line) => line.replace(/^P000010;/, 'P000010;"'),
    'too many columns': (line) => (line.startsWith('P000010;') ? `${line};extra` : line),
    'a NUL byte': (line) => line.replace(/^P000010;/, 'P000010;\u0000'),
  };
  for (const [what, edit] of Object.entries(unreadable)) {
    it(`a row with ${what} on line 11 deletes nothing, and the run and status say why`, async () => {
      const before = references();
      const clean = await readFile(products);
      await editProducts(products, edit);
      sandbox.resetCalls();
      const run = await app.runner.run('catalog');
      expect(run.outcome).toBe('rejected');
      expect(run.counts).toMatchObject({ seen: 20, unchanged: 19, rejected: 1, failed: 0 });
      expect(sandbox.calls().DeleteProduct ?? 0).toBe(0);
      expect(references()).toEqual(before);
      expect(run.warnings).toEqual([{ source: products, line: 11, reason: expect.stringMatching(NOT_PRUNED) }]);
      expect(formatRunResult(run)).toMatch(/\n {2}warning: products not pruned: 1 record/);
      const [status] = await collectStatus(app);
      expect((status!.runs as { id: number; warnings: number }[])[0]).toMatchObject({ id: run.runId, warnings: 1 });
      expect(status!.rejections).toContainEqual(expect.objectContaining({ severity: 'warning', source: products, line: 11, reason: expect.stringMatching(NOT_PRUNED) }));

      // The same file again, taken from its snapshot (not read): still not pruned, and still said.
      const again = await app.runner.run('catalog');
      expect(app.logs.records.filter((r) => r.runId === again.runId && r.msg === NOT_READ).map((r) => r.kind)).toEqual(['product']);
      expect(again.warnings).toEqual([{ source: products, line: 11, reason: expect.stringMatching(NOT_PRUNED) }]);
      expect(again.counts).toMatchObject({ seen: 20, unchanged: 19, rejected: 1 });
      expect(sandbox.calls().DeleteProduct ?? 0).toBe(0);
      expect(references()).toEqual(before);

      // Once the row reads again, pruning does its work: a row taken out of the file is deleted.
      await writeFile(products, clean);
      await editProducts(products, (line) => (line.startsWith('P000020;') ? '' : line));
      const fixed = await app.runner.run('catalog');
      expect(fixed.warnings).toEqual([]);
      expect(fixed.counts).toMatchObject({ rejected: 0, failed: 0 });
      expect(references()).toEqual(before.filter((r) => r !== 'P000020'));
    });
  }

  it('a row rejected for a bad value keeps its item: its reference was read', async () => {
    await editProducts(products, (line) => line.replace(/^(P000005;(?:[^;]*;){6})[^;]*/, '$1twaalf'));
    const run = await app.runner.run('catalog');
    expect(run.counts).toMatchObject({ rejected: 1, failed: 0 });
    expect(run.warnings).toEqual([]);
    expect(sandbox.calls().DeleteProduct ?? 0).toBe(0);
    expect(references()).toContain('P000005');
  });
});

describe('planogram-catalog: a prune warning beside other kinds\' rejections', () => {
  let sandbox: PlanogramBuilderSandbox;
  let app: TestApp;
  afterEach(async () => {
    await app?.dispose();
    await sandbox?.close();
  });

  it('a later run takes every file from its snapshot, with the same rejections and the same warning', async () => {
    sandbox = await startPlanogramBuilderSandbox();
    let catalog;
    ({ app, catalog } = await catalogApp(testDatabaseKinds[0]!, sandbox, { prune: true }));
    await app.runner.run('catalog');
    await editProducts(catalog.products, (line) => line.replace(/^P000010;/, 'P000010;"'));
    // A rejected row in a kind read after the warning: its rejections are found again by their place in the run.
    await appendFile(catalog.accessories!, 'ACC-BAD,Kapot,zwevend,100,3.5,0.5,,#FFCC00,1.2,#000000,x,yes\n');
    const first = await app.runner.run('catalog');
    expect(first.warnings).toEqual([expect.objectContaining({ reason: expect.stringMatching(/^products not pruned/) })]);
    const second = await app.runner.run('catalog');
    expect(app.logs.records.filter((r) => r.runId === second.runId && r.msg === NOT_READ).map((r) => r.kind)).toEqual(['product', 'accessory', 'material']);
    expect(second.counts).toEqual(first.counts);
    expect(second.warnings).toEqual(first.warnings);
    const stored = (runId: number | null) =>
      app.db.kysely.selectFrom('rejections').select(['source', 'line', 'reason', 'severity']).where('run_id', '=', runId!).orderBy('severity').orderBy('source').orderBy('line').execute();
    expect(await stored(second.runId)).toEqual(await stored(first.runId));
    expect(sandbox.calls().DeleteProduct ?? 0).toBe(0);
  });
});
