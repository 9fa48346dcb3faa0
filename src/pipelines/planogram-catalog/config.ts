import { z } from 'zod';
import { csvOptionsSchema } from '../../core/csv-source.js';

/** Settings of a `planogram-catalog` pipeline entry. */
export const planogramCatalogConfigSchema = z
  .object({
    source: z
      .object({
        /** Products CSV. @example "./inbox/products.csv" */
        products: z.string().min(1).optional().describe('products CSV'),
        /** Accessories CSV. @example "./inbox/accessories.csv" */
        accessories: z.string().min(1).optional().describe('accessories CSV'),
        /** Materials CSV. @example "./inbox/materials.csv" */
        materials: z.string().min(1).optional().describe('materials CSV'),
        /** Folder of the image files items name; absent = images are not uploaded. @example "./inbox/images" */
        images: z.string().min(1).optional().describe('folder of pack shots'),
      })
      .strict()
      .refine((s) => s.products || s.accessories || s.materials, { message: 'expected at least one of products, accessories, materials' }),
    /**
     * Mapping file(s) in `mappings/`: one file with a section per kind, or one file per kind.
     * @example { products: ./mappings/products.yaml, accessories: ./mappings/accessories.yaml }
     */
    mapping: z
      .union([
        z.string().min(1),
        z.object({ products: z.string().min(1).optional(), accessories: z.string().min(1).optional(), materials: z.string().min(1).optional() }).strict(),
      ])
      .describe('mapping file or one per kind'),
    /** CSV settings for every catalog (a mapping section's own `csv` wins). */
    csv: csvOptionsSchema.partial().prefault({}),
    /** Delete remote items absent from the catalog (only kinds whose catalog is configured). @default false */
    prune: z.boolean().default(false).describe('delete remote items absent from the catalog'),
    /** Largest share of a kind's remote items one run may delete without `--force`. @default 0.1 */
    prune_max_share: z.number().min(0).max(1).default(0.1).describe('largest share pruned without --force'),
  })
  .strict();

export type PlanogramCatalogConfig = z.output<typeof planogramCatalogConfigSchema>;
