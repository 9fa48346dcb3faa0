import type { Logger } from 'pino';
import { z } from 'zod';
import { RetryableError } from '../../core/errors.js';
import { parseJsonOrUndefined, requestUpstreamBytes } from '../../core/http-request.js';
import type { UpstreamGateway } from '../../core/upstream-gateway.js';
import { type MaasplassenConfig, TRAILING_SLASH } from './config.js';
import { maasplassenError } from './errors.js';
import { maasplassenSignature } from './hmac.js';
import { signedForm, withoutEcho } from './wire.js';

/** One price option for a boat-date. `desc_de` is optional. */
export interface Prize {
  desc: string;
  desc_de?: string | undefined;
  cents: number;
}

/** One boat-date: `prizes: null` actively blocks the day ("not available"). `boat` is OUR external id. */
export interface AvailabilityEntry {
  boat: string;
  date: string;
  prizes: Prize[] | null;
}

/**
 * One boat-date as the service receives it, in the `availability` array of an update: a pending push keeps
 * this one string instead of a tree of objects (tens of thousands wait in memory for their chunk).
 */
export type AvailabilityEntryJson = string & { readonly __wire: 'maasplassen availability entry' };

/** The wire form of an entry; the one place that decides it. */
export function availabilityEntryJson(e: AvailabilityEntry): AvailabilityEntryJson {
  return availabilityEntryJsonOf(availabilityBoatJson(e.boat), e.date, JSON.stringify(e.prizes));
}

/**
 * The wire form of an entry from the JSON of its boat id (`availabilityBoatJson`) and of its prizes
 * (`JSON.stringify`): a run whose boats and price lists repeat writes each of those once. The same bytes as
 * JSON.stringify of `{ boat, date, prizes }`.
 */
export function availabilityEntryJsonOf(boatJson: string, date: string, prizesJson: string): AvailabilityEntryJson {
  return `{"boat":${boatJson},"date":${JSON.stringify(date)},"prizes":${prizesJson}}` as AvailabilityEntryJson;
}

/** A boat id as the service receives it, in JSON. */
export function availabilityBoatJson(boat: string): string {
  return JSON.stringify(numericIfPossible(boat));
}

/** A boat of the company fleet as the service reports it (`POST /company/{id}/fleet/`). */
export interface FleetBoat {
  id: string;
  extId: string | null;
  name: string;
  type: string | null;
  visible: boolean;
  updatedAt: string | null;
}

// The service often sends numbers as strings ("zichtbaar": "1"): parse leniently, hand out typed values.
const idLike = z.union([z.string(), z.number()]).transform(String);
const flag = z.union([z.boolean(), z.number(), z.string()]).transform((v) => v === true || v === 1 || v === '1' || v === 'true');

const fleetSchema = z.object({
  meta: z.object({ status: z.union([z.number(), z.string()]).optional() }).loose(),
  data: z.array(
    z
      .object({
        id: idLike,
        ext_id: idLike.nullable().optional(),
        naam: z.string().nullable().optional(),
        type: z.string().nullable().optional(),
        zichtbaar: flag.optional(),
        updated_at: z.string().nullable().optional(),
      })
      .loose(),
  ),
});

const updateSchema = z.object({
  meta: z.object({ status: z.union([z.number(), z.string()]).optional(), message: z.string().optional() }).loose(),
});

/**
 * Maasplassen API v2. Every call carries `apikey`; signed calls are form-encoded POSTs with `hmac` (and
 * `payload`), signed over the payload string as sent, else over the request path as sent.
 */
export class MaasplassenClient {
  readonly #cfg: MaasplassenConfig;
  readonly #gateway: UpstreamGateway;
  readonly #log: Logger;

  constructor(cfg: MaasplassenConfig, gateway: UpstreamGateway, log: Logger) {
    this.#cfg = cfg;
    this.#gateway = gateway;
    this.#log = log;
  }

  get companyId(): number {
    return this.#cfg.company_id;
  }

  /** The company's whole fleet (our external id ↔ their boat id). */
  async fleet(signal?: AbortSignal): Promise<FleetBoat[]> {
    const body = await this.#signedPost('fleet', `/company/${this.#cfg.company_id}/fleet`, undefined, signal);
    const parsed = parse(fleetSchema, body, 'fleet');
    return parsed.data.map((b) => ({
      id: b.id,
      extId: b.ext_id ?? null,
      name: b.naam ?? '',
      type: b.type ?? null,
      visible: b.zichtbaar ?? false,
      updatedAt: b.updated_at ?? null,
    }));
  }

  /**
   * Pushes boat-dates, each already in its wire form, in one request. All or nothing: a PayloadRejectedError
   * means nothing was stored and names only the first bad entry.
   */
  updateAvailability(entries: readonly AvailabilityEntryJson[], signal?: AbortSignal): Promise<void> {
    // The same bytes as JSON.stringify of { company, availability: [entries] }: the entries are JSON already.
    const payload = `{"company":${this.#cfg.company_id},"availability":[${entries.join(',')}]}`;
    const count = entries.length;
    // Not an async function: nothing but the count outlives this call while the request is in flight, so the
    // entries' strings (tens of kB per request) die young instead of being copied by every collection meanwhile.
    return this.#signedPost('availability.update', `/company/${this.#cfg.company_id}/availability/update`, payload, signal).then((body) => {
      parse(updateSchema, body, 'availability.update');
      this.#log.debug({ entries: count }, 'availability pushed');
    });
  }

  /**
   * A signed POST. With a payload, the signature is over the payload and the path is sent as given. Without
   * one, the path is signed, and `trailing_slash` decides its slash as sent and as signed (`path` has none).
   */
  async #signedPost(op: string, path: string, payload: string | undefined, signal?: AbortSignal): Promise<unknown> {
    const slash = this.#cfg.trailing_slash;
    const sent = payload === undefined && slash === 'sent_and_signed' ? `${path}/` : path;
    const url = new URL(this.#cfg.base_url.replace(/\/+$/, '') + sent);
    url.searchParams.set('apikey', this.#cfg.apikey);
    const signedPath = payload === undefined && slash === 'signed_only' ? `${url.pathname}/` : url.pathname;
    // Sign the exact string that is sent: never re-serialise between signing and sending. The payload is kept
    // as its UTF-8 bytes (off the JS heap) to compare with the answer's echo; its string dies with this call.
    const sentPayload = payload === undefined ? undefined : Buffer.from(payload, 'utf8');
    const form = signedForm(payload, maasplassenSignature(this.#cfg.secret, sentPayload ?? signedPath));
    // Only a path signature depends on the slash; a payload signature only on the secret.
    const hmacHint =
      payload === undefined
        ? `the path was sent as ${url.pathname} and signed as ${signedPath}: check upstreams.maasplassen.secret, then try upstreams.maasplassen.trailing_slash: ${TRAILING_SLASH.filter((t) => t !== slash).join(' or ')} (now ${slash})`
        : 'check upstreams.maasplassen.secret';
    return this.#gateway.call(
      op,
      async (attemptSignal) => {
        const res = await requestUpstreamBytes({
          upstream: 'maasplassen',
          op,
          url,
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
          body: form,
          timeoutMs: this.#cfg.timeout_ms,
          signal: attemptSignal,
        });
        const json = parseJsonOrUndefined(sentPayload === undefined ? res.body.toString('utf8') : withoutEcho(res.body, sentPayload));
        const envelopeError = json && typeof json === 'object' && 'error' in json;
        if (!res.ok || envelopeError) throw maasplassenError(res.ok ? 400 : res.status, res.headers, json, { op }, hmacHint);
        if (json === undefined) throw new RetryableError(`maasplassen ${op}: answer was not JSON (HTTP ${res.status})`, { upstream: 'maasplassen', op });
        return json;
      },
      { signal },
    );
  }
}

function parse<T extends z.ZodType>(schema: T, body: unknown, op: string): z.output<T> {
  const result = schema.safeParse(body);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new RetryableError(`maasplassen ${op}: unexpected answer shape at ${issue?.path.join('.') || '(root)'}: ${issue?.message}`, {
      upstream: 'maasplassen',
      op,
    });
  }
  return result.data;
}

/** The document's example sends `"boat": 7`; keep numeric ids numeric, others as strings. */
function numericIfPossible(id: string): string | number {
  return /^(0|[1-9]\d{0,14})$/.test(id) ? Number(id) : id;
}
