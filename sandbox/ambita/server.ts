/**
 * Local stand-in for Ambita's KODE API: token endpoint, products, order creation, get order, asset downloads
 * (bearer token required, assumed), and push messages POSTed to a callback URL. Faults: the kit's 5xx/429/
 * latency, plus expired or revoked tokens, truncated or corrupted downloads, lost pushes and lost order answers.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { FaultInjector, type OversizeFault, readBody, type ReceivedRequest, type SandboxFaultsInput, type SandboxHandle, sendJson, sendOversized, startHttpSandbox } from '../kit.js';
import { SandboxAuth, SANDBOX_CREDENTIALS } from './auth.js';
import { renderProduct } from './catalog.js';
import { checkOrderRequest } from './orders-api.js';
import { renderOrder, type WireDialect } from './render.js';
import { type AddAssetInput, type PushStatus, type SandboxAsset, SandboxOrderBook, type SandboxOrder } from './state.js';
import { SandboxPusher, type PushRecord } from './push.js';

export interface AmbitaSandboxOptions {
  port?: number;
  host?: string;
  faults?: SandboxFaultsInput;
  /** Where push messages go (Ambita support registers it); absent = pushes are recorded but not sent. */
  callbackUrl?: string;
  /** Which of Ambita's two example dialects orders are written in. @default "mixed" */
  dialect?: WireDialect;
  /** Name of the id field in push bodies (older documents: `orderId`). @default "orderCollectionId" */
  pushIdField?: 'orderCollectionId' | 'orderId';
  /** Access-token lifetime in seconds. @default 3600 */
  tokenLifetimeSeconds?: number;
  /** Share of pushes silently lost (0..1), drawn from the fault injector's random source. @default 0 */
  pushLossRate?: number;
  /** Send `Repr-Digest` (RFC 9530) with downloads. Ambita documents no checksum, so off by default. */
  sendDigest?: boolean;
  /** Id of the first order placed. @default seconds since 1970 on the sandbox clock (ids never repeat across restarts) */
  firstOrderId?: number;
  /** Sandbox clock for token expiry and dates. @default Date.now */
  now?: () => number;
}

export interface AmbitaSandbox extends SandboxHandle {
  readonly faults: FaultInjector;
  readonly tokenUrl: string;
  /** Every request received, in order. */
  readonly requests: readonly ReceivedRequest[];
  readonly book: SandboxOrderBook;
  setCallbackUrl(url: string | undefined): void;
  /** Places an order without HTTP (seeding for demos and benchmarks); sends the NEW push. */
  placeOrder(input: { productCodes: string[]; cadastre?: string; technicalReference?: string; reference?: string }): Promise<SandboxOrder>;
  advance(orderId: number): Promise<void>;
  finish(orderId: number, options?: { deliver?: boolean }): Promise<void>;
  addAsset(orderId: number, input?: AddAssetInput): Promise<SandboxAsset>;
  /** A new file after FINISHED (the UPDATED push). Same as addAsset; named after the push. */
  update(orderId: number, input?: AddAssetInput): Promise<SandboxAsset>;
  deleteAsset(assetId: string): Promise<void>;
  /** Ambita replaces a file: the old asset turns DELETED, a new one (new id) appears in its place; one push. */
  replaceAsset(assetId: string, input?: AddAssetInput): Promise<SandboxAsset>;
  cancel(orderId: number): Promise<void>;
  refund(orderId: number): Promise<void>;
  /** Sends an arbitrary push body (e.g. a distributor `eventType` message). */
  pushRaw(body: unknown): Promise<PushRecord>;
  expireTokens(): void;
  revokeTokens(): void;
  setTokenLifetime(seconds: number): void;
  truncateNextDownloads(n: number): void;
  corruptNextDownloads(n: number): void;
  /** The next n downloads are oversized this way (see sendOversized). */
  oversizeNextDownloads(n: number, fault: OversizeFault): void;
  loseNextPushes(n: number): void;
  /** The next n order creations are carried out but their answer is lost (connection dropped). */
  loseNextOrderAnswers(n: number): void;
  pushes(): readonly PushRecord[];
  /** OK assets of orders that are neither cancelled nor refunded: what a faithful mirror holds. */
  liveAssets(): { orderId: number; asset: SandboxAsset }[];
  /** Requests whose path starts with `prefix`. */
  requestCount(prefix?: string): number;
  tokensIssued(): number;
  /** Every access and refresh token handed out (for log-leak checks). */
  issuedTokens(): readonly string[];
  /** Resolves when every push sent so far has been answered (the NEW push of an HTTP order is sent after the reply). */
  flushPushes(): Promise<void>;
}

export async function startAmbitaSandbox(options: AmbitaSandboxOptions = {}): Promise<AmbitaSandbox> {
  const now = options.now ?? Date.now;
  const faults = new FaultInjector(options.faults);
  const auth = new SandboxAuth(now, options.tokenLifetimeSeconds);
  const book = new SandboxOrderBook(now, options.firstOrderId);
  const requests: ReceivedRequest[] = [];
  const dialect = options.dialect ?? 'mixed';
  const pusher = new SandboxPusher(faults, options.pushIdField ?? 'orderCollectionId', options.pushLossRate ?? 0, options.callbackUrl);
  const lever = { truncate: 0, corrupt: 0, loseOrderAnswer: 0, oversize: 0, oversizeFault: { mode: 'declared', bytes: 0 } as OversizeFault };
  let origin = '';

  const authed = (req: IncomingMessage, res: ServerResponse): string | undefined => {
    const user = auth.check(req.headers.authorization);
    if (!user) sendJson(res, 401, { error: 'invalid_token', error_description: 'The access token is missing, expired or revoked' });
    return user;
  };

  const handler = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const path = url.pathname;
    const method = req.method ?? 'GET';
    if (method === 'POST' && path === '/authentication/v2/token') {
      const raw = (await readBody(req, 64 * 1024)).toString('utf8');
      const form = /application\/x-www-form-urlencoded/i.test(req.headers['content-type'] ?? '');
      let params: Record<string, unknown>;
      try {
        params = form ? Object.fromEntries(new URLSearchParams(raw)) : (JSON.parse(raw) as Record<string, unknown>);
      } catch {
        return sendJson(res, 400, { error: 'invalid_request', error_description: 'body must be JSON or form-encoded' });
      }
      const result = auth.grant(params ?? {});
      return result.ok ? sendJson(res, 200, result.body, { 'cache-control': 'no-store' }) : sendJson(res, result.status, result.body);
    }
    if (method === 'GET' && path === '/kode/v1/products') {
      if (!authed(req, res)) return;
      const knr = url.searchParams.get('municipality') ?? '';
      if (!/^\d{4}$/.test(knr)) return sendJson(res, 400, { status: 400, message: 'municipality must be a 4-digit municipality number' });
      const products = [...book.catalog.values()].filter((p) => p.municipality === knr).map((p) => renderProduct(p, book.catalog));
      return sendJson(res, 200, products);
    }
    const create = /^\/kode\/v1\/(orders|prices)\/([a-z]+)$/.exec(path);
    if (method === 'POST' && create) {
      const user = authed(req, res);
      if (!user) return;
      let body: unknown;
      try {
        body = JSON.parse((await readBody(req, 1024 * 1024)).toString('utf8'));
      } catch {
        return sendJson(res, 400, { status: 400, message: 'body must be JSON' });
      }
      const checked = checkOrderRequest(create[2]!, body, book.catalog);
      if (!checked.ok) return sendJson(res, checked.message.startsWith('unknown order type') ? 404 : 400, { status: 400, message: checked.message });
      if (create[1] === 'prices') {
        const net = checked.value.products.reduce((s, p) => s + p.priceNet, 0);
        const vat = checked.value.products.reduce((s, p) => s + p.priceVat, 0);
        return sendJson(res, 200, { priceNet: net, priceVat: vat });
      }
      const order = book.create({ ...checked.value, user });
      if (lever.loseOrderAnswer > 0) {
        lever.loseOrderAnswer--;
        res.destroy(); // placed, but the caller never learns it
      } else {
        sendJson(res, 200, renderOrder(order, origin, dialect));
      }
      void pusher.send(order, 'NEW');
      return;
    }
    const get = /^\/kode\/v1\/orders\/(\d+)$/.exec(path);
    if (method === 'GET' && get) {
      if (!authed(req, res)) return;
      const order = book.orders.get(Number(get[1]));
      if (!order) return sendJson(res, 404, { status: 404, message: `order ${get[1]} not found` });
      return sendJson(res, 200, renderOrder(order, origin, dialect));
    }
    const asset = /^\/shopping\/v2\/assets\/([^/]+)$/.exec(path);
    if (method === 'GET' && asset) {
      if (!authed(req, res)) return;
      const found = book.asset(decodeURIComponent(asset[1]!));
      if (!found || found.asset.assetStatus === 'DELETED') return sendJson(res, 404, { status: 404, message: 'asset not found' });
      return sendAsset(res, found.asset);
    }
    sendJson(res, 404, { status: 404, message: `no route ${method} ${path}` });
  };

  const sendAsset = (res: ServerResponse, asset: SandboxAsset): void => {
    const headers: Record<string, string | number> = {
      'content-type': asset.contentType,
      'content-length': asset.content.length,
      // A header can carry neither control characters nor anything beyond Latin-1 (Node refuses to send it, a
      // 500): such names go RFC 6266 style, an ASCII fallback plus the exact name percent-encoded in filename*.
      'content-disposition': /^[\x20-\x7e]*$/.test(asset.filename)
        ? `attachment; filename="${asset.filename.replace(/"/g, '')}"`
        : `attachment; filename="${asset.filename.replace(/[^\x20-\x7e]|"/g, '_')}"; filename*=UTF-8''${encodeURIComponent(asset.filename)}`,
    };
    if (options.sendDigest) headers['repr-digest'] = `sha-256=:${createHash('sha256').update(asset.content).digest('base64')}:`;
    if (lever.oversize > 0) {
      lever.oversize--;
      sendOversized(res, lever.oversizeFault, headers, asset.content);
      return;
    }
    res.writeHead(200, headers);
    if (lever.truncate > 0) {
      lever.truncate--;
      // Half the promised bytes, then the connection drops: the client must notice the short body.
      res.write(asset.content.subarray(0, Math.floor(asset.content.length / 2)), () => res.destroy());
      return;
    }
    if (lever.corrupt > 0) {
      lever.corrupt--;
      const bad = Buffer.from(asset.content);
      for (let i = 0; i < bad.length; i += 97) bad[i] = bad[i]! ^ 0xff;
      res.end(bad);
      return;
    }
    res.end(asset.content);
  };

  const http = await startHttpSandbox({
    port: options.port,
    host: options.host,
    faults,
    log: requests,
    handler,
    faultBody: (status) => ({ status, message: status === 429 ? 'Too many requests' : 'Internal server error' }),
  });
  origin = http.origin;

  const push = async (orderId: number, status: PushStatus | undefined): Promise<void> => {
    if (status) await pusher.send(book.get(orderId), status);
  };

  const addAsset = async (orderId: number, input?: AddAssetInput): Promise<SandboxAsset> => {
    const added = book.addAsset(orderId, input);
    await push(orderId, added.push);
    return added.asset;
  };

  return {
    url: origin,
    tokenUrl: `${origin}/authentication/v2/token`,
    credentials: { base_url: origin, token_url: `${origin}/authentication/v2/token`, ...SANDBOX_CREDENTIALS, municipality: '9999', cadastre: '9999-1-1-0-0' },
    faults,
    requests,
    book,
    setCallbackUrl: (url) => pusher.setCallbackUrl(url),
    async placeOrder(input) {
      const products = input.productCodes.map((code) => {
        const p = book.catalog.get(code);
        if (!p) throw new Error(`sandbox: no product ${code}`);
        return p;
      });
      const cadastre = input.cadastre ?? `${products[0]?.municipality ?? '9999'}-1-1-0-0`;
      const order = book.create({ kind: 'cadastre', products, orderData: { address: 'Infoveien 1, 9999 Infoland', cadastre }, reference: input.reference, technicalReference: input.technicalReference, user: SANDBOX_CREDENTIALS.username });
      await push(order.id, 'NEW');
      return order;
    },
    advance: async (orderId) => push(orderId, book.advance(orderId)),
    finish: async (orderId, opts) => push(orderId, book.finish(orderId, opts)),
    addAsset,
    update: addAsset,
    async deleteAsset(assetId) {
      const { orderId, push: status } = book.deleteAsset(assetId);
      await push(orderId, status);
    },
    async replaceAsset(assetId, input) {
      const { orderId } = book.deleteAsset(assetId);
      const line = book.get(orderId).orders.flatMap((o) => o.lines).find((l) => l.assets.some((a) => a.id === assetId));
      const added = book.addAsset(orderId, { ...input, lineId: input?.lineId ?? line?.id });
      await push(orderId, added.push);
      return added.asset;
    },
    cancel: async (orderId) => push(orderId, book.cancel(orderId)),
    refund: async (orderId) => push(orderId, book.refund(orderId)),
    pushRaw: (body) => pusher.sendRaw(body),
    expireTokens: () => auth.expireAccessTokens(),
    revokeTokens: () => auth.revokeAll(),
    setTokenLifetime: (seconds) => (auth.tokenLifetimeSeconds = seconds),
    truncateNextDownloads: (n) => (lever.truncate = n),
    corruptNextDownloads: (n) => (lever.corrupt = n),
    oversizeNextDownloads: (n, fault) => {
      lever.oversize = n;
      lever.oversizeFault = { ...fault };
    },
    loseNextPushes: (n) => pusher.loseNext(n),
    loseNextOrderAnswers: (n) => (lever.loseOrderAnswer = n),
    pushes: () => pusher.records,
    liveAssets: () => book.liveAssets(),
    requestCount: (prefix = '/') => requests.filter((r) => r.path.startsWith(prefix)).length,
    tokensIssued: () => auth.issued,
    issuedTokens: () => auth.issuedTokens,
    flushPushes: () => pusher.drain(),
    async close() {
      await pusher.drain();
      await http.close();
    },
  };
}
