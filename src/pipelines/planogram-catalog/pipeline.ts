/**
 * `planogram-catalog`: a retailer's CSV catalogs (products, accessories, materials) and pack shots, kept in step
 * with PlanogramBuilder. Plan reads both sides and decides; apply makes exactly the calls the plan lists.
 */
import { definePipeline } from '../define-pipeline.js';
import { applyCatalog } from './apply.js';
import { loadSources } from './catalog-rows.js';
import { planogramCatalogConfigSchema } from './config.js';
import { planCatalog } from './plan.js';
import type { CatalogPlanState } from './plan-state.js';

export const planogramCatalog = definePipeline<typeof planogramCatalogConfigSchema, CatalogPlanState, 'planogram-catalog', 'planogrambuilder'>({
  type: 'planogram-catalog',
  description: 'CSV catalogs of products, accessories and materials (and their images) into PlanogramBuilder',
  upstreams: ['planogrambuilder'],
  config: planogramCatalogConfigSchema,
  plan: planCatalog,
  apply: applyCatalog,
  // Reads and validates every mapping file a configured catalog uses, as a run's plan does first.
  checkSettings: async (settings) => void (await loadSources(settings)),
});
