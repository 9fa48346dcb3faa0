/**
 * Demo step for `planogram-catalog`: a generated example catalog (220 products with pack shots, accessories,
 * materials and a few deliberately bad rows) imported into the PlanogramBuilder sandbox, then a second, idle run.
 */
import { join, relative } from 'node:path';
import type { DemoStep } from './demo-env.js';
import { writeExampleCatalog } from './planogram-catalog-data.js';

export const planogramCatalogDemo: DemoStep = async (env) => {
  const sandbox = env.sandboxes.planogrambuilder!;
  const catalog = await writeExampleCatalog({ dir: join(env.dir, 'inbox', 'catalog'), products: 220, accessories: 12, materials: 6, badRows: true, imageShare: 0.9 });
  const lines: string[] = [`planogram-catalog (${relative(process.cwd(), catalog.products)} + accessories, materials, ${catalog.imageCount} images)`];
  await env.withApp(
    {
      upstreams: {
        planogrambuilder: { ...sandbox.credentials, tls: false, rate: { concurrency: 8, per_second: 500 } },
      },
      pipelines: [
        {
          name: 'demo-catalog',
          type: 'planogram-catalog',
          source: { products: catalog.products, accessories: catalog.accessories, materials: catalog.materials, images: catalog.images },
          mapping: { products: 'mappings/products.yaml', accessories: 'mappings/accessories.yaml', materials: 'mappings/materials.yaml' },
        },
      ],
    },
    async (app) => {
      const first = await app.runner.run('demo-catalog');
      const c = first.counts;
      lines.push(`  created ${c.created}, updated ${c.updated}, unchanged ${c.unchanged}, rejected ${c.rejected}, failed ${c.failed} → ${first.outcome}`);
      for (const r of first.rejections ?? []) lines.push(`  rejected ${relative(process.cwd(), r.source ?? '')} line ${r.line ?? '?'}${r.field ? ` (${r.field})` : ''}: ${r.reason}`);
      if (first.error) lines.push(`  error: ${first.error.message}`);
      const n = await env.sandboxCall('planogramCounts');
      lines.push(`  in PlanogramBuilder now: ${n.products} products, ${n.accessories} accessories, ${n.materials} materials, ${n.images} images, ${n.stale} stale`);
      await env.sandboxCall('planogramResetCalls');
      const second = await app.runner.run('demo-catalog');
      lines.push(`  second run: ${second.counts.unchanged} unchanged, ${await env.sandboxCall('planogramMutatingCalls')} mutating calls → ${second.outcome}`);
    },
  );
  return lines;
};
