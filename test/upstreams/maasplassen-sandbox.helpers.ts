/**
 * Wire-level helpers for the Maasplassen sandbox tests: plain fetch and a signing helper of their own, so the
 * tests check the wire format rather than koppel's client.
 */
import { createHmac } from 'node:crypto';
import { DEMO_COMPANIES, type MaasplassenSandbox, type SandboxCompany } from '../../sandbox/maasplassen/server.js';

const company = (id: number): SandboxCompany => {
  const found = DEMO_COMPANIES.find((c) => c.id === id);
  if (!found) throw new Error(`no demo company ${id}`);
  return found;
};
export const VAN_NUT = company(1);
export const OTHER = company(2);
export const VVV = company(3);
export const DISABLED = company(4);

/** 2024-06-01 12:00 in Amsterdam: tests never depend on the real date. */
export const FIXED_NOW = Date.parse('2024-06-01T10:00:00Z');

export const sign = (secret: string, text: string) => createHmac('sha256', secret).update(text, 'utf8').digest('hex');

export interface WireReply {
  status: number;
  headers: Headers;
  /** Parsed JSON; `any` so tests can reach into arbitrary envelopes. */
  body: any;
}

async function reply(res: Response): Promise<WireReply> {
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

/** GET `${sb.url}${path}` with the key as query parameter (raw, not re-encoded, so tests control it). */
export async function get(sb: MaasplassenSandbox, path: string, query = '', apikey: string | null = VAN_NUT.apikey): Promise<WireReply> {
  const key = apikey === null ? '' : `apikey=${apikey}`;
  const sep = [key, query].filter(Boolean).join('&');
  return reply(await fetch(`${sb.url}${path}${sep ? `?${sep}` : ''}`));
}

export interface SignedOptions {
  apikey?: string;
  secret?: string;
  /** The raw payload string; when given, the HMAC is over it. */
  payload?: string;
  /** Overrides the HMAC (null = send none). */
  hmac?: string | null;
  /** Overrides the string signed when there is no payload (default: the full path with one trailing slash, as documented). */
  signPath?: string;
}

/** A signed POST as the document describes it: form body with hmac (and payload), key in the query. */
export async function post(sb: MaasplassenSandbox, path: string, opts: SignedOptions = {}): Promise<WireReply> {
  const apikey = opts.apikey ?? VAN_NUT.apikey;
  const secret = opts.secret ?? VAN_NUT.secret;
  const fullPath = new URL(sb.url).pathname + path;
  const form = new URLSearchParams();
  if (opts.payload !== undefined) form.set('payload', opts.payload);
  const hmac = opts.hmac !== undefined ? opts.hmac : sign(secret, opts.payload ?? opts.signPath ?? `${fullPath.replace(/\/+$/, '')}/`);
  if (hmac !== null) form.set('hmac', hmac);
  return reply(await fetch(`${sb.url}${path}?apikey=${encodeURIComponent(apikey)}`, { method: 'POST', body: form }));
}

/** Pushes availability for a company (default Van Nut) with a correct signature. */
export function push(sb: MaasplassenSandbox, availability: unknown[], opts: { companyId?: number; payloadCompany?: unknown } & SignedOptions = {}) {
  const companyId = opts.companyId ?? 1;
  const payload = JSON.stringify({ company: opts.payloadCompany ?? companyId, availability });
  return post(sb, `/company/${companyId}/availability/update`, { ...opts, payload });
}
