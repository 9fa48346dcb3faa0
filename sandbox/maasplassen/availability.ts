/**
 * Validation of the availability update payload, all-or-nothing: every object is checked before anything is
 * stored, and the answer names only the first problem (the vendor: "more information about the first error
 * discovered which triggered the rollback"). Status choice: 400 for a payload that is not JSON at all, 422 for
 * a JSON payload whose content is wrong (wrong company, bad object), mirroring Laravel's validation status.
 */
import { apiError } from './errors.js';
import type { AvailabilityEntry, SandboxState } from './state.js';
import type { SandboxPrize } from './demo-data.js';

/**
 * A real calendar date in ISO form: 2015-02-30 and 2015-2-3 are both refused. Checked by arithmetic (the proleptic
 * Gregorian calendar, as Date's): a Date and its ISO string per object were a tenth of the CPU of an update.
 */
export function isCalendarDate(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const parts = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!parts) return false;
  const year = Number(parts[1]);
  const month = Number(parts[2]);
  const day = Number(parts[3]);
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const show = (v: unknown) => (v === undefined ? 'missing' : JSON.stringify(v));

export interface ParsedUpdate {
  /** The decoded payload, echoed as `meta.original_payload`. */
  payload: unknown;
  /** Number of objects in `availability` when it is an array (for the request log), else undefined. */
  objects: number | undefined;
}

/** Parses the payload JSON; 400 when it is not JSON. */
export function parsePayload(raw: string): ParsedUpdate {
  let payload: unknown;
  try {
    payload = JSON.parse(raw);
  } catch {
    throw apiError(400, 'invalidPayload', 'The payload is not a valid JSON string. Send it URL-encoded in the "payload" form field.');
  }
  const objects = isRecord(payload) && Array.isArray(payload.availability) ? payload.availability.length : undefined;
  return { payload, objects };
}

/** Why one prize is wrong, or undefined when it is fine. */
function prizeProblem(prize: unknown, j: number): string | undefined {
  if (!isRecord(prize)) return `prizes[${j}] must be an object with desc and cents`;
  if (typeof prize.desc !== 'string' || prize.desc.trim() === '') return `prizes[${j}].desc must be a non-empty string, got ${show(prize.desc)}`;
  // desc_de is optional; PHP's isset() treats null as absent, so we do too.
  if (prize.desc_de !== undefined && prize.desc_de !== null && typeof prize.desc_de !== 'string') {
    return `prizes[${j}].desc_de must be a string, got ${show(prize.desc_de)}`;
  }
  if (typeof prize.cents !== 'number' || !Number.isSafeInteger(prize.cents) || prize.cents < 0) {
    return `prizes[${j}].cents must be a non-negative integer, got ${show(prize.cents)}`;
  }
  return undefined;
}

function toPrize(prize: Record<string, unknown>): SandboxPrize {
  const out: SandboxPrize = { desc: prize.desc as string, cents: prize.cents as number };
  if (typeof prize.desc_de === 'string') out.desc_de = prize.desc_de;
  return out;
}

/** The 422 for the first bad object, at index `i`. */
function rolledBack(i: number, boat: unknown, date: unknown, reason: string) {
  return apiError(422, 'availability', `Rolled back: availability[${i}] (boat ${show(boat)}, date ${show(date)}): ${reason}. Nothing was updated.`);
}

/**
 * Checks every object of a parsed payload against the company's fleet and returns the entries to store.
 * Throws a 422 naming the first bad object (index, boat, date and reason); nothing is stored in that case. The
 * entries share no object with the payload (it is echoed in the answer): they are the store's once committed.
 */
export function validateUpdate(payload: unknown, companyId: number, state: SandboxState): AvailabilityEntry[] {
  if (!isRecord(payload)) throw apiError(422, 'availability', 'The payload must be a JSON object with "company" and "availability".');
  if (payload.company === undefined || String(payload.company) !== String(companyId)) {
    throw apiError(422, 'availability', `Payload company ${show(payload.company)} does not match company ${companyId} in the URL. Nothing was updated.`);
  }
  if (!Array.isArray(payload.availability)) {
    throw apiError(422, 'availability', `"availability" must be an array, got ${show(payload.availability)}. Nothing was updated.`);
  }
  const entries: AvailabilityEntry[] = [];
  // The fleet cannot change while a request is checked (every state change is synchronous).
  const fleet = state.fleetExtIds(companyId);
  const objects = payload.availability as unknown[];
  for (let i = 0; i < objects.length; i++) {
    const item = objects[i];
    if (!isRecord(item)) throw rolledBack(i, undefined, undefined, 'expected an object with boat, date and prizes');
    const { boat, date, prizes } = item;
    if (typeof boat !== 'string' && typeof boat !== 'number') throw rolledBack(i, boat, date, 'boat must be your ext_id (string or number)');
    const extId = String(boat);
    if (!fleet.has(extId)) throw rolledBack(i, boat, date, `boat not found in the fleet of company ${companyId}`);
    if (!isCalendarDate(date)) throw rolledBack(i, boat, date, 'date must be a calendar date in the form YYYY-MM-DD');
    if (prizes === null) {
      entries.push({ extId, date, prizes: null });
      continue;
    }
    if (!Array.isArray(prizes)) throw rolledBack(i, boat, date, `prizes must be an array or null, got ${show(prizes)}`);
    for (const [j, p] of (prizes as unknown[]).entries()) {
      const problem = prizeProblem(p, j);
      if (problem) throw rolledBack(i, boat, date, problem);
    }
    entries.push({ extId, date, prizes: (prizes as Record<string, unknown>[]).map(toPrize) });
  }
  return entries;
}
