/**
 * How the sandbox writes an order collection on the wire. Ambita's own examples disagree on some shapes, so
 * the sandbox speaks both dialects (a client must read either): "modern" as in the create-order example
 * (`status: {code, name}`, ISO dates with `+0100`), "legacy" as in older pages (plain strings, `dd.mm.yyyy`
 * dates, `PRODUCT_UTEN_KATEGORI`). In "mixed" mode odd order ids get the legacy dialect.
 */
import type { SandboxAsset, SandboxLine, SandboxOrder } from './state.js';

export type WireDialect = 'modern' | 'legacy' | 'mixed';

const STATUS_NAMES: Record<string, string> = {
  NEW: 'New order. Has not been processed yet.',
  PROGRESS: 'The order is being processed.',
  FINISHED: 'The order is finished.',
  CANCELLED: 'The order is cancelled.',
  REFUNDED: 'The order is refunded.',
};

export function renderOrder(order: SandboxOrder, origin: string, dialect: WireDialect): Record<string, unknown> {
  const legacy = dialect === 'legacy' || (dialect === 'mixed' && order.id % 2 === 1);
  const date = (ms: number) => (legacy ? legacyDate(ms) : isoDate(ms));
  const lines = order.orders.flatMap((o) => o.lines);
  const priceNet = lines.filter((l) => l.packageLineId === null).reduce((sum, l) => sum + l.product.priceNet, 0);
  const priceVat = lines.filter((l) => l.packageLineId === null).reduce((sum, l) => sum + l.product.priceVat, 0);
  return {
    id: order.id,
    status: order.status,
    priceNet,
    priceVat,
    dateOrdered: date(order.dateOrdered),
    dateStatus: date(order.dateStatus),
    reference: order.reference,
    orders: order.orders.map((supplier) => ({
      id: supplier.id,
      supplierName: supplier.supplierName,
      user: supplier.user,
      technicalReference: supplier.technicalReference,
      assets: supplier.assets.map((a) => renderAsset(a, origin, legacy)),
      orderLines: supplier.lines.map((line) => renderLine(line, origin, legacy, date)),
    })),
  };
}

function renderLine(line: SandboxLine, origin: string, legacy: boolean, date: (ms: number) => string): Record<string, unknown> {
  const type = line.product.type === 'PACKAGE' ? { code: '1', name: 'PACKAGE' } : { code: '0', name: 'NORMAL' };
  return {
    id: line.id,
    status: legacy ? line.status : { code: line.status, name: STATUS_NAMES[line.status] },
    product: line.product.code,
    productName: line.product.name,
    productType: legacy ? type.name : type,
    mediaType: 'Datafil',
    delivery: 'Elektronisk',
    priceNet: line.packageLineId === null ? line.product.priceNet : 0,
    priceVat: line.packageLineId === null ? line.product.priceVat : 0,
    dateStatus: date(line.dateStatus),
    ...(line.packageLineId === null ? {} : { packageLineId: line.packageLineId }),
    assets: line.assets.map((a) => renderAsset(a, origin, legacy)),
  };
}

function renderAsset(asset: SandboxAsset, origin: string, legacy: boolean): Record<string, unknown> {
  const category = legacy ? asset.productCategory.replace(/^PRODUKT_UTEN_KATEGORI$/, 'PRODUCT_UTEN_KATEGORI') : asset.productCategory;
  return {
    id: asset.id,
    name: asset.name,
    filename: asset.filename,
    downloadUrl: `${origin}/shopping/v2/assets/${asset.id}`,
    assetStatus: asset.assetStatus,
    productCategory: category,
  };
}

/** `2021-01-28T09:10:15+0100`, in Norwegian time (the offset of that instant). */
function isoDate(ms: number): string {
  const { parts, offsetMin } = osloParts(ms);
  const sign = offsetMin < 0 ? '-' : '+';
  const abs = Math.abs(offsetMin);
  const off = `${sign}${pad(Math.floor(abs / 60))}${pad(abs % 60)}`;
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}${off}`;
}

/** `21.02.2021 13:26:52`, Norwegian local time without an offset. */
function legacyDate(ms: number): string {
  const { parts } = osloParts(ms);
  return `${parts.day}.${parts.month}.${parts.year} ${parts.hour}:${parts.minute}:${parts.second}`;
}

// Made once: building a DateTimeFormat per date was most of the sandbox's CPU per order read.
const osloFormat = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/Oslo',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
  timeZoneName: 'longOffset',
});

function osloParts(ms: number): { parts: Record<string, string>; offsetMin: number } {
  const parts = Object.fromEntries(osloFormat.formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  const m = /GMT([+-])(\d{2}):(\d{2})/.exec(parts.timeZoneName ?? '');
  const offsetMin = m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
  return { parts, offsetMin };
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}
