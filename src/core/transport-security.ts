/**
 * Plaintext only to loopback. Every upstream call carries credentials (basic auth, an HMAC key id, an OAuth
 * secret, a session token), so one `http://` typo in a base URL, or `tls: false` left over from a sandbox
 * config, would send them in clear. Such a config is refused unless the upstream block says
 * `allow_insecure: true` (a vendor's plaintext test server, a TLS-terminating sidecar on another host).
 */
import { isIP } from 'node:net';
import { z } from 'zod';

/** Spread into an upstream block's schema. */
export const transportSecuritySchema = {
  /**
   * Allow `http://` URLs (or `tls: false`) to hosts other than loopback: credentials then travel unencrypted.
   * `config check` points it out. @default false
   */
  allow_insecure: z.boolean().default(false).describe('allow plaintext to hosts other than loopback'),
};

/** 127.0.0.0/8, ::1 and `localhost` (also `*.localhost`, which resolvers keep on the machine). */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || h === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(h);
  return false;
}

const HINT = 'credentials would travel unencrypted; set allow_insecure: true in this block to allow it';

/** One refused setting of an upstream block: its key, the value found, what was expected. */
export interface PlaintextIssue {
  key: string;
  input: unknown;
  message: string;
}

/** What an upstream's config module exports for its block: the plaintext settings it finds. */
export type PlaintextCheck<Block> = (block: Block) => PlaintextIssue[];

/** The check for the named URL keys of an upstream block: `http://` only to loopback unless allowed. */
export function plaintextUrls<K extends string>(keys: readonly K[]): PlaintextCheck<Partial<Record<K, string | undefined>> & { allow_insecure: boolean }> {
  return (block) => {
    if (block.allow_insecure) return [];
    return keys.flatMap((key) => {
      const value = block[key];
      if (value === undefined) return [];
      const url = new URL(value);
      return url.protocol === 'http:' && !isLoopbackHost(url.hostname) ? [{ key, input: value, message: `expected https:// for a host other than loopback (${HINT})` }] : [];
    });
  };
}

/** The check for a gRPC `host:port` endpoint with a `tls` switch. */
export const plaintextEndpoint: PlaintextCheck<{ endpoint: string; tls: boolean; allow_insecure: boolean }> = (block) => {
  if (block.tls || block.allow_insecure) return [];
  const host = block.endpoint.slice(0, block.endpoint.lastIndexOf(':'));
  return isLoopbackHost(host) ? [] : [{ key: 'tls', input: block.tls, message: `expected true for endpoint ${block.endpoint}, which is not loopback (${HINT})` }];
};

/**
 * A zod check over the whole `upstreams:` mapping, running each present block's check (issues at
 * `<name>.<key>`). It sits on the mapping rather than on each block so that the block schemas stay plain
 * objects that can be extended (the read-only commands relax their secrets).
 */
export function refusePlaintext(checks: Record<string, PlaintextCheck<never>>) {
  return (upstreams: Record<string, unknown>, ctx: z.RefinementCtx): void => {
    for (const [name, check] of Object.entries(checks)) {
      const block = upstreams[name];
      if (block === undefined) continue;
      for (const issue of (check as PlaintextCheck<unknown>)(block)) ctx.addIssue({ code: 'custom', path: [name, issue.key], input: issue.input, message: issue.message });
    }
  };
}
