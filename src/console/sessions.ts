import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { ConsoleRole } from './config.js';

export interface Session {
  readonly id: string;
  readonly user: string;
  readonly role: ConsoleRole;
  /** The synchronizer token every form of this session carries (CSRF). */
  readonly csrf: string;
  expiresAt: number;
  /** What the last action said, shown once on the page it redirected to (post/redirect/get). */
  flash?: { kind: 'ok' | 'error'; text: string } | undefined;
}

const token = () => randomBytes(32).toString('base64url');

/**
 * Signed-in sessions, in this process's memory: a restart signs everyone out, which is acceptable for an
 * operator console and keeps session secrets out of the database. Behind several replicas, route a user to
 * one replica (sticky sessions) or they sign in again.
 */
export class SessionStore {
  // Invariant: every entry's expiresAt is in the future or the entry is removed on its next read.
  readonly #sessions = new Map<string, Session>();
  readonly #idleMs: number;

  constructor(idleMinutes: number) {
    this.#idleMs = idleMinutes * 60_000;
  }

  create(user: string, role: ConsoleRole, now = Date.now()): Session {
    this.#sweep(now);
    const session: Session = { id: token(), user, role, csrf: token(), expiresAt: now + this.#idleMs };
    this.#sessions.set(session.id, session);
    return session;
  }

  /** The live session for a cookie value, its idle time renewed; undefined when unknown or expired. */
  get(id: string | undefined, now = Date.now()): Session | undefined {
    if (!id) return undefined;
    const session = this.#sessions.get(id);
    if (!session) return undefined;
    if (session.expiresAt <= now) {
      this.#sessions.delete(id);
      return undefined;
    }
    session.expiresAt = now + this.#idleMs;
    return session;
  }

  end(id: string | undefined): void {
    if (id) this.#sessions.delete(id);
  }

  #sweep(now: number): void {
    for (const [id, s] of this.#sessions) if (s.expiresAt <= now) this.#sessions.delete(id);
  }
}

/** Constant-time comparison of a submitted token with the expected one. */
export function sameToken(given: unknown, expected: string): boolean {
  if (typeof given !== 'string' || given.length !== expected.length) return false;
  return timingSafeEqual(Buffer.from(given), Buffer.from(expected));
}
