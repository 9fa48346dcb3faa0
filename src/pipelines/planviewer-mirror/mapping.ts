/**
 * From an order request's payload to a Planviewer search and back: the payload schema, address and lot
 * parsing, the structured query, and the exact-match rule that keeps koppel from ordering for a location
 * the user did not mean.
 */
import { z } from 'zod';
import { ADDRESS_FIELDS, LOT_FIELDS, type Location, type LocationEntity, type SearchQuery } from '../../upstreams/planviewer/api.js';
import { intentionRuleSchema } from './intention-rule.js';

/** What a request row's `request` column holds (the CLI writes it; other applications may insert it). */
export const planviewerRequestSchema = z
  .object({
    /** Free text with a postcode and a house number, e.g. "Castellastraat 2, 6512EX Nijmegen" or "6512 EX 2-1". */
    address: z.string().min(1).optional(),
    /** Cadastral lot "<gemeente> <sectie> <perceelnummer>", e.g. "ARNHEM P 530". */
    lot: z.string().min(1).optional(),
    /** Product slug, e.g. "bestemmingsplanrapport". */
    product: z.string().min(1),
    /** Overrides the pipeline's `intention_rule` for this request. */
    intention_rule: intentionRuleSchema.optional(),
    /** Set by a human resolving an ambiguous location: search is skipped. */
    location_uuid: z.string().min(1).optional(),
  })
  .loose()
  .refine((r) => (r.address ? 1 : 0) + (r.lot ? 1 : 0) + (r.location_uuid ? 1 : 0) >= 1, 'expected "address", "lot" or "location_uuid"')
  .refine((r) => !(r.address && r.lot), 'expected either "address" or "lot", not both');

export type PlanviewerRequest = z.output<typeof planviewerRequestSchema>;

export interface AddressQuery {
  postcode: string;
  number: string;
  letter: string | null;
  addition: string | null;
}

export interface LotQuery {
  municipality: string;
  section: string;
  number: string;
}

/** Finds the postcode (1234AB) and the house number (+ letter, + addition after "-") in free text. */
export function parseAddress(text: string): AddressQuery | undefined {
  const pc = /\b(\d{4})\s?([A-Za-z]{2})\b/.exec(text);
  if (!pc) return undefined;
  const rest = `${text.slice(0, pc.index)} ${text.slice(pc.index + pc[0].length)}`;
  const nr = /(?:^|[\s,])(\d{1,5})(?:\s?([A-Za-z])(?![A-Za-z]))?(?:\s*-\s*([A-Za-z0-9]{1,4}))?(?=$|[\s,])/.exec(rest);
  if (!nr) return undefined;
  return { postcode: `${pc[1]}${pc[2]!.toUpperCase()}`, number: nr[1]!, letter: nr[2]?.toLowerCase() ?? null, addition: nr[3] ?? null };
}

/** "ARNHEM P 530" → municipality, section, number. */
export function parseLot(text: string): LotQuery | undefined {
  const m = /^\s*([A-Za-z][A-Za-z' -]*?)\s+([A-Za-z]{1,2})\s+(\d{1,6})\s*$/.exec(text);
  return m ? { municipality: m[1]!.toUpperCase(), section: m[2]!.toUpperCase(), number: m[3]! } : undefined;
}

const field = (name: string, query: string): SearchQuery => ({ field: { fields: [name], query } });

/** The structured search for a parsed address or lot (`bool.must` of `field` clauses, like the vendor's example). */
export function searchFor(q: { address: AddressQuery } | { lot: LotQuery }): { entity: LocationEntity; query: SearchQuery } {
  if ('address' in q) {
    const a = q.address;
    const must = [field(ADDRESS_FIELDS.postcode, a.postcode), field(ADDRESS_FIELDS.number, a.number)];
    if (a.letter) must.push(field(ADDRESS_FIELDS.letter, a.letter));
    return { entity: 'adres', query: { bool: { must } } };
  }
  const l = q.lot;
  return {
    entity: 'perceel',
    query: { bool: { must: [field(LOT_FIELDS.municipality, l.municipality), field(LOT_FIELDS.section, l.section), field(LOT_FIELDS.number, l.number)] } },
  };
}

const norm = (v: unknown): string => (v === null || v === undefined ? '' : String(v).toLowerCase().replace(/\s+/g, ''));

function exact(loc: Location, q: { address: AddressQuery } | { lot: LotQuery }): boolean {
  const p = loc.properties;
  if ('address' in q) {
    const a = q.address;
    return (
      norm(p.postcode) === norm(a.postcode) &&
      norm(p.huisnummer) === norm(a.number) &&
      norm(p.huisletter) === norm(a.letter) &&
      norm(p.huisnummertoevoeging) === norm(a.addition)
    );
  }
  const l = q.lot;
  return norm(p.kadastrale_gemeente) === norm(l.municipality) && norm(p.sectie) === norm(l.section) && norm(p.perceelnummer) === norm(l.number);
}

export type LocationChoice = { ok: true; location: Location } | { ok: false; wait: boolean; reason: string; candidates: Location[] };

/**
 * How far ahead the exact match must score to count as "clearly ahead" of every other result: within 5 % is a
 * shared top score. Scores only compare within one answer, so the lead is relative, not a fixed number.
 */
export const CLEAR_LEAD = 1.05;

/**
 * The ambiguity rule (planviewer-notes.md): order only when exactly one result matches every given field
 * exactly (an absent letter or addition must be absent on the location too) *and* it scores clearly ahead of
 * every other result. Either condition failing is enough to wait: "Castellastraat 2" matches its fields exactly
 * but scores the same as "Castellastraat 2A", and an order for the wrong one is paid twice. A waiting request
 * lists its candidates; no result at all fails the request.
 */
export function chooseLocation(results: readonly Location[], q: { address: AddressQuery } | { lot: LotQuery }): LocationChoice {
  if (results.length === 0) return { ok: false, wait: false, reason: 'Planviewer found no location for this request', candidates: [] };
  const matches = results.filter((r) => exact(r, q));
  const top = Math.max(...results.map((r) => r.score));
  const candidates = results.slice(0, 10);
  if (matches.length === 0) return { ok: false, wait: true, reason: 'no location matches the request exactly; choose one', candidates };
  if (matches.length > 1) return { ok: false, wait: true, reason: `${matches.length} locations match the request exactly; choose one`, candidates: matches };
  const only = matches[0]!;
  if (only.score < top) {
    return { ok: false, wait: true, reason: `the exact match "${only.title}" is not the best search result; confirm it`, candidates };
  }
  const rivals = results.filter((r) => r !== only && r.score * CLEAR_LEAD >= only.score);
  if (rivals.length > 0) {
    const names = rivals.slice(0, 3).map((r) => `"${r.title}"`).join(', ') + (rivals.length > 3 ? ` and ${rivals.length - 3} more` : '');
    return { ok: false, wait: true, reason: `the exact match "${only.title}" scores no better than ${names}; choose one`, candidates: [only, ...rivals].slice(0, 10) };
  }
  return { ok: true, location: only };
}

/** A short, printable form of candidates for reasons, logs and `status`. */
export function describeLocations(locations: readonly Location[]): { uuid: string; title: string; score: number }[] {
  return locations.map((l) => ({ uuid: l.uuid, title: l.title, score: l.score }));
}
