import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { openApp, parseConfig } from '../../src/registries.js';
import { tinyPng, writeExampleCatalog } from '../../demo/planogram-catalog-data.js';
import type { ItemKind } from '../../src/upstreams/planogrambuilder/wire.js';
import { type PlanogramBuilderSandbox, startPlanogramBuilderSandbox } from '../../sandbox/planogrambuilder/server.js';
import { createServerDatabase, hasPostgres, waitForSessionsToEnd, withApplicationName } from '../helpers/database.js';
import { catalogPipeline, sandboxUpstreamConfig } from './plano-fixtures.js';

// A killed process leaves PGlite's files to one owner at a time; the real server is what replicas share anyway.
describe.skipIf(!hasPostgres)('planogram-catalog killed with SIGKILL mid-run', () => {
  let sandbox: PlanogramBuilderSandbox;
  let cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanup.reverse()) await c();
    cleanup = [];
    await sandbox?.close();
  });

  /** A sandbox, a server database and a 60-product catalog, with the config a run of it uses (concurrency as given). */
  async function world(prefix: string, concurrency: number) {
    sandbox = await startPlanogramBuilderSandbox();
    const dir = await mkdtemp(join(tmpdir(), prefix));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const server = await createServerDatabase();
    cleanup.push(server.drop);
    const catalog = await writeExampleCatalog({ dir, products: 60, accessories: 4, materials: 2 });
    const raw = {
      log: { level: 'silent' },
      database: { url: server.config.url },
      upstreams: { planogrambuilder: sandboxUpstreamConfig(sandbox, { rate: { concurrency, per_second: 10_000 } }) },
      pipelines: [catalogPipeline(dir)],
    };
    return { catalog, raw };
  }

  it('converges on the re-run: every item once, every image uploaded, nothing stale, then idle', async () => {
    const { catalog, raw } = await world('plano-kill-', 2);
    const killedRun = { ...raw, database: { url: withApplicationName(raw.database.url, 'koppel-killed-run') } };
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'fixtures/run-catalog.ts'), JSON.stringify(killedRun)], { stdio: 'inherit' });
    let creates = 0;
    // Killed in the middle of the creates: images are uploaded, some items exist, their checkpoints may not.
    const stop = sandbox.onCall((m) => {
      if (m === 'CreateProduct' && ++creates === 25) child.kill('SIGKILL');
    });
    const [, signal] = await once(child, 'exit');
    stop();
    expect(signal).toBe('SIGKILL');
    expect(sandbox.items('product').length).toBeLessThan(60);
    // Its session holds the pipeline's lock until the server notices it is gone: a re-run before that is skipped.
    await waitForSessionsToEnd(raw.database.url, 'koppel-killed-run');

    const app = await openApp(parseConfig(stringify(raw), {}));
    cleanup.push(() => app.close());
    const rerun = await app.runner.run('catalog');
    expect(rerun.counts.failed).toBe(0);
    expect(sandbox.items('product')).toHaveLength(60);
    expect(new Set(sandbox.items('product').map((p) => p.reference.toLowerCase())).size).toBe(60);
    expect(sandbox.files()).toHaveLength(catalog.imageCount);
    expect(sandbox.staleItems()).toEqual([]);
    sandbox.resetCalls();
    await app.runner.run('catalog');
    expect(sandbox.mutatingCalls()).toBe(0);
  });
  it('a re-run after a kill mid-uploads sends only the images not recorded yet (and a changed one), refreshing each user once', async () => {
    const { catalog, raw } = await world('plano-kill-img-', 1);
    const app = await openApp(parseConfig(stringify(raw), {}));
    cleanup.push(() => app.close());
    expect((await app.runner.run('catalog')).counts.failed).toBe(0);

    // Every pack shot gets new content; every item stays as it is, so each item using an image needs one Refresh.
    const names = (await readdir(catalog.images)).sort();
    expect(names.length).toBeGreaterThanOrEqual(10);
    for (const [i, name] of names.entries()) await writeFile(join(catalog.images, name), tinyPng(i % 250, 40, 80));
    const sha = async (name: string) => createHash('sha256').update(await readFile(join(catalog.images, name))).digest('hex');
    const users = (['product', 'accessory', 'material'] as ItemKind[]).flatMap((kind) =>
      sandbox.items(kind).filter((item) => ('image1' in item ? item.image1 !== '' : item.images.length > 0)).map((item) => `${kind}:${item.reference}`),
    );
    expect(users.length).toBeGreaterThan(0);

    sandbox.resetCalls();
    // Its sessions named, to wait below for the statements it had sent when killed.
    const killedRun = { ...raw, database: { url: withApplicationName(raw.database.url, 'koppel-killed-run') } };
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'fixtures/run-catalog.ts'), JSON.stringify(killedRun)], { stdio: 'inherit' });
    let uploads = 0;
    // Killed while uploading: some images are on the service, no item has been refreshed yet.
    const stop = sandbox.onCall((m) => {
      if (m === 'UploadFile' && ++uploads === 6) child.kill('SIGKILL');
    });
    const [, signal] = await once(child, 'exit');
    stop();
    expect(signal).toBe('SIGKILL');
    const killed = sandbox.calls();
    expect(killed.RefreshProduct + killed.RefreshAccessory + killed.RefreshMaterial).toBe(0);

    // The record of an upload the kill interrupted may still be on its way: the server commits a statement the
    // killed process had sent. Read only once its sessions are gone, or the re-run sees a record this read missed.
    await waitForSessionsToEnd(raw.database.url, 'koppel-killed-run');
    // What koppel recorded as on the service: same name and hash as the local file, its users not yet refreshed.
    const rows = await app.db.kysely.selectFrom('item_state').select(['item_key', 'content_hash', 'data']).where('pipeline', '=', 'catalog').where('item_key', 'like', 'file:%').execute();
    const recorded: string[] = [];
    for (const name of names) {
      const row = rows.find((r) => r.item_key === `file:${name.toLowerCase()}`);
      if (row && row.content_hash === (await sha(name)) && (row.data as { unsettled?: boolean } | null)?.unsettled === true) recorded.push(name);
    }
    // Two upload workers: every upload but the last two that reached the service has its record.
    expect(recorded.length).toBeGreaterThanOrEqual(3);
    for (const name of recorded) expect(sandbox.fileData(name)?.equals(await readFile(join(catalog.images, name)))).toBe(true);
    // Same name, other bytes after the kill: this one must be sent again.
    const changed = recorded[0]!;
    await writeFile(join(catalog.images, changed), tinyPng(251, 1, 2));

    sandbox.resetCalls();
    const rerun = await app.runner.run('catalog');
    expect(rerun.counts.failed).toBe(0);
    expect(rerun.plan?.summary).toMatchObject({ upload: names.length - recorded.length + 1, create: 0, update: 0, refresh: users.length });
    const calls = sandbox.calls();
    expect(calls.UploadFile).toBe(names.length - recorded.length + 1);
    // Each item using an image regenerated once over both runs (the killed run refreshed none), nothing stale.
    expect(calls.RefreshProduct + calls.RefreshAccessory + calls.RefreshMaterial).toBe(users.length);
    expect(sandbox.staleItems()).toEqual([]);
    for (const name of names) expect(sandbox.fileData(name)?.equals(await readFile(join(catalog.images, name)))).toBe(true);

    sandbox.resetCalls();
    await app.runner.run('catalog');
    expect(sandbox.mutatingCalls()).toBe(0);
  });
});
