import type { Context } from 'hono';
import type { Registry } from 'prom-client';
import type { App } from '../core/app.js';
import type { ConsoleConfig } from './config.js';
import type { Html } from './html.js';
import { LoginThrottle } from './login-throttle.js';
import type { Session } from './sessions.js';
import { SessionStore } from './sessions.js';
import { layout } from './views/layout.js';

/** What every console route needs: the app, the console's config, sessions and the login throttle. */
export interface ConsoleDeps {
  readonly app: App;
  readonly config: ConsoleConfig;
  /** The daemon's Prometheus registry (the same counters as /metrics). */
  readonly metrics: Registry;
  readonly sessions: SessionStore;
  readonly throttle: LoginThrottle;
  /** The path prefix, ending in "/". */
  readonly base: string;
}

export function consoleDeps(app: App, config: ConsoleConfig, metrics: Registry): ConsoleDeps {
  return Object.freeze({
    app,
    config,
    metrics,
    sessions: new SessionStore(config.session_idle_minutes),
    throttle: new LoginThrottle({ maxFailures: config.login_throttle.max_failures, windowSeconds: config.login_throttle.window_seconds }),
    base: config.path_prefix,
  });
}

export type Env = { Variables: { session: Session; flash: { kind: 'ok' | 'error'; text: string } | undefined } };
export type Ctx = Context<Env>;

/** A full page for the signed-in user, with the notice the last action left, if any. */
export function page(c: Ctx, deps: ConsoleDeps, title: string, body: Html, status: 200 | 400 | 403 | 404 | 429 = 200): Response {
  return c.html(layout({ title, base: deps.base, session: c.get('session'), notice: c.get('flash'), body }), status);
}

/** Integer route or query parameter, or undefined when absent or not a positive integer. */
export function positiveId(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{1,15}$/.test(value)) return undefined;
  const n = Number(value);
  return n > 0 ? n : undefined;
}
