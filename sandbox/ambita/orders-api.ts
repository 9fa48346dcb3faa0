/**
 * Request checks of the sandbox's order endpoints, written from the vendor pages on their own (not shared with
 * the client's schemas, so a misreading in one is not silently repeated in the other).
 */
import type { SandboxProduct } from './catalog.js';

export type Checked<T> = { ok: true; value: T } | { ok: false; message: string };

export interface OrderRequest {
  kind: 'cadastre' | 'share' | 'map';
  products: SandboxProduct[];
  orderData: Record<string, unknown>;
  reference: string | null;
  technicalReference: string | null;
}

const KIND_INPUT = { cadastre: 'CADASTRE', share: 'SHARE', map: 'MAP' } as const;

export function checkOrderRequest(kind: string, body: unknown, catalog: ReadonlyMap<string, SandboxProduct>): Checked<OrderRequest> {
  if (kind !== 'cadastre' && kind !== 'share' && kind !== 'map') return { ok: false, message: `unknown order type ${kind}` };
  if (!body || typeof body !== 'object') return { ok: false, message: 'body must be a JSON object' };
  const b = body as Record<string, unknown>;
  if (!Array.isArray(b.products) || b.products.length === 0) return { ok: false, message: 'products must be a non-empty list' };
  const products: SandboxProduct[] = [];
  for (const entry of b.products as unknown[]) {
    const code = entry && typeof entry === 'object' ? (entry as Record<string, unknown>).code : undefined;
    const product = typeof code === 'string' ? catalog.get(code) : undefined;
    if (!product) return { ok: false, message: `unknown product ${String(code)}` };
    if (product.status !== 'ACTIVE') return { ok: false, message: `product ${product.code} is not active` };
    if (product.inputType !== KIND_INPUT[kind]) return { ok: false, message: `product ${product.code} takes ${product.inputType}, not ${kind}` };
    products.push(product);
  }
  const data = b.orderData;
  if (!data || typeof data !== 'object') return { ok: false, message: 'orderData is required' };
  const orderData = data as Record<string, unknown>;
  const problem = kind === 'cadastre' ? checkCadastre(orderData, products) : kind === 'share' ? checkShare(orderData) : checkMap(orderData);
  if (problem) return { ok: false, message: problem };
  for (const key of ['reference', 'technicalReference'] as const) {
    if (b[key] !== undefined && b[key] !== null && typeof b[key] !== 'string') return { ok: false, message: `${key} must be a string` };
  }
  return {
    ok: true,
    value: { kind, products, orderData, reference: (b.reference as string | undefined) ?? null, technicalReference: (b.technicalReference as string | undefined) ?? null },
  };
}

function checkCadastre(d: Record<string, unknown>, products: SandboxProduct[]): string | undefined {
  if (typeof d.address !== 'string' || !/^.+, \d{4} .+$/.test(d.address)) return 'orderData.address must be "{street}, {postcode} {place}"';
  if (typeof d.cadastre !== 'string' || !/^\d{4}-\d+-\d+-\d+-\d+$/.test(d.cadastre)) return 'orderData.cadastre must be knr-gnr-bnr-fnr-snr';
  const knr = d.cadastre.slice(0, 4);
  const foreign = products.find((p) => p.municipality !== knr);
  return foreign ? `product ${foreign.code} is not offered in municipality ${knr}` : undefined;
}

function checkShare(d: Record<string, unknown>): string | undefined {
  if (typeof d.organizationNumber !== 'string' || !/^\d{9}$/.test(d.organizationNumber)) return 'orderData.organizationNumber must be 9 digits';
  if (typeof d.shareNumber !== 'string' || d.shareNumber === '') return 'orderData.shareNumber is required';
  return undefined;
}

function checkMap(d: Record<string, unknown>): string | undefined {
  if (d.spatialReference !== '25833' && d.spatialReference !== '25832') return 'orderData.spatialReference must be "25833" or "25832"';
  const g = d.geometry as { type?: unknown; coordinates?: unknown } | undefined;
  const ring = Array.isArray(g?.coordinates) ? (g.coordinates as unknown[])[0] : undefined;
  if (g?.type !== 'Polygon' || !Array.isArray(ring) || ring.length < 4) return 'orderData.geometry must be a GeoJSON Polygon';
  if (JSON.stringify(ring[0]) !== JSON.stringify(ring[ring.length - 1])) return 'orderData.geometry must be closed';
  return undefined;
}
