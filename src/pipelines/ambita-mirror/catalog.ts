/**
 * The product catalog of each configured municipality, mirrored into `ambita_products`: new and changed
 * products written, products Ambita no longer lists removed. Rows are compared by content hash, so an
 * unchanged catalog writes nothing.
 */
import { type Kysely, sql } from 'kysely';
import type { DB } from '../../db/schema.js';
import type { AmbitaClient } from '../../upstreams/ambita/client.js';
import { productRow } from './mapping.js';

type ProductRow = ReturnType<typeof productRow>;

export interface CatalogPlan {
  upserts: ProductRow[];
  deletes: { municipality: string; code: string }[];
  unchanged: number;
}

export async function planCatalog(db: Kysely<DB>, client: AmbitaClient, municipalities: readonly string[], signal: AbortSignal): Promise<CatalogPlan> {
  const plan: CatalogPlan = { upserts: [], deletes: [], unchanged: 0 };
  for (const municipality of municipalities) {
    const products = await client.products(municipality, signal);
    const existing = await db.selectFrom('ambita_products').select(['code', 'content_hash']).where('municipality', '=', municipality).execute();
    const hashes = new Map(existing.map((r) => [r.code, r.content_hash]));
    const listed = new Set<string>();
    for (const p of products) {
      if (listed.has(p.code)) continue;
      listed.add(p.code);
      const row = productRow(municipality, p);
      if (hashes.get(p.code) === row.content_hash) plan.unchanged++;
      else plan.upserts.push(row);
    }
    for (const code of hashes.keys()) if (!listed.has(code)) plan.deletes.push({ municipality, code });
  }
  return plan;
}

export async function applyCatalog(db: Kysely<DB>, plan: CatalogPlan): Promise<void> {
  await db.transaction().execute(async (trx) => {
    for (let i = 0; i < plan.upserts.length; i += 500) {
      // children is a JSON array, written as jsonb explicitly (pg would send a JS array as a Postgres array).
      const chunk = plan.upserts.slice(i, i + 500).map((r) => ({ ...r, children: r.children === null ? null : sql<Record<string, unknown>>`${JSON.stringify(r.children)}::jsonb` }));
      await trx
        .insertInto('ambita_products')
        .values(chunk)
        .onConflict((oc) =>
          oc.columns(['municipality', 'code']).doUpdateSet((eb) => ({
            name: eb.ref('excluded.name'),
            description: eb.ref('excluded.description'),
            input_type: eb.ref('excluded.input_type'),
            product_type: eb.ref('excluded.product_type'),
            delivery: eb.ref('excluded.delivery'),
            status: eb.ref('excluded.status'),
            price_net: eb.ref('excluded.price_net'),
            price_vat: eb.ref('excluded.price_vat'),
            children: eb.ref('excluded.children'),
            content_hash: eb.ref('excluded.content_hash'),
            synced_at: eb.fn('now', []),
          })),
        )
        .execute();
    }
    for (const d of plan.deletes) {
      await trx.deleteFrom('ambita_products').where('municipality', '=', d.municipality).where('code', '=', d.code).execute();
    }
  });
}
