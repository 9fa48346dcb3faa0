/**
 * Ambita's shapes → koppel's rows: the assets of an order collection flattened (order level and order-line
 * level alike), each asset's place on disk, the catalog rows, and the payload of an order request.
 */
import { extname } from 'node:path';
import { z } from 'zod';
import { contentHash } from '../../core/content-hash.js';
import { sanitizeFilename } from '../../core/file-store.js';
import {
  type AmbitaOrderCollection,
  type AmbitaProduct,
  cadastreOrderDataSchema,
  mapOrderDataSchema,
  ORDER_KINDS,
  shareOrderDataSchema,
} from '../../upstreams/ambita/wire.js';

/** One asset as found on an order, with where it hangs. */
export interface FoundAsset {
  assetId: string;
  supplierOrderId: number;
  /** null = on the supplier order itself (order level). */
  orderLineId: number | null;
  name: string | null;
  filename: string | null;
  downloadUrl: string;
  assetStatus: string;
  productCategory: string | null;
}

/** Every asset of the collection, order level first, then its lines; an id seen twice counts once. */
export function flattenAssets(collection: AmbitaOrderCollection): FoundAsset[] {
  const seen = new Map<string, FoundAsset>();
  for (const order of collection.orders) {
    const levels = [
      { lineId: null as number | null, assets: order.assets },
      ...order.orderLines.map((l) => ({ lineId: l.id as number | null, assets: l.assets })),
    ];
    for (const { lineId, assets } of levels) {
      for (const a of assets) {
        if (seen.has(a.id)) continue;
        seen.set(a.id, {
          assetId: a.id,
          supplierOrderId: order.id,
          orderLineId: lineId,
          name: a.name,
          filename: a.filename,
          downloadUrl: a.downloadUrl,
          assetStatus: a.assetStatus.toUpperCase(),
          productCategory: a.productCategory,
        });
      }
    }
  }
  return [...seen.values()];
}

/**
 * Where an asset lives, relative to `storage.root`: `<folder>/<order id>/<asset id>_<filename>`. The asset id
 * in the name makes it unique (two files named "Reguleringsplan.pdf" cannot overwrite each other) and stable
 * (a re-download after a crash lands on the same name). Ambita's descriptive `filename` is preferred; when it
 * has no extension, the uploaded `name`'s extension is borrowed.
 */
export function assetRelativePath(folder: string, orderId: number, asset: Pick<FoundAsset, 'assetId' | 'name' | 'filename'>): string {
  let file = asset.filename ?? asset.name ?? 'file';
  const ext = extname(asset.name ?? '');
  if (extname(file) === '' && ext) file += ext;
  // The vendor's part is sanitised on its own first: sanitising the joined string would keep only what follows
  // the last "/" of the filename, dropping the asset id, so "a/evil.pdf" and "b/evil.pdf" would overwrite each other.
  const name = sanitizeFilename(`${sanitizeFilename(asset.assetId, 'asset')}_${sanitizeFilename(file)}`);
  return [sanitizeFilename(folder, 'ambita'), String(orderId), name].join('/');
}

/** The catalog row of one product, and the hash that tells whether it changed. */
export function productRow(municipality: string, p: AmbitaProduct) {
  const row = {
    municipality,
    code: p.code,
    name: p.name,
    description: p.description,
    input_type: p.inputType?.code ?? null,
    product_type: p.type?.code ?? null,
    delivery: p.delivery?.code ?? null,
    status: p.status?.code ?? null,
    price_net: p.price?.salesPriceNet ?? null,
    price_vat: p.price?.salesPriceVat ?? null,
    children: p.children?.map((c) => ({ code: c.code, name: c.name })) ?? null,
  };
  return { ...row, content_hash: contentHash(row) };
}

/**
 * What `koppel order ambita …` (or an application inserting a row) puts in `order_requests.request`.
 * `kind` may be left out when the products are in a mirrored catalog (their input type tells it).
 */
export const ambitaOrderRequestSchema = z
  .object({
    kind: z.enum(ORDER_KINDS).optional(),
    products: z.array(z.string().min(1)).min(1),
    orderData: z.union([cadastreOrderDataSchema, shareOrderDataSchema, mapOrderDataSchema]),
    /** Assignment key, used by Ambita for billing. */
    reference: z.string().min(1).max(200).optional(),
  })
  .strict();

export type AmbitaOrderRequest = z.output<typeof ambitaOrderRequestSchema>;
