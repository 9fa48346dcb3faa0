import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { formatIssues } from '../../config/format-issues.js';
import { BoundedMemo } from '../../core/bounded-memo.js';
import { calendarDate } from '../../core/calendar-date.js';
import { ConfigError } from '../../core/errors.js';
import { type PriceList, PriceOptions, PrizesHasher } from './prizes-hash.js';

/** Which source column holds what. Loaded from `mappings/*.yaml`. */
export const availabilityMappingSchema = z
  .object({
    /** Column with your external boat id. */
    boat: z.string().min(1),
    /** Column with the date, `YYYY-MM-DD` or `DD-MM-YYYY`. */
    date: z.string().min(1),
    /** Optional column that can mark a day as not available. */
    available: z.string().min(1).optional(),
    /** Values (case-insensitive) of `available` that block the day. */
    not_available_values: z.array(z.string()).default(['no', 'nee', '0', 'false', 'n', 'not available', 'niet beschikbaar']),
    /** One group of columns per price option. */
    prices: z.array(z.object({ desc: z.string().min(1), desc_de: z.string().min(1).optional(), cents: z.string().min(1) }).strict()).min(1),
    /** `cents` (integers) or `euros` ("95,00", "95.00"). @default "cents" */
    amount_unit: z.enum(['cents', 'euros']).default('cents'),
  })
  .strict();

export type AvailabilityMapping = z.output<typeof availabilityMappingSchema>;

export function loadAvailabilityMapping(path: string): AvailabilityMapping {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ConfigError(`mapping ${path}: ${(err as Error).message}`);
  }
  const parsed = availabilityMappingSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) throw new ConfigError(`mapping ${path}:\n  ${formatIssues(parsed.error.issues).join('\n  ')}`);
  return parsed.data;
}

/** A row as a boat-date: `boat` is OUR external id; `prices` is shared by every boat-date with the same prizes. */
export interface MappedRow {
  boat: string;
  date: string;
  prices: PriceList;
}

/** Why a row could not become an entry: the field at fault and the value found. */
export interface RowProblem {
  field: string;
  reason: string;
  value?: unknown;
}

const MAX_DESC = 255;

/** Where each column the mapping names is in a row's fields (-1: not in the source). */
interface ColumnPlaces {
  columns: readonly string[];
  boat: number;
  date: number;
  available: number;
  prices: { desc: number; descDe: number; cents: number }[];
}

/**
 * Turns source rows into boat-dates, or says what is wrong with a row. Checks everything the service would
 * check except fleet membership (the pipeline does that against the mirrored fleet). One mapper serves a whole
 * run: the mapping's lookups are prepared once, columns are found by position once per column list, a date's
 * text is parsed once, not once per boat, and a row's price options go straight to the run's price lists
 * (no prize objects for a price list seen before).
 */
export class AvailabilityRowMapper {
  readonly #m: AvailabilityMapping;
  /** `not_available_values`, lower-cased. */
  readonly #notAvailable: ReadonlySet<string>;
  /** Date cell text → its `normaliseDate`; a source repeats every date once per boat. */
  readonly #dates = new BoundedMemo(MAX_DATES, normaliseDate);
  /** The places for the last column list seen (a file has one; a query's fetches each bring theirs). */
  #places: ColumnPlaces | undefined;
  readonly #prices = new PrizesHasher();
  /** The options of the row in hand: refilled for every row. */
  readonly #options = new PriceOptions();

  constructor(m: AvailabilityMapping) {
    this.#m = m;
    this.#notAvailable = new Set(m.not_available_values.map((v) => v.toLowerCase()));
  }

  /** `fields` in the order of `columns`; a column named twice counts with its last value. */
  map(columns: readonly string[], fields: readonly unknown[]): MappedRow | RowProblem {
    const m = this.#m;
    const at = this.#placesOf(columns);
    if (at.boat < 0) return { field: m.boat, reason: `column "${m.boat}" is missing from the source` };
    if (at.date < 0) return { field: m.date, reason: `column "${m.date}" is missing from the source` };
    const boat = cell(fields, at.boat);
    if (!boat) return { field: m.boat, reason: 'boat id is empty' };
    const dateText = cell(fields, at.date);
    const date = this.#dates.get(dateText);
    if (!date) return { field: m.date, reason: 'expected a date YYYY-MM-DD', value: dateText };

    if (m.available && this.#notAvailable.has(cell(fields, at.available).toLowerCase())) {
      return { boat, date, prices: this.#prices.find(null) };
    }
    const options = this.#options;
    options.clear();
    for (let g = 0; g < m.prices.length; g++) {
      const group = m.prices[g]!;
      const place = at.prices[g]!;
      const desc = cell(fields, place.desc);
      const descDe = cell(fields, place.descDe);
      const amount = cell(fields, place.cents);
      if (!desc && !amount && !descDe) continue;
      if (!desc) return { field: group.desc, reason: 'price option has an amount but no description', value: amount };
      if (desc.length > MAX_DESC) return { field: group.desc, reason: `description longer than ${MAX_DESC} characters`, value: desc };
      const cents = parseAmount(amount, m.amount_unit);
      if (cents === undefined) {
        return { field: group.cents, reason: m.amount_unit === 'cents' ? 'expected a non-negative whole number of cents' : 'expected a non-negative amount in euros', value: amount };
      }
      options.add(desc, descDe || undefined, cents);
    }
    if (options.count === 0) {
      return { field: m.prices[0]!.cents, reason: 'no price options and not marked as not available' };
    }
    return { boat, date, prices: this.#prices.find(options) };
  }

  #placesOf(columns: readonly string[]): ColumnPlaces {
    if (this.#places?.columns === columns) return this.#places;
    const m = this.#m;
    const place = (column: string | undefined) => (column === undefined ? -1 : columns.lastIndexOf(column));
    this.#places = {
      columns,
      boat: place(m.boat),
      date: place(m.date),
      available: place(m.available),
      prices: m.prices.map((group) => ({ desc: place(group.desc), descDe: place(group.desc_de), cents: place(group.cents) })),
    };
    return this.#places;
  }
}

/** Distinct date texts a mapper remembers: decades of days, a few hundred kB. */
const MAX_DATES = 10_000;

/** A field's text, trimmed; '' when absent (place -1) or null. */
function cell(fields: readonly unknown[], place: number): string {
  const v = place < 0 ? undefined : fields[place];
  if (v === null || v === undefined) return '';
  // Sources hand over text (the SQL source reads date columns as text too), never a JS Date.
  return String(v).trim();
}

/**
 * `YYYY-MM-DD` or `DD-MM-YYYY` → `YYYY-MM-DD` when it is a real calendar date. A `timestamp` column's text at
 * midnight (`2027-06-01 00:00:00`, no zone) is that date too; any other time or a zone offset is not a day.
 */
export function normaliseDate(text: string): string | undefined {
  let m = /^(\d{4})-(\d{2})-(\d{2})(?:[ T]00:00(?::00(?:\.0+)?)?)?$/.exec(text);
  if (m) return calendarDate(Number(m[1]), Number(m[2]), Number(m[3]));
  if ((m = /^(\d{2})-(\d{2})-(\d{4})$/.exec(text))) return calendarDate(Number(m[3]), Number(m[2]), Number(m[1]));
  return undefined;
}

// Made once: a regex literal in the function body is a new RegExp object (56 bytes) for every amount of every row.
const CENTS = /^\d{1,12}$/;
const EUROS = /^(\d{1,10})(?:[.,](\d{1,2}))?$/;

/** Whole cents, or undefined. Euros are parsed as text so that "0,10" is exactly 10 cents. */
export function parseAmount(text: string, unit: 'cents' | 'euros'): number | undefined {
  if (unit === 'cents') {
    if (!CENTS.test(text)) return undefined;
    return Number(text);
  }
  const m = EUROS.exec(text);
  if (!m) return undefined;
  return Number(m[1]) * 100 + Number((m[2] ?? '0').padEnd(2, '0'));
}
