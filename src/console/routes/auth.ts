import { randomBytes } from 'node:crypto';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { recordAction } from '../audit.js';
import type { ConsoleDeps, Ctx, Env } from '../context.js';
import { SESSION_COOKIE } from '../guard.js';
import { UNMATCHABLE_HASH, verifyPassword } from '../password.js';
import { sameToken } from '../sessions.js';
import { loginPage } from '../views/login.js';

/** Before sign-in there is no session to hold a CSRF token: the form and a cookie carry the same random value. */
const LOGIN_COOKIE = 'koppel_login';

export function authRoutes(r: Hono<Env>, deps: ConsoleDeps): void {
  const { base } = deps;
  const cookieOptions = (c: Ctx) => ({ httpOnly: true, sameSite: 'Strict' as const, secure: secure(c, deps), path: base });

  r.get(`${base}login`, (c) => {
    const token = randomBytes(24).toString('base64url');
    setCookie(c, LOGIN_COOKIE, token, { ...cookieOptions(c), maxAge: 3600 });
    c.header('cache-control', 'no-store');
    return c.html(loginPage({ base, token }));
  });

  r.post(`${base}login`, async (c) => {
    const form = await c.req.parseBody();
    const name = typeof form.name === 'string' ? form.name.trim() : '';
    const password = typeof form.password === 'string' ? form.password : '';
    const address = getConnInfo(c).remote.address ?? 'unknown';
    const again = (error: string, status: 400 | 403 | 429) => {
      const token = randomBytes(24).toString('base64url');
      setCookie(c, LOGIN_COOKIE, token, { ...cookieOptions(c), maxAge: 3600 });
      return c.html(loginPage({ base, token, error, name }), status);
    };
    if (!sameToken(form.csrf, getCookie(c, LOGIN_COOKIE) ?? '')) return again('The sign-in form was stale. Please try again.', 403);
    // Checked before the password, so that a throttled name costs no scrypt and tells nothing.
    const wait = deps.throttle.retryAfter(name, address);
    if (wait > 0) {
      await recordAction(deps.app.db.kysely, { actor: name || '(none)', role: '-', action: 'sign-in', target: `user:${name}`, outcome: 'refused', message: `throttled for ${wait} s` });
      c.header('retry-after', String(wait));
      return again(`Too many failed sign-ins. Try again in ${Math.ceil(wait / 60)} minute${wait > 60 ? 's' : ''}.`, 429);
    }
    const user = deps.config.users.find((u) => u.name === name);
    // An unknown name costs the same scrypt as a known one, so timing does not tell which names exist.
    const ok = await verifyPassword(password, user?.hashed_password ?? UNMATCHABLE_HASH);
    if (!user || !ok) {
      deps.throttle.failed(name, address);
      await recordAction(deps.app.db.kysely, { actor: name || '(none)', role: '-', action: 'sign-in', target: `user:${name}`, outcome: 'refused', message: 'wrong name or password' });
      return again('Wrong name or password.', 403);
    }
    deps.throttle.succeeded(name);
    const session = deps.sessions.create(user.name, user.role);
    setCookie(c, SESSION_COOKIE, session.id, cookieOptions(c));
    deleteCookie(c, LOGIN_COOKIE, { path: base });
    await recordAction(deps.app.db.kysely, { actor: user.name, role: user.role, action: 'sign-in', target: `user:${user.name}`, outcome: 'done' });
    return c.redirect(base, 303);
  });

  r.post(`${base}logout`, async (c) => {
    const session = c.get('session');
    deps.sessions.end(session.id);
    deleteCookie(c, SESSION_COOKIE, { path: base });
    await recordAction(deps.app.db.kysely, { actor: session.user, role: session.role, action: 'sign-out', target: `user:${session.user}`, outcome: 'done' });
    return c.redirect(`${base}login`, 303);
  });
}

/** `Secure` on the cookies: as configured, or (auto) when the request reached us over TLS or via an HTTPS proxy. */
function secure(c: Ctx, deps: ConsoleDeps): boolean {
  if (deps.config.cookie_secure !== 'auto') return deps.config.cookie_secure === 'always';
  return c.req.header('x-forwarded-proto')?.split(',')[0]?.trim() === 'https' || new URL(c.req.url).protocol === 'https:';
}
