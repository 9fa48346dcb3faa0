import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseConfig } from '../../src/config/load-config.js';
import { openApp } from '../../src/core/app.js';
import { writeExampleCatalog } from '../../src/demo/planogram-catalog-data.js';
import { type PlanogramBuilderSandbox, startPlanogramBuilderSandbox } from '../../src/upstreams/planogrambuilder/sandbox.js';
import { createServerDatabase, hasPostgres } from '../helpers/database.js';
import { sandboxUpstreamConfig } from './plano-fixtures.js';

// A killed process leaves PGlite's files to one owner at a time; the real server is what replicas share anyway.
describe.skipIf(!hasPostgres)('planogram-catalog killed with SIGKILL mid-run', () => {
  let sandbox: PlanogramBuilderSandbox;
  let cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanup.reverse()) await c();
    cleanup = [];
    await sandbox?.close();
  });

  it('converges on the re-run: every item once, every image uploaded, nothing stale, then idle', async () => {
    sandbox = await startPlanogramBuilderSandbox();
    const dir = await mkdtemp(join(tmpdir(), 'plano-kill-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const server = await createServerDatabase();
    cleanup.push(server.drop);
    const catalog = await writeExampleCatalog({ dir, products: 60, accessories: 4, materials: 2 });
    const raw = {
      log: { level: 'silent' },
      database: { url: server.config.url },
      upstreams: { planogrambuilder: sandboxUpstreamConfig(sandbox, { rate: { concurrency: 2, per_second: 10_000 } }) },
      pipelines: [{
        name: 'catalog', type: 'planogram-catalog',
        source: { products: catalog.products, accessories: catalog.accessories, materials: catalog.materials, images: catalog.images },
        mapping: { products: 'mappings/products.yaml', accessories: 'mappings/accessories.yaml', materials: 'mappings/materials.yaml' },
      }],
    };
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'fixtures/run-catalog.ts'), JSON.stringify(raw)], { stdio: 'inherit' });
    let creates = 0;
    // Killed in the middle of the creates: images are uploaded, some items exist, their checkpoints may not.
    const stop = sandbox.onCall((m) => {
      if (m === 'CreateProduct' && ++creates === 25) child.kill('SIGKILL');
    });
    const [, signal] = await once(child, 'exit');
    stop();
    expect(signal).toBe('SIGKILL');
    expect(sandbox.items('product').length).toBeLessThan(60);

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
});
