/**
 * A local Maasplassen API v2, faithful to the vendor document and `maasplassen-notes.md`: every documented
 * endpoint, key normalisation, constant-time HMAC checks, company ownership, the all-or-nothing availability
 * update, fault injection, and an inspection surface for tests. State lives in memory.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  FaultInjector, readBody, sendJson, startHttpSandbox,
  type ReceivedRequest, type SandboxFaultsInput, type SandboxHandle,
} from '../kit.js';
import { hmacMatches, type SignedPathForm, signedString } from './auth.js';
import { DEMO_COMPANIES, demoJetties, type SandboxBoat, type SandboxCompany, type SandboxJetty, type SandboxPrize } from './demo-data.js';
import { apiError, faultEnvelope, SandboxApiError } from './errors.js';
import { matchRoute } from './routes.js';
import { SandboxState } from './state.js';

export { BOAT_TYPES, DEMO_COMPANIES } from './demo-data.js';
export type { BoatType, SandboxBoat, SandboxCompany, SandboxJetty, SandboxPrize, SandboxReview } from './demo-data.js';
export { SANDBOX_ERROR_TYPES } from './errors.js';
export type { SignedPathForm } from './auth.js';

export interface MaasplassenSandboxOptions {
  /** @default 0 (any free port) */
  port?: number;
  /** @default "127.0.0.1" */
  host?: string;
  /** @default DEMO_COMPANIES */
  companies?: SandboxCompany[];
  /** @default demo jetties with reservations around the start time */
  jetties?: SandboxJetty[];
  /** Transient faults (error rate, latency, 429 + Retry-After); all off by default. */
  faults?: SandboxFaultsInput;
  /** Clock for "today" (fleet default date), jetty occupation and stats. @default Date.now */
  now?: () => number;
  /** The path form a path signature is verified over (see `SignedPathForm`). @default "with_slash" */
  signedPath?: SignedPathForm;
}

/** A received request, plus what the Maasplassen sandbox learned about it. */
export interface MaasplassenReceivedRequest extends ReceivedRequest {
  /** Number of objects in `availability` for an availability update with a JSON payload. */
  objects?: number;
  /** `meta.owner` of the key used, when the key was valid. */
  owner?: string;
}

export interface MaasplassenSandbox extends SandboxHandle {
  /** Base URL including `/api/v2`. */
  readonly url: string;
  readonly faults: FaultInjector;
  readonly requests: MaasplassenReceivedRequest[];
  /** Stored prizes for a boat-date (by the company's ext_id); null = blocked; undefined = never pushed. */
  availability(companyId: number, extId: string, date: string): SandboxPrize[] | null | undefined;
  /** Stored boat-dates, for one company or all. */
  availabilityCount(companyId?: number): number;
  /** From now on the key answers 503 ApiKeyDisabledException (the "disabled key" fault). */
  disableKey(apikey: string): void;
  enableKey(apikey: string): void;
  addBoat(companyId: number, boat: SandboxBoat): void;
  /** Takes a boat out of the fleet (as the back office can) and returns it: later pushes for it are rolled back. Not undone by reset. */
  removeBoat(companyId: number, extId: string): SandboxBoat | undefined;
  /** Forgets pushed availability, stats events and the request log. */
  reset(): void;
}

const API_PREFIX = '/api/v2';
/** 1×1 transparent PNG served for every `/assets/...` image link, so fleet pictures resolve. */
const PIXEL = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=', 'base64');

function segmentsOf(rawPath: string): string[] {
  const parts = rawPath.slice(API_PREFIX.length).split('/');
  // Drop the empty segment before the first slash and one after a trailing slash: `/fleet/` matches `/fleet`.
  if (parts[0] === '') parts.shift();
  if (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts.map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return p;
    }
  });
}

const isForm = (req: IncomingMessage) => (req.headers['content-type'] ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded');

export async function startMaasplassenSandbox(options: MaasplassenSandboxOptions = {}): Promise<MaasplassenSandbox> {
  const now = options.now ?? Date.now;
  const companies = options.companies ?? DEMO_COMPANIES;
  const state = new SandboxState(companies, options.jetties ?? demoJetties(now()));
  const faults = new FaultInjector(options.faults);
  const requests: MaasplassenReceivedRequest[] = [];
  let origin = '';

  /** `/cta/{bootid}/{date}?src=owner`: counts the click for the stats, then redirects like the real link. */
  function cta(res: ServerResponse, rawPath: string, url: URL): void {
    const found = state.boatById(Number(rawPath.split('/')[2]));
    if (!found) return sendJson(res, 404, apiError(404, 'boatNotFound', 'Boat not found.').envelope);
    const { company } = found;
    state.record({ companyId: company.id, owner: url.searchParams.get('src') ?? 'unknown', kind: 'click', at: now() });
    const target = company.cta === 'email' && company.email ? `mailto:${company.email}` : (company.url ?? origin);
    res.writeHead(302, { location: target }).end();
  }

  async function api(req: IncomingMessage, res: ServerResponse, url: URL, rawPath: string, entry: MaasplassenReceivedRequest): Promise<void> {
    const method = req.method ?? 'GET';
    const matched = matchRoute(method, segmentsOf(rawPath));
    if (matched instanceof SandboxApiError) throw matched;
    const apikey = url.searchParams.get('apikey') ?? '';
    if (apikey.replace(/[\s-]/g, '') === '') throw apiError(401, 'apiKeyMissing', 'No API-key supplied! ');
    const key = state.lookupKey(apikey);
    if (key.status === 'unknown') throw apiError(401, 'apiKeyNotFound', 'This API-key is not found! ');
    if (key.status === 'disabled') throw apiError(503, 'apiKeyDisabled', 'This API-key is disabled! ');
    entry.owner = key.owner;
    // PHP fills $_POST only for form bodies; any other body is as good as no fields.
    const body = method === 'POST' ? await readBody(req) : Buffer.alloc(0);
    const form = isForm(req) ? new URLSearchParams(body.toString('utf8')) : new URLSearchParams();
    if (matched.route.signed) {
      const hmac = form.get('hmac');
      if (!hmac) throw apiError(401, 'hmacMissing', 'No HMAC signature supplied! ');
      if (!hmacMatches(key.secret, signedString(rawPath, form, options.signedPath), hmac)) throw apiError(401, 'hmacInvalid', 'The HMAC signature is invalid! ');
    }
    const reply = matched.route.handle({
      state, key, params: matched.params, query: url.searchParams, form, origin, now: now(),
      noteObjects: (n) => (entry.objects = n),
    });
    sendJson(res, reply.status, reply.body);
  }

  const server = await startHttpSandbox({
    port: options.port,
    host: options.host,
    faults,
    log: requests,
    faultBody: faultEnvelope,
    handler: async (req, res, url, entry) => {
      // A path HMAC covers the path as received (or its slash form), so use the raw request target, not the parsed URL.
      const rawPath = (req.url ?? '/').split('?')[0] ?? '/';
      try {
        if (rawPath === API_PREFIX || rawPath.startsWith(`${API_PREFIX}/`)) return await api(req, res, url, rawPath, entry);
        if (req.method === 'GET' && /^\/cta\/\d+\//.test(rawPath)) return cta(res, rawPath, url);
        if (req.method === 'GET' && rawPath.startsWith('/assets/')) {
          res.writeHead(200, { 'content-type': 'image/png', 'content-length': PIXEL.length }).end(PIXEL);
          return;
        }
        throw apiError(404, 'notFound', 'Endpoint not found.');
      } catch (err) {
        if (!(err instanceof SandboxApiError)) throw err;
        req.resume(); // an unread body must not keep the connection waiting
        sendJson(res, err.code, err.envelope);
      }
    },
  });
  origin = server.origin;
  const first = companies[0];

  return {
    url: `${server.origin}${API_PREFIX}`,
    credentials: first ? { apikey: first.apikey, secret: first.secret, company_id: first.id } : {},
    faults,
    requests,
    availability: (companyId, extId, date) => state.availability(companyId, extId, date),
    availabilityCount: (companyId) => state.availabilityCount(companyId),
    disableKey: (apikey) => state.setKeyDisabled(apikey, true),
    enableKey: (apikey) => state.setKeyDisabled(apikey, false),
    addBoat: (companyId, boat) => state.addBoat(companyId, boat),
    removeBoat: (companyId, extId) => state.removeBoat(companyId, extId),
    reset: () => {
      state.reset();
      requests.length = 0;
    },
    close: () => server.close(),
  };
}
