/**
 * The documented endpoints of Maasplassen API v2 (paths relative to `/api/v2`, matched with or without a
 * trailing slash) and what each answers. Authentication happens before a handler runs (see `server.ts`);
 * handlers check company ownership, arguments and payloads, and throw `SandboxApiError` for the error envelope.
 */
import { isCalendarDate, parsePayload, validateUpdate } from './availability.js';
import { BOAT_TYPES, type BoatType, type SandboxCompany } from './demo-data.js';
import { apiError, type SandboxApiError } from './errors.js';
import {
  addDays, renderBoatDetail, renderCompanyFleetBoat, renderFleetBoat, renderImages, renderJetties, renderJettiesPrivate,
  renderReviews, todayIn,
} from './render.js';
import type { KeyLookup, SandboxState } from './state.js';

export interface RouteContext {
  state: SandboxState;
  key: Extract<KeyLookup, { status: 'ok' }>;
  params: Record<string, string>;
  query: URLSearchParams;
  form: URLSearchParams;
  origin: string;
  now: number;
  /** Records the number of availability objects of this request in the request log. */
  noteObjects(objects: number): void;
}

export interface RouteReply {
  status: number;
  body: unknown;
}

interface Route {
  /** Path segments after `/api/v2`; `:name` captures one segment, `:name#` only digits. */
  pattern: string[];
  method: 'GET' | 'POST';
  /** HMAC-signed: over the payload when there is one, else over the path (see `SignedPathForm`). */
  signed: boolean;
  handle(ctx: RouteContext): RouteReply;
}

const ok = (ctx: RouteContext, data: unknown, meta: Record<string, unknown> = {}): RouteReply => ({
  status: 200,
  body: { meta: { status: 200, ...meta, owner: ctx.key.owner }, data },
});

/** The key must belong to the company in the URL, unless it is a superkey (403 otherwise, notes: *assumed*). */
function ownCompany(ctx: RouteContext): SandboxCompany {
  const id = Number(ctx.params.company);
  if (!ctx.key.superkey && ctx.key.company.id !== id) {
    throw apiError(403, 'forbidden', `This API-key does not belong to company ${id}! `);
  }
  const company = ctx.state.company(id);
  if (!company) throw apiError(404, 'companyNotFound', `Company ${id} not found.`);
  return company;
}

function publicCompany(ctx: RouteContext): SandboxCompany {
  const company = ctx.state.company(Number(ctx.params.company));
  if (!company) throw apiError(404, 'companyNotFound', `Company ${ctx.params.company} not found.`);
  return company;
}

function parseFilter(raw: string | null): BoatType[] {
  if (raw === null || raw.trim() === '') return [...BOAT_TYPES];
  const wanted = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const t of wanted) {
    if (!(BOAT_TYPES as readonly string[]).includes(t)) {
      throw apiError(400, 'invalidArgument', `Invalid filter entry "${t}". Allowed: ${BOAT_TYPES.join(', ')}.`);
    }
  }
  return wanted as BoatType[];
}

function fleet(ctx: RouteContext): RouteReply {
  const date = ctx.params.date ?? todayIn(ctx.now);
  if (!isCalendarDate(date)) throw apiError(400, 'invalidArgument', `Invalid date "${date}": expected yyyy-mm-dd.`);
  // "If not present in the database, or incorrect language, it falls back to nl."
  const lang = ctx.params.lang === 'de' ? 'de' : 'nl';
  const types = parseFilter(ctx.query.get('filter'));
  const listed = ctx.state
    .companies()
    .filter((c) => c.visible !== false)
    .flatMap((company) => company.boats.filter((b) => b.zichtbaar && types.includes(b.type)).map((boat) => ({ company, boat })));
  // Never pushed = the boat's standard prices; pushed null = blocked that day.
  const prizesOn = (d: string, { company, boat }: (typeof listed)[number]) => {
    const stored = ctx.state.availability(company.id, boat.ext_id, d);
    return stored === undefined ? (boat.standaardPrijs ?? []) : stored;
  };
  const boten = listed.map((entry) =>
    renderFleetBoat(entry.company, entry.boat, { origin: ctx.origin, date, lang, owner: ctx.key.owner, prizes: prizesOn(date, entry) }),
  );
  for (const companyId of new Set(listed.map((e) => e.company.id))) {
    ctx.state.record({ companyId, owner: ctx.key.owner, kind: 'view', at: ctx.now });
  }
  // Alternative dates: the next days (up to 3, looking two weeks ahead) on which at least one listed boat is bookable.
  const alternatives: string[] = [];
  for (let i = 1; i <= 14 && alternatives.length < 3; i++) {
    const d = addDays(date, i);
    if (listed.some((e) => (prizesOn(d, e)?.length ?? 0) > 0)) alternatives.push(d);
  }
  return ok(ctx, { boten }, { results: boten.length, alternatives, filter: { date, lang, type: types } });
}

function images(ctx: RouteContext): RouteReply {
  const found = ctx.state.boatById(Number(ctx.params.boatid));
  if (!found) throw apiError(404, 'boatNotFound', `Boat ${ctx.params.boatid} not found.`);
  const data = renderImages(found.boat, ctx.origin);
  return ok(ctx, data, { results: data.length });
}

function rentals(ctx: RouteContext): RouteReply {
  const data = ctx.state.companies().filter((c) => c.visible !== false).map((c) => ({ id: c.id, naam: c.naam }));
  return ok(ctx, data, { results: data.length });
}

function reviews(ctx: RouteContext): RouteReply {
  const company = publicCompany(ctx);
  const rawLimit = ctx.query.get('limit');
  const limit = rawLimit === null || rawLimit === '' ? 10 : Number(rawLimit);
  if (!Number.isSafeInteger(limit) || limit < 0) throw apiError(400, 'invalidArgument', `Invalid limit "${rawLimit}": expected a non-negative integer.`);
  const data = renderReviews(company, limit);
  return ok(ctx, data, { results: data.reviews.length });
}

const PERIOD_DAYS: Record<string, number> = { day: 1, week: 7, month: 30, year: 365, all: Infinity };

function stats(ctx: RouteContext): RouteReply {
  const company = ownCompany(ctx);
  const period = ctx.params.period ?? 'all';
  const days = PERIOD_DAYS[period] ?? (/^\d+$/.test(period) ? Number(period) : undefined);
  if (days === undefined) throw apiError(400, 'invalidArgument', `Invalid period "${period}". Allowed: day, week, month, year, all or a number of days.`);
  const since = ctx.now - days * 86_400_000;
  const events = ctx.state.events.filter((e) => e.companyId === company.id && e.at >= since);
  const count = (kind: 'view' | 'click') => {
    const byOwner: Record<string, number> = {};
    for (const e of events) if (e.kind === kind) byOwner[e.owner] = (byOwner[e.owner] ?? 0) + 1;
    return byOwner;
  };
  const views = count('view');
  const clicks = count('click');
  const total = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);
  const asStrings = (o: Record<string, number>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, String(v)]));
  // The document's example (2 clicks on 211 views → "0.94") shows a percentage truncated to two decimals.
  const ctr = total(views) === 0 ? 0 : Math.floor((total(clicks) / total(views)) * 10_000) / 100;
  const perDay: Record<string, { views: number; clicks: number }> = {};
  for (const e of events) {
    const day = (perDay[todayIn(e.at)] ??= { views: 0, clicks: 0 });
    day[e.kind === 'view' ? 'views' : 'clicks']++;
  }
  return ok(ctx, { views: asStrings(views), clicks: asStrings(clicks), ctr: ctr.toFixed(2), graph: JSON.stringify(perDay) });
}

function companyFleet(ctx: RouteContext): RouteReply {
  const data = ownCompany(ctx).boats.map(renderCompanyFleetBoat);
  return ok(ctx, data, { results: data.length });
}

function boat(ctx: RouteContext): RouteReply {
  const company = ownCompany(ctx);
  const found = company.boats.find((b) => b.bootid === Number(ctx.params.boatid));
  if (!found) throw apiError(404, 'boatNotFound', `Boat ${ctx.params.boatid} not found in the fleet of company ${company.id}.`);
  return ok(ctx, renderBoatDetail(found));
}

function availabilityUpdate(ctx: RouteContext): RouteReply {
  const company = ownCompany(ctx);
  const raw = ctx.form.get('payload');
  if (raw === null) throw apiError(400, 'invalidPayload', 'No payload supplied: send the URL-encoded JSON in the "payload" form field.');
  const { payload, objects } = parsePayload(raw);
  if (objects !== undefined) ctx.noteObjects(objects);
  const entries = validateUpdate(payload, company.id, ctx.state);
  ctx.state.commitAvailability(company.id, entries);
  return { status: 200, body: { meta: { message: 'Availability is updated.', original_payload: payload, status: 200, owner: ctx.key.owner }, data: null } };
}

const jettyPublic = (ctx: RouteContext) => ok(ctx, renderJetties(ctx.state.jetties, ctx.now), { results: ctx.state.jetties.length });
const jettyPrivate = (ctx: RouteContext) => ok(ctx, renderJettiesPrivate(ctx.state.jetties, ctx.now), { results: ctx.state.jetties.length });

const route = (path: string, method: Route['method'], signed: boolean, handle: Route['handle']): Route => ({
  pattern: path.split('/'), method, signed, handle,
});

/** Order matters: `/fleet/{boatid}/images` must win over `/fleet/{date}/{lang}`. */
const ROUTES: Route[] = [
  route('fleet/:boatid#/images', 'GET', false, images),
  route('fleet', 'GET', false, fleet),
  route('fleet/:date', 'GET', false, fleet),
  route('fleet/:date/:lang', 'GET', false, fleet),
  route('rentals', 'GET', false, rentals),
  route('company/:company#/reviews', 'GET', false, reviews),
  route('company/:company#/stats', 'POST', true, stats),
  route('company/:company#/stats/:period', 'POST', true, stats),
  route('company/:company#/fleet', 'POST', true, companyFleet),
  route('company/:company#/boat/:boatid#', 'POST', true, boat),
  route('company/:company#/availability/update', 'POST', true, availabilityUpdate),
  route('jetty', 'GET', false, jettyPublic),
  route('jetty', 'POST', true, jettyPrivate),
];

function matchPattern(pattern: string[], segments: string[]): Record<string, string> | undefined {
  if (pattern.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, p] of pattern.entries()) {
    const s = segments[i] as string;
    if (!p.startsWith(':')) {
      if (p !== s) return undefined;
      continue;
    }
    const digits = p.endsWith('#');
    if (digits && !/^\d+$/.test(s)) return undefined;
    params[p.slice(1, digits ? -1 : undefined)] = s;
  }
  return params;
}

/** The route for a method and path, or the 404/405 to answer. */
export function matchRoute(method: string, segments: string[]): { route: Route; params: Record<string, string> } | SandboxApiError {
  let pathMatched = false;
  for (const r of ROUTES) {
    const params = matchPattern(r.pattern, segments);
    if (!params) continue;
    if (r.method === method) return { route: r, params };
    pathMatched = true;
  }
  return pathMatched
    ? apiError(405, 'methodNotAllowed', `Method ${method} is not allowed for this endpoint.`)
    : apiError(404, 'notFound', 'Endpoint not found.');
}
