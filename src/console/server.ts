/**
 * The web console, mounted by the daemon on its HTTP port under `console.path_prefix`.
 *
 * Routing, cookies and form bodies are hono's (a small, dependency-free, well-kept framework that runs on
 * Node's own http server through @hono/node-server), so the daemon keeps its hand-written server for
 * /healthz, /metrics and webhooks and hands everything else under the prefix to this listener.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import type { Registry } from 'prom-client';
import type { App } from '../core/app.js';
import type { ConsoleConfig } from './config.js';
import { consoleDeps, type Env } from './context.js';
import { requireSession } from './guard.js';
import { html } from './html.js';
import { authRoutes } from './routes/auth.js';
import { fileRoutes } from './routes/files.js';
import { orderRoutes } from './routes/orders.js';
import { overviewRoutes } from './routes/overview.js';
import { runRoutes } from './routes/runs.js';
import { UpstreamStats } from './upstream-stats.js';
import { layout } from './views/layout.js';

export interface ConsoleMount {
  /** Requests whose path starts with this go to `handle`. */
  readonly prefix: string;
  handle(req: IncomingMessage, res: ServerResponse): void;
  close(): void;
}

export function createConsole(app: App, config: ConsoleConfig, metrics: Registry): ConsoleMount {
  const deps = consoleDeps(app, config, metrics);
  const stats = new UpstreamStats(metrics);
  const r = new Hono<Env>();

  r.use('*', async (c, next) => {
    await next();
    c.header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
    c.header('x-content-type-options', 'nosniff');
    c.header('referrer-policy', 'same-origin');
    // The last net for "no secret is ever rendered": every page and CSV passes the logger's scrubber.
    const type = c.res.headers.get('content-type') ?? '';
    if (type.startsWith('text/html') || type.startsWith('text/csv')) {
      const text = await c.res.text();
      const headers = new Headers(c.res.headers);
      headers.delete('content-length');
      c.res = new Response(app.scrub(text), { status: c.res.status, headers });
    }
  });
  r.use('*', requireSession(deps));
  authRoutes(r, deps);
  runRoutes(r, deps);
  orderRoutes(r, deps);
  fileRoutes(r, deps);
  overviewRoutes(r, deps, stats);
  r.notFound((c) => c.html(layout({ title: 'Not found', base: deps.base, session: c.get('session'), body: html`<p>No such page. <a href="${deps.base}">Pipelines</a></p>` }), 404));
  r.onError((err, c) => {
    app.log.error({ err, path: c.req.path }, 'console request failed');
    return c.html(layout({ title: 'Something went wrong', base: deps.base, session: c.get('session'), body: html`<p>koppel could not show this page; the daemon's log has the details.</p>` }), 500);
  });

  const listener = getRequestListener(r.fetch);
  return {
    prefix: config.path_prefix,
    handle: (req, res) => void listener(req, res),
    close: () => stats.close(),
  };
}
