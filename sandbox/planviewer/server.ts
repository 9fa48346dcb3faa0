/**
 * A local Planviewer Product API, faithful to the vendor pages and `planviewer-notes.md`: basic auth (401
 * body `{"error":{"code","message"}}`), products, structured search, intentions, jobs/order with 402 and the
 * daily cap's 429 body, jobs/status for many uuids, jobs/retrieve with Content-Disposition (404 before
 * finished, 403 for another account's job), kik waiting/select. Faults: the shared FaultInjector plus
 * truncated, corrupted and oversized downloads.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { FaultInjector, type OversizeFault, type ReceivedRequest, readBody, type SandboxFaultsInput, type SandboxHandle, sendJson, sendOversized, startHttpSandbox } from '../kit.js';
import { API_ROOT, DAILY_CAP_MESSAGE, JOB_STATUSES, orderRequestSchema, searchRequestSchema, selectRequestSchema, STATUS_UUID_PARAM } from '../../src/upstreams/planviewer/api.js';
import { SANDBOX_PRODUCTS, WAITING_CHOICES } from './data.js';
import { searchLocations } from './search.js';
import { type OrderPlaced, PlanviewerSandboxState, type SandboxJob, type SandboxStateOptions } from './state.js';

export const PLANVIEWER_DEMO_CREDENTIALS = { access_key: 'pv-demo-access-key', secret: 'pv-demo-secret' } as const;
/** A second account, so tests can ask for a job that is not theirs (403). */
export const PLANVIEWER_OTHER_CREDENTIALS = { access_key: 'pv-other-access-key', secret: 'pv-other-secret' } as const;

/** Planviewer-specific faults, mutable at run time like `faults`. */
export interface WireFaults {
  /** Share of orders that are placed but whose answer is lost (connection cut): the outcome koppel cannot know. */
  lostOrderResponseRate: number;
  /** Share of retrievals whose body stops half-way (Content-Length promised, connection cut). */
  truncateRate: number;
  /** Share of retrievals with flipped bytes but the right length (Planviewer sends no checksum to catch it). */
  corruptRate: number;
  /** While set, every retrieval is oversized this way (see sendOversized). */
  oversize: OversizeFault | null;
}

export interface PlanviewerSandboxOptions extends SandboxStateOptions {
  port?: number;
  faults?: SandboxFaultsInput;
  wireFaults?: Partial<WireFaults>;
  /** Payment on account for the demo account. @default true */
  paymentOnAccount?: boolean;
  log?: Logger;
}

export interface PlanviewerSandbox extends SandboxHandle {
  readonly faults: FaultInjector;
  readonly wireFaults: WireFaults;
  readonly state: PlanviewerSandboxState;
  readonly requests: ReceivedRequest[];
  /** Orders placed, in order. */
  ordersPlaced(): readonly OrderPlaced[];
  /** Orders placed per intention uuid: the money-safety invariant is that every value is 1. */
  ordersPerIntention(): Map<string, number>;
  jobs(): SandboxJob[];
  /** Moves a job (or all jobs) through its lifecycle without polling. */
  advance(jobUuid?: string, steps?: number): void;
  setPaymentOnAccount(enabled: boolean): void;
  expectedSha256(jobUuid: string): Promise<string>;
}

export async function startPlanviewerSandbox(options: PlanviewerSandboxOptions = {}): Promise<PlanviewerSandbox> {
  const state = new PlanviewerSandboxState(options);
  const demo = { accessKey: PLANVIEWER_DEMO_CREDENTIALS.access_key, secret: PLANVIEWER_DEMO_CREDENTIALS.secret, paymentOnAccount: options.paymentOnAccount ?? true };
  state.accounts.set(demo.accessKey, demo);
  const other = PLANVIEWER_OTHER_CREDENTIALS;
  state.accounts.set(other.access_key, { accessKey: other.access_key, secret: other.secret, paymentOnAccount: true });
  const faults = new FaultInjector(options.faults);
  const wireFaults: WireFaults = { lostOrderResponseRate: 0, truncateRate: 0, corruptRate: 0, oversize: null, ...options.wireFaults };
  const requests: ReceivedRequest[] = [];

  const server = await startHttpSandbox({
    ...(options.port !== undefined ? { port: options.port } : {}),
    faults,
    log: requests,
    faultBody: (status) => ({ error: { code: status, message: status === 429 ? 'Too Many Requests' : 'Internal Server Error' } }),
    handler: (req, res, url) => route(state, { faults, wireFaults }, req, res, url),
  });

  return {
    url: server.origin,
    credentials: { ...PLANVIEWER_DEMO_CREDENTIALS, daily_order_cap: state.dailyCap },
    faults,
    wireFaults,
    state,
    requests,
    ordersPlaced: () => [...state.orders],
    ordersPerIntention: () => {
      const counts = new Map<string, number>();
      for (const o of state.orders) counts.set(o.intention, (counts.get(o.intention) ?? 0) + 1);
      return counts;
    },
    jobs: () => [...state.jobs.values()],
    advance: (job, steps) => state.advance(job, steps),
    setPaymentOnAccount: (enabled) => (demo.paymentOnAccount = enabled),
    expectedSha256: (job) => state.expectedSha256(job),
    close: () => server.close(),
  };
}

function error(res: ServerResponse, status: number, message: string): void {
  sendJson(res, status, { error: { code: status, message } });
}

async function jsonBody(req: IncomingMessage): Promise<unknown> {
  const raw = await readBody(req, 1024 * 1024);
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    return undefined;
  }
}

async function route(
  state: PlanviewerSandboxState,
  f: { faults: FaultInjector; wireFaults: WireFaults },
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  const account = authenticate(state, req);
  if (!account) {
    sendJson(res, 401, { error: { code: 401, message: 'Unauthorized' } }, { 'www-authenticate': 'Basic realm="Planviewer"' });
    return;
  }
  const path = url.pathname.startsWith(API_ROOT) ? url.pathname.slice(API_ROOT.length) : undefined;
  const method = req.method ?? 'GET';
  const jobMatch = path ? /^\/(jobs\/retrieve|kik\/waiting|kik\/select)\/([^/]+)$/.exec(path) : null;

  if (method === 'GET' && path === '/products/list') return sendJson(res, 200, SANDBOX_PRODUCTS);
  if (method === 'POST' && path === '/search/structured') {
    const body = searchRequestSchema.safeParse(await jsonBody(req));
    if (!body.success) return error(res, 400, 'Invalid entity or query');
    return sendJson(res, 200, searchLocations(state.locations, body.data.entity, body.data.query));
  }
  if (method === 'POST' && path === '/intentions/list') {
    const body = (await jsonBody(req)) as { uuids?: unknown; products?: unknown } | undefined;
    if (!Array.isArray(body?.uuids) || !Array.isArray(body?.products)) return error(res, 400, 'Missing uuids or products');
    const groups = body.uuids.map((uuid) => ({
      uuid,
      intentions: [...state.intentions.values()]
        .filter((i) => i.location === uuid && (body.products as unknown[]).includes(i.product))
        .map(({ uuid: id, product, properties }) => ({ uuid: id, product, properties })),
    }));
    return sendJson(res, 200, groups);
  }
  if (method === 'POST' && path === '/jobs/order') {
    const body = orderRequestSchema.safeParse(await jsonBody(req));
    if (!body.success) return error(res, 400, 'Invalid set of uuids');
    const result = state.order(account, body.data.uuids);
    if ('jobs' in result) {
      if (f.wireFaults.lostOrderResponseRate > 0 && f.faults.random() < f.wireFaults.lostOrderResponseRate) {
        res.destroy(); // placed, but the answer never arrives
        return;
      }
      return sendJson(res, 200, result.jobs.map((j) => ({ uuid: j.uuid, job: { uuid: j.job } })));
    }
    if (result.refused === 'unknown') return error(res, 400, 'Invalid set of uuids');
    if (result.refused === 'payment') return error(res, 402, 'Payment Required');
    return sendJson(res, 429, [{ error: 'true', message: DAILY_CAP_MESSAGE }]);
  }
  if (method === 'GET' && path === '/jobs/status') {
    const uuids = url.searchParams.getAll(STATUS_UUID_PARAM);
    const jobs = uuids.map((u) => state.jobs.get(u));
    if (uuids.length === 0 || jobs.some((j) => !j || j.account !== account.accessKey)) return error(res, 400, 'Invalid set of uuids');
    const answer = (jobs as SandboxJob[]).map((job) => {
      state.polled(job);
      return { uuid: job.uuid, status: job.status, progress: { current: job.current, total: job.total } };
    });
    // The statuses are a closed set on the wire; a sandbox bug must not invent one.
    if (answer.some((a) => !JOB_STATUSES.includes(a.status))) throw new Error('invalid sandbox status');
    return sendJson(res, 200, answer);
  }
  if (jobMatch) {
    const [, kind, uuid] = jobMatch;
    const job = state.jobs.get(decodeURIComponent(uuid!));
    if (job && job.account !== account.accessKey) return error(res, 403, 'Forbidden');
    if (kind === 'jobs/retrieve' && method === 'GET') {
      if (!job || job.status !== 'finished') return error(res, 404, 'Job did not finish (successfully)');
      return sendDeliverable(state, f, job, res);
    }
    if (!job || job.status !== 'waiting for user') return error(res, 404, 'Job is not waiting for user');
    if (kind === 'kik/waiting' && method === 'GET') return sendJson(res, 200, WAITING_CHOICES);
    if (kind === 'kik/select' && method === 'POST') {
      const body = selectRequestSchema.safeParse(await jsonBody(req));
      const count = Object.keys(WAITING_CHOICES.locaties).length;
      if (!body.success || body.data.select.some((i) => i > count)) return error(res, 400, 'Invalid selection');
      state.select(job, body.data.select[0]!);
      return sendJson(res, 200, { success: true });
    }
  }
  error(res, 404, 'Not Found');
}

function authenticate(state: PlanviewerSandboxState, req: IncomingMessage) {
  const header = req.headers.authorization ?? '';
  const match = /^Basic\s+(.+)$/i.exec(header);
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return state.authenticate(decoded.slice(0, colon), decoded.slice(colon + 1));
}

function sendDeliverable(state: PlanviewerSandboxState, f: { faults: FaultInjector; wireFaults: WireFaults }, job: SandboxJob, res: ServerResponse): void {
  state.retrievals.set(job.uuid, (state.retrievals.get(job.uuid) ?? 0) + 1);
  if (f.wireFaults.oversize) return void sendOversizedDeliverable(state, f.wireFaults.oversize, job, res);
  const truncate = f.wireFaults.truncateRate > 0 && f.faults.random() < f.wireFaults.truncateRate;
  const corrupt = !truncate && f.wireFaults.corruptRate > 0 && f.faults.random() < f.wireFaults.corruptRate;
  res.writeHead(200, {
    'content-type': job.contentType,
    'content-length': job.size,
    'content-transfer-encoding': 'binary',
    'content-disposition': contentDisposition(job.filename),
  });
  const limit = truncate ? Math.floor(job.size / 2) : Infinity;
  let sent = 0;
  const source = state.deliverable(job);
  source.on('data', (chunk: Buffer) => {
    let out = chunk;
    if (corrupt && sent === 0) {
      out = Buffer.from(chunk);
      out[0] = out[0]! ^ 0xff;
    }
    if (sent + out.length > limit) {
      res.write(out.subarray(0, limit - sent));
      source.destroy();
      res.destroy(); // the promised Content-Length is never met
      return;
    }
    sent += out.length;
    if (!res.write(out)) {
      source.pause();
      res.once('drain', () => source.resume());
    }
  });
  source.on('end', () => res.end());
  res.on('close', () => source.destroy());
}

function sendOversizedDeliverable(state: PlanviewerSandboxState, fault: OversizeFault, job: SandboxJob, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  const source = state.deliverable(job);
  source.on('data', (chunk: Buffer) => chunks.push(chunk));
  source.on('end', () => {
    const headers = { 'content-type': job.contentType, 'content-length': job.size, 'content-transfer-encoding': 'binary', 'content-disposition': contentDisposition(job.filename) };
    sendOversized(res, fault, headers, Buffer.concat(chunks));
  });
}

/** ASCII names go in `filename="…"`; anything else (or unsafe in a header) in RFC 5987 `filename*`. */
function contentDisposition(name: string): string {
  const plain = /^[\x20-\x7e]*$/.test(name);
  const fallback = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return plain
    ? `attachment; filename="${name.replace(/(["\\])/g, '\\$1')}"`
    : `attachment; filename="${fallback}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}
