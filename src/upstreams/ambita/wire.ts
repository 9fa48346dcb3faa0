/**
 * Every path and field name of the KODE API in one module, so a correction from Ambita touches only this file.
 * The schemas are lenient where Ambita's own examples disagree (see `shared/upstreams/ambita-notes.md`):
 * `{code, name}` or a plain string, two date formats, ids as numbers or numeric strings, unknown categories.
 */
import { z } from 'zod';

export const AMBITA_PATHS = {
  token: '/authentication/v2/token',
  products: '/kode/v1/products',
  createOrder: (kind: OrderKind) => `/kode/v1/orders/${kind}`,
  prices: (kind: OrderKind) => `/kode/v1/prices/${kind}`,
  order: (orderId: number) => `/kode/v1/orders/${orderId}`,
  asset: (assetId: string) => `/shopping/v2/assets/${encodeURIComponent(assetId)}`,
} as const;

/** The three order endpoints; a product's `inputType.code` tells which one it takes. */
export const ORDER_KINDS = ['cadastre', 'share', 'map'] as const;
export type OrderKind = (typeof ORDER_KINDS)[number];

/** Product `inputType.code` → order endpoint. */
export const INPUT_TYPE_TO_KIND: Readonly<Record<string, OrderKind>> = { CADASTRE: 'cadastre', SHARE: 'share', MAP: 'map' };

/** Order statuses after which Ambita wants every file of the order deleted. */
export const REMOVED_ORDER_STATUSES: ReadonlySet<string> = new Set(['CANCELLED', 'REFUNDED']);

const id = z.union([z.number().int(), z.string().regex(/^\d+$/).transform(Number)]);
const money = z.union([z.number(), z.string().regex(/^-?\d+([.,]\d+)?$/).transform((s) => Number(s.replace(',', '.')))]).nullish();
const text = z.string().nullish().transform((v) => v ?? null);

/** `{code, name}` or a bare code string, always read as `{code, name}`. */
const codeName = z
  .union([z.object({ code: z.union([z.string(), z.number()]).transform(String), name: text }).loose(), z.string()])
  .transform((v) => (typeof v === 'string' ? { code: v, name: null } : { code: v.code, name: v.name }));

export type CodeName = z.output<typeof codeName>;

/** `2021-01-28T09:10:15+0100` or `21.02.2021 13:26:52` (Norwegian local time), read as an ISO instant. */
export function parseAmbitaDate(value: string | null | undefined): string | null {
  if (!value) return null;
  const local = /^(\d{2})\.(\d{2})\.(\d{4})[ T](\d{2}):(\d{2})(?::(\d{2}))?$/.exec(value.trim());
  if (local) {
    const [, d, m, y, hh, mm, ss] = local;
    const asUtc = Date.UTC(Number(y), Number(m) - 1, Number(d), Number(hh), Number(mm), Number(ss ?? 0));
    return new Date(asUtc - osloOffsetMs(asUtc)).toISOString();
  }
  // ISO with a "+0100" offset (no colon) is not accepted by every Date parser: add the colon.
  const iso = value.trim().replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

// Made once, at first use: building a DateTimeFormat costs far more than formatting with one (most of an order
// read's CPU), and the first one loads the time zone data (~0.1 s), which a process that reads no order skips.
let osloOffsetFormat: Intl.DateTimeFormat | undefined;

/** Europe/Oslo's UTC offset at (about) that instant, in ms: +1 h in winter, +2 h in summer. */
function osloOffsetMs(utcMs: number): number {
  osloOffsetFormat ??= new Intl.DateTimeFormat('en-US', { timeZone: 'Europe/Oslo', timeZoneName: 'longOffset' });
  // format, not formatToParts: the offset is the only "GMT±hh:mm" in its text, and no array of parts is built
  // (half the time per date).
  const match = /GMT([+-])(\d{2}):(\d{2})/.exec(osloOffsetFormat.format(utcMs));
  if (!match) return 3_600_000;
  return (match[1] === '-' ? -1 : 1) * (Number(match[2]) * 60 + Number(match[3])) * 60_000;
}

export const tokenResponseSchema = z
  .object({
    access_token: z.string().min(1),
    token_type: z.string().default('Bearer'),
    expires_in: z.union([z.number(), z.string().regex(/^\d+$/).transform(Number)]).default(3600),
    refresh_token: z.string().optional(),
    scope: z.union([z.array(z.string()), z.string().transform((s) => s.split(/\s+/).filter(Boolean))]).optional(),
  })
  .loose();

export type TokenResponse = z.output<typeof tokenResponseSchema>;

export const productSchema = z
  .object({
    code: z.string().min(1),
    name: text,
    description: text,
    delivery: codeName.nullish(),
    inputType: codeName.nullish(),
    price: z.object({ salesPriceNet: money, salesPriceVat: money }).loose().nullish(),
    status: codeName.nullish(),
    type: codeName.nullish(),
    children: z.array(z.object({ code: z.string(), name: text }).loose()).nullish(),
  })
  .loose();

export type AmbitaProduct = z.output<typeof productSchema>;
export const productListSchema = z.array(productSchema);

export const assetSchema = z
  .object({
    id: z.union([z.string().min(1), z.number().transform(String)]),
    name: text,
    filename: text,
    downloadUrl: z.string().min(1),
    /** `OK` or `DELETED`; anything else is kept as sent and treated as "not downloadable now". */
    assetStatus: z.string().default('OK'),
    /** Accepted as sent: Ambita's pages spell the default both PRODUKT_ and PRODUCT_UTEN_KATEGORI. */
    productCategory: text,
  })
  .loose();

export type AmbitaAsset = z.output<typeof assetSchema>;

const assets = z.array(assetSchema).nullish().transform((v) => v ?? []);

export const orderLineSchema = z
  .object({
    id: id,
    status: codeName.nullish(),
    product: text,
    productName: text,
    productType: codeName.nullish(),
    mediaType: text,
    delivery: text,
    priceNet: money,
    priceVat: money,
    dateStatus: text,
    packageLineId: id.nullish(),
    assets,
  })
  .loose();

export const supplierOrderSchema = z
  .object({
    id: id,
    supplierName: text,
    user: text,
    technicalReference: text,
    assets,
    orderLines: z.array(orderLineSchema).nullish().transform((v) => v ?? []),
  })
  .loose();

/** An order collection: what create-order answers and `GET /kode/v1/orders/{id}` returns. */
export const orderCollectionSchema = z
  .object({
    id: id,
    status: z.string().min(1),
    priceNet: money,
    priceVat: money,
    dateOrdered: text,
    dateStatus: text,
    reference: text,
    technicalReference: text,
    orders: z.array(supplierOrderSchema).nullish().transform((v) => v ?? []),
  })
  .loose();

export type AmbitaOrderCollection = z.output<typeof orderCollectionSchema>;

/** A push message: `orderCollectionId` (older documents: `orderId`); `eventType` bodies are distributor messages. */
export const pushMessageSchema = z
  .object({
    orderCollectionId: id.optional(),
    orderId: id.optional(),
    reference: text.optional(),
    status: z.string().optional(),
    technicalReference: text.optional(),
    eventType: z.unknown().optional(),
  })
  .loose();

/** Order bodies koppel sends (`orderData` depends on the endpoint). */
export const cadastreOrderDataSchema = z.object({
  /** `{street}, {postcode} {place}`. */
  address: z.string().min(1),
  /** All five parts `knr-gnr-bnr-fnr-snr`. */
  cadastre: z.string().regex(/^\d{4}-\d+-\d+-\d+-\d+$/, 'expected knr-gnr-bnr-fnr-snr, e.g. 9999-1-1-0-0'),
});
export const shareOrderDataSchema = z.object({ organizationNumber: z.string().regex(/^\d{9}$/), shareNumber: z.string().min(1) });
export const mapOrderDataSchema = z.object({
  geometry: z.object({ type: z.literal('Polygon'), coordinates: z.array(z.array(z.tuple([z.number(), z.number()])).min(4)).min(1) }),
  spatialReference: z.enum(['25833', '25832']),
});

export interface CreateOrderBody {
  orderData: Record<string, unknown>;
  products: { code: string; data?: Record<string, unknown> }[];
  reference?: string;
  technicalReference?: string;
  deliveryInformation?: Record<string, unknown>;
}
