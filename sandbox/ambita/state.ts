/**
 * The sandbox's orders in memory and their lifecycle: NEW → PROGRESS → FINISHED, new files after finishing
 * (UPDATED), assets turning DELETED, CANCELLED and REFUNDED. Each change returns the push status Ambita would
 * send; the HTTP layer (server.ts) delivers it. No timers: tests drive every step.
 */
import { createHash } from 'node:crypto';
import { assetContent, buildCatalog, contentType, SANDBOX_MUNICIPALITIES, type SandboxProduct } from './catalog.js';

export type PushStatus = 'NEW' | 'UPDATED' | 'FINISHED' | 'CANCELLED' | 'REFUNDED';
export type OrderStatus = 'NEW' | 'PROGRESS' | 'FINISHED' | 'CANCELLED' | 'REFUNDED';

export interface SandboxAsset {
  id: string;
  name: string;
  filename: string;
  productCategory: string;
  assetStatus: 'OK' | 'DELETED';
  content: Buffer;
  contentType: string;
}

export interface SandboxLine {
  id: number;
  product: SandboxProduct;
  status: OrderStatus;
  dateStatus: number;
  packageLineId: number | null;
  assets: SandboxAsset[];
}

export interface SandboxSupplierOrder {
  id: number;
  supplierName: string;
  user: string;
  technicalReference: string | null;
  assets: SandboxAsset[];
  lines: SandboxLine[];
}

export interface SandboxOrder {
  id: number;
  kind: string;
  status: OrderStatus;
  dateOrdered: number;
  dateStatus: number;
  reference: string | null;
  technicalReference: string | null;
  orderData: unknown;
  orders: SandboxSupplierOrder[];
}

/** Where a new asset goes: the supplier order itself, or one of its lines. */
export interface AddAssetInput {
  /** An order-line id; absent = on the (first) supplier order, i.e. order level. */
  lineId?: number | undefined;
  name?: string | undefined;
  filename?: string | undefined;
  productCategory?: string | undefined;
  content?: Buffer | string | undefined;
  ext?: string | undefined;
}

export class SandboxOrderBook {
  readonly catalog = buildCatalog();
  readonly orders = new Map<number, SandboxOrder>();
  readonly #assets = new Map<string, { asset: SandboxAsset; orderId: number }>();
  readonly #now: () => number;
  /** Order ids keep rising across sandbox restarts (seeded from the clock), as Ambita's never repeat. */
  #nextCollection: number;
  /** Seeds asset ids, so they differ between sandbox runs as the order ids do. */
  readonly #idSeed: number;
  #nextSupplierOrder = 2640649;
  #nextLine = 11603164;
  #assetCounter = 0;

  constructor(now: () => number, firstOrderId?: number) {
    this.#now = now;
    this.#nextCollection = firstOrderId ?? Math.floor(now() / 1000);
    this.#idSeed = this.#nextCollection;
  }

  /** Creates an order collection: one supplier order per municipality, one line per product (packages expand). */
  create(input: { kind: string; products: SandboxProduct[]; orderData: unknown; reference?: string | null | undefined; technicalReference?: string | null | undefined; user: string }): SandboxOrder {
    const now = this.#now();
    const byMunicipality = new Map<string, SandboxProduct[]>();
    for (const p of input.products) byMunicipality.set(p.municipality, [...(byMunicipality.get(p.municipality) ?? []), p]);
    const order: SandboxOrder = {
      id: this.#nextCollection++,
      kind: input.kind,
      status: 'NEW',
      dateOrdered: now,
      dateStatus: now,
      reference: input.reference ?? null,
      technicalReference: input.technicalReference ?? null,
      orderData: input.orderData,
      orders: [...byMunicipality].map(([knr, products]) => ({
        id: this.#nextSupplierOrder++,
        supplierName: SANDBOX_MUNICIPALITIES[knr] ?? `Kommune ${knr}`,
        user: input.user,
        technicalReference: input.technicalReference ?? null,
        assets: [],
        lines: products.flatMap((p) => this.#lines(p, now)),
      })),
    };
    this.orders.set(order.id, order);
    return order;
  }

  get(orderId: number): SandboxOrder {
    const order = this.orders.get(orderId);
    if (!order) throw new Error(`sandbox: no order ${orderId}`);
    return order;
  }

  asset(assetId: string): { asset: SandboxAsset; orderId: number } | undefined {
    return this.#assets.get(assetId);
  }

  /** NEW → PROGRESS → FINISHED, one step; returns the push to send, if Ambita sends one for the step. */
  advance(orderId: number): PushStatus | undefined {
    const order = this.#live(orderId);
    if (order.status === 'NEW') {
      this.#setStatus(order, 'PROGRESS');
      return undefined; // KODE sends no push for "in progress"
    }
    if (order.status === 'PROGRESS') return this.finish(orderId);
    throw new Error(`sandbox: order ${orderId} is ${order.status}, cannot advance`);
  }

  /** Marks the order FINISHED; by default every line still without a file gets one (its delivery). */
  finish(orderId: number, options: { deliver?: boolean } = {}): PushStatus {
    const order = this.#live(orderId);
    if (options.deliver ?? true) {
      for (const line of order.orders.flatMap((o) => o.lines)) {
        if (line.assets.length === 0 && line.product.type !== 'PACKAGE') line.assets.push(this.#newAsset(orderId, line.product, {}));
      }
    }
    this.#setStatus(order, 'FINISHED');
    return 'FINISHED';
  }

  /** A new file on the order (order level) or on one line. UPDATED, also after FINISHED. */
  addAsset(orderId: number, input: AddAssetInput = {}): { asset: SandboxAsset; push: PushStatus } {
    const order = this.#live(orderId);
    const supplier = order.orders[0];
    if (!supplier) throw new Error(`sandbox: order ${orderId} has no supplier order`);
    let target: SandboxAsset[] = supplier.assets;
    let product = supplier.lines[0]?.product;
    if (input.lineId !== undefined) {
      const line = order.orders.flatMap((o) => o.lines).find((l) => l.id === input.lineId);
      if (!line) throw new Error(`sandbox: order ${orderId} has no line ${input.lineId}`);
      target = line.assets;
      product = line.product;
      line.dateStatus = this.#now();
    }
    const asset = this.#newAsset(orderId, product, input);
    target.push(asset);
    order.dateStatus = this.#now();
    return { asset, push: 'UPDATED' };
  }

  /** The asset turns DELETED (it stays listed). Assumed: Ambita announces it with UPDATED. */
  deleteAsset(assetId: string): { orderId: number; push: PushStatus } {
    const found = this.#assets.get(assetId);
    if (!found) throw new Error(`sandbox: no asset ${assetId}`);
    found.asset.assetStatus = 'DELETED';
    return { orderId: found.orderId, push: 'UPDATED' };
  }

  cancel(orderId: number): PushStatus {
    this.#setStatus(this.#live(orderId), 'CANCELLED');
    return 'CANCELLED';
  }

  /** Refunds are made on delivered orders too (FINISHED → REFUNDED). */
  refund(orderId: number): PushStatus {
    this.#setStatus(this.#live(orderId), 'REFUNDED');
    return 'REFUNDED';
  }

  /** Every asset that is OK on an order that is neither cancelled nor refunded: what a mirror must hold. */
  liveAssets(): { orderId: number; asset: SandboxAsset }[] {
    const out: { orderId: number; asset: SandboxAsset }[] = [];
    for (const order of this.orders.values()) {
      if (order.status === 'CANCELLED' || order.status === 'REFUNDED') continue;
      for (const supplier of order.orders) {
        for (const asset of [...supplier.assets, ...supplier.lines.flatMap((l) => l.assets)]) {
          if (asset.assetStatus === 'OK') out.push({ orderId: order.id, asset });
        }
      }
    }
    return out;
  }

  #lines(product: SandboxProduct, now: number): SandboxLine[] {
    const parent: SandboxLine = { id: this.#nextLine++, product, status: 'NEW', dateStatus: now, packageLineId: null, assets: [] };
    const children = product.children
      .map((code) => this.catalog.get(code))
      .filter((p): p is SandboxProduct => p !== undefined)
      .map((p) => ({ id: this.#nextLine++, product: p, status: 'NEW' as OrderStatus, dateStatus: now, packageLineId: parent.id, assets: [] }));
    return [parent, ...children];
  }

  #newAsset(orderId: number, product: SandboxProduct | undefined, input: AddAssetInput): SandboxAsset {
    // 32 hex characters, like Ambita's asset ids; derived from a counter so runs are reproducible.
    const id = createHash('md5').update(`ambita-asset-${this.#idSeed}-${++this.#assetCounter}`).digest('hex');
    const ext = input.ext ?? product?.fileExt ?? 'pdf';
    const base = (product?.name ?? 'Dokument').replace(/[^\p{L}\p{N}]+/gu, '_');
    const content = input.content === undefined ? assetContent(id, ext) : Buffer.from(input.content);
    const asset: SandboxAsset = {
      id,
      name: input.name ?? `upload_${this.#assetCounter}.${ext}`,
      filename: input.filename ?? `${base}.${ext}`,
      productCategory: input.productCategory ?? product?.category ?? 'PRODUKT_UTEN_KATEGORI',
      assetStatus: 'OK',
      content,
      contentType: contentType(ext),
    };
    this.#assets.set(id, { asset, orderId });
    return asset;
  }

  #live(orderId: number): SandboxOrder {
    const order = this.get(orderId);
    if (order.status === 'CANCELLED' || order.status === 'REFUNDED') throw new Error(`sandbox: order ${orderId} is ${order.status}`);
    return order;
  }

  #setStatus(order: SandboxOrder, status: OrderStatus): void {
    const now = this.#now();
    order.status = status;
    order.dateStatus = now;
    for (const line of order.orders.flatMap((o) => o.lines)) {
      line.status = status;
      line.dateStatus = now;
    }
  }
}
