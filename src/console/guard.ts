/**
 * Who may do what. Every page needs a session; every POST needs the session's CSRF token in the form; every
 * action but signing out needs the operator role. A refusal of an action is itself recorded.
 */
import type { MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { recordAction } from './audit.js';
import type { ConsoleDeps, Env } from './context.js';
import { html } from './html.js';
import { sameToken } from './sessions.js';
import { layout } from './views/layout.js';

export const SESSION_COOKIE = 'koppel_session';

/** Paths under the prefix reachable without a session. */
const PUBLIC = new Set(['login']);

export function requireSession(deps: ConsoleDeps): MiddlewareHandler<Env> {
  return async (c, next) => {
    const rest = c.req.path.slice(deps.base.length);
    if (PUBLIC.has(rest)) return next();
    const session = deps.sessions.get(getCookie(c, SESSION_COOKIE));
    if (!session) {
      if (c.req.method === 'GET') return c.redirect(`${deps.base}login`, 303);
      return c.html(layout({ title: 'Signed out', base: deps.base, body: html`<p>Your session has ended. <a href="${deps.base}login">Sign in</a> again.</p>` }), 401);
    }
    c.set('session', session);
    c.set('flash', session.flash);
    session.flash = undefined;
    c.header('cache-control', 'no-store');
    if (c.req.method !== 'POST') return next();
    const form = await c.req.parseBody();
    if (!sameToken(form.csrf, session.csrf)) {
      await recordAction(deps.app.db.kysely, { actor: session.user, role: session.role, action: `post ${rest}`, target: rest, outcome: 'refused', message: 'missing or wrong CSRF token' });
      return c.html(layout({ title: 'Refused', base: deps.base, session, body: html`<p>This form was not sent by a page of this console (its security token is missing or stale). Go back, reload the page and try again.</p>` }), 403);
    }
    if (rest !== 'logout' && session.role !== 'operator') {
      await recordAction(deps.app.db.kysely, { actor: session.user, role: session.role, action: `post ${rest}`, target: rest, outcome: 'refused', message: 'viewer role cannot act' });
      return c.html(layout({ title: 'Not allowed', base: deps.base, session, body: html`<p>Your role (${session.role}) can look, not act. Ask an operator.</p>` }), 403);
    }
    return next();
  };
}
