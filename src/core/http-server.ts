import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { WebhookRoute } from './types.js';

export interface HttpServerOptions {
  port: number;
  host: string;
  log: Logger;
  health: () => Promise<{ ok: boolean; detail: Record<string, unknown> }>;
  metrics: () => Promise<{ contentType: string; body: string }>;
  routes: readonly WebhookRoute[];
  /** Everything else under `prefix` (the web console) goes to `handle`, which answers it completely. */
  mount?: { prefix: string; handle(req: IncomingMessage, res: ServerResponse): void } | undefined;
}

/** The daemon's HTTP surface: /healthz, /metrics and the pipelines' webhook routes. */
export async function startHttpServer(options: HttpServerOptions): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const compiled = options.routes.map((route) => ({ route, match: compilePath(route.path) }));
  const server = createServer((req, res) => {
    void handle(req, res).catch((err) => {
      options.log.error({ err, path: redactPath(req.url ?? '') }, 'http handler failed');
      if (!res.headersSent) reply(res, 500, { error: 'internal error' });
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://koppel');
    if (req.method === 'GET' && url.pathname === '/healthz') {
      const h = await options.health();
      return reply(res, h.ok ? 200 : 503, { status: h.ok ? 'ok' : 'unhealthy', ...h.detail });
    }
    if (req.method === 'GET' && url.pathname === '/metrics') {
      const m = await options.metrics();
      res.writeHead(200, { 'content-type': m.contentType });
      res.end(m.body);
      return;
    }
    for (const { route, match } of compiled) {
      let params: Record<string, string> | undefined;
      try {
        params = match(url.pathname);
      } catch {
        // A malformed %-escape in a path param is the caller's mistake, not ours.
        return reply(res, 400, { error: 'malformed path' });
      }
      if (!params || req.method !== route.method) continue;
      // Refuse oversized bodies before reading them (Content-Length), and while reading (chunked).
      const declared = Number(req.headers['content-length'] ?? 0);
      if (declared > route.maxBodyBytes) return reply(res, 413, { error: 'body too large' }, true);
      const body = await readLimited(req, route.maxBodyBytes);
      if (!body) return reply(res, 413, { error: 'body too large' }, true);
      const out = await route.handle({ method: req.method, path: url.pathname, headers: req.headers, params, body });
      return reply(res, out.status, out.body ?? {});
    }
    if (options.mount && (url.pathname + '/').startsWith(options.mount.prefix)) return options.mount.handle(req, res);
    reply(res, 404, { error: 'not found' });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    server,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

function reply(res: ServerResponse, status: number, body: unknown, close = false): void {
  const text = JSON.stringify(body);
  if (close) res.on('finish', () => res.socket?.destroy());
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...(close ? { connection: 'close' } : {}) });
  res.end(text);
}

async function readLimited(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) return undefined; // the reply closes the connection; the rest is never buffered
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** `/hooks/<pipeline>/:token` → a matcher returning params, or undefined. */
function compilePath(pattern: string): (path: string) => Record<string, string> | undefined {
  const names: string[] = [];
  const source = pattern
    .split('/')
    .map((seg) => {
      if (seg.startsWith(':')) {
        names.push(seg.slice(1));
        return '([^/]+)';
      }
      return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  const re = new RegExp(`^${source}/?$`);
  return (path) => {
    const m = re.exec(path);
    if (!m) return undefined;
    return Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(m[i + 1] ?? '')]));
  };
}

/** Webhook paths may carry a secret token: never log more than the first segments. */
function redactPath(path: string): string {
  return path.split('/').slice(0, 3).join('/');
}
