/**
 * Demo step for `planogram-catalog`: a PlanogramBuilder sandbox, a generated example catalog (220 products with
 * pack shots, accessories, materials and a few deliberately bad rows), one import and a second, idle run.
 */
import { join, relative } from 'node:path';
import { stringify } from 'yaml';
import { parseConfig } from '../config/load-config.js';
import { openApp } from '../core/app.js';
import { startPlanogramBuilderSandbox } from '../upstreams/planogrambuilder/sandbox.js';
import { writeExampleCatalog } from './planogram-catalog-data.js';

export interface DemoStepOptions {
  /** Scratch folder for the catalog and the embedded database. */
  dir: string;
  /** Where the summary goes (a line at a time). */
  print(line: string): void;
  /** Database block to use; default an embedded PGlite in `dir`. */
  database?: Record<string, unknown>;
}

export async function planogramCatalogDemo(options: DemoStepOptions): Promise<void> {
  const { dir, print } = options;
  const sandbox = await startPlanogramBuilderSandbox();
  try {
    const catalog = await writeExampleCatalog({ dir, products: 220, accessories: 12, materials: 6, badRows: true, imageShare: 0.9 });
    const raw = {
      log: { level: 'error' },
      database: options.database ?? { url: '', pglite_dir: join(dir, 'pglite') },
      upstreams: {
        planogrambuilder: { endpoint: sandbox.endpoint, tls: false, account_id: 'demo-account', username: 'admin', password: '${PLANO_PASSWORD}', rate: { concurrency: 8, per_second: 500 } },
      },
      pipelines: [
        {
          name: 'demo-catalog',
          type: 'planogram-catalog',
          source: { products: catalog.products, accessories: catalog.accessories, materials: catalog.materials, images: catalog.images },
          mapping: { products: 'mappings/products.yaml', accessories: 'mappings/accessories.yaml', materials: 'mappings/materials.yaml' },
        },
      ],
    };
    const config = parseConfig(stringify(raw), { PLANO_PASSWORD: String(sandbox.credentials.password) });
    const app = await openApp(config);
    try {
      print(`planogram-catalog: importing ${relative(process.cwd(), catalog.products)} (+ accessories, materials, ${catalog.imageCount} images) into the sandbox at ${sandbox.endpoint}`);
      const first = await app.runner.run('demo-catalog');
      print(`  first run:  ${first.outcome}; ${JSON.stringify(first.counts)}; plan ${JSON.stringify(first.plan?.summary)}`);
      for (const r of first.rejections ?? []) print(`    rejected ${relative(process.cwd(), r.source ?? '')}:${r.line} [${r.field ?? '-'}] ${r.reason}`);
      print(`  remote now: ${sandbox.items('product').length} products, ${sandbox.items('accessory').length} accessories, ${sandbox.items('material').length} materials, ${sandbox.files().length} files, ${sandbox.staleItems().length} stale`);
      sandbox.resetCalls();
      const second = await app.runner.run('demo-catalog');
      print(`  second run: ${second.outcome}; ${second.counts.unchanged} unchanged, ${sandbox.mutatingCalls()} mutating calls`);
    } finally {
      await app.close();
    }
  } finally {
    await sandbox.close();
  }
}
