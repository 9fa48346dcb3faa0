import { hashOfCanonicalJson } from '../../core/content-hash.js';
import type { Prize } from '../../upstreams/maasplassen/client.js';

/** A boat-date's price list as a run keeps it: shared by every boat-date with the same prices. */
export interface PriceList {
  /** `contentHash(prizes)`, what is stored for a pushed boat-date. */
  readonly hash: string;
  /** The prizes as the service receives them (`JSON.stringify`, keys desc, desc_de, cents). */
  readonly json: string;
}

/**
 * The price options of one row as plain fields, filled by the mapper for every row and read by `PrizesHasher.find`:
 * one scratch serves a whole run, so a row whose price list was seen before builds no prize object, array or key.
 */
export class PriceOptions {
  count = 0;
  readonly desc: string[] = [];
  /** undefined: the option has no German text (not the same as ''). */
  readonly descDe: (string | undefined)[] = [];
  readonly cents: number[] = [];

  /** Forgets the options of the last row. */
  clear(): void {
    this.count = 0;
  }

  add(desc: string, descDe: string | undefined, cents: number): void {
    const i = this.count++;
    this.desc[i] = desc;
    this.descDe[i] = descDe;
    this.cents[i] = cents;
  }
}

/**
 * One option on the walk to a price list (the root: no option yet): the list whose last option it is, if any, the
 * options that follow it, and another option with the same cents at the same place (no array per cents value: a
 * full hasher holds tens of thousands of these).
 */
interface Step {
  desc: string;
  descDe: string | undefined;
  list: PriceList | undefined;
  next: Map<number, Step> | undefined;
  other: Step | undefined;
}

const newStep = (desc: string, descDe: string | undefined, other: Step | undefined): Step => ({ desc, descDe, list: undefined, next: undefined, other });

/**
 * `contentHash(prizes)`, the hash stored for every pushed boat-date, for a whole run of them. Prices repeat (a boat
 * type's season, a weekend rate), so a price list seen before reuses its hash and its wire JSON: it is found by
 * walking its options' fields (cents, then the texts compared as they are), whatever the key order of any object,
 * and only a new one is built as prize objects with their keys in sorted order (cents < desc < desc_de), which
 * JSON.stringify writes as the bytes of the generic canonical stringify. Stored hashes from every earlier version
 * must keep matching, or an upgrade would push every boat-date again: test/maasplassen/prizes-hash.test.ts pins both.
 */
export class PrizesHasher {
  /** Every price list seen, at the end of its options' path; holds at most MAX_SEEN lists (see #lists). */
  #root = newStep('', undefined, undefined);
  /** Lists under #root: at MAX_SEEN the walk starts over from an empty root, so memory stays bounded. */
  #lists = 0;
  #null: PriceList | undefined;

  /** The price list of these prizes (null: not available). */
  priceList(prizes: readonly Prize[] | null): PriceList {
    if (prizes === null) return this.find(null);
    const options = new PriceOptions();
    for (const p of prizes) options.add(p.desc, p.desc_de, p.cents);
    return this.find(options);
  }

  /** The price list of a row's options (null: not available). */
  find(options: PriceOptions | null): PriceList {
    if (options === null) return (this.#null ??= newPriceList(null));
    if (this.#lists >= MAX_SEEN) {
      this.#root = newStep('', undefined, undefined);
      this.#lists = 0;
    }
    let step = this.#root;
    for (let i = 0; i < options.count; i++) {
      const desc = options.desc[i]!;
      const descDe = options.descDe[i];
      const cents = options.cents[i]!;
      const next = (step.next ??= new Map());
      let to = next.get(cents);
      while (to !== undefined && (to.desc !== desc || to.descDe !== descDe)) to = to.other;
      if (to === undefined) next.set(cents, (to = newStep(detached(desc), descDe === undefined ? undefined : detached(descDe), next.get(cents))));
      step = to;
    }
    if (step.list === undefined) {
      step.list = newPriceList(prizesOf(options));
      this.#lists++;
    }
    return step.list;
  }
}

/** Distinct price lists a hasher remembers (about 10 MB at most: 10,000 lists of three options that all differ). */
const MAX_SEEN = 10_000;

/**
 * A copy of a text that keeps nothing else alive: a CSV field of 13 characters or more is a slice of the whole
 * decoded chunk, which a remembered price list would otherwise hold for the rest of the run.
 */
function detached(text: string): string {
  return JSON.parse(JSON.stringify(text)) as string;
}

function prizesOf(options: PriceOptions): Prize[] {
  const prizes: Prize[] = [];
  for (let i = 0; i < options.count; i++) {
    const descDe = options.descDe[i];
    prizes.push(descDe === undefined ? { desc: options.desc[i]!, cents: options.cents[i]! } : { desc: options.desc[i]!, desc_de: descDe, cents: options.cents[i]! });
  }
  return prizes;
}

function sortedKeys(p: Prize): Prize {
  return p.desc_de === undefined ? { cents: p.cents, desc: p.desc } : { cents: p.cents, desc: p.desc, desc_de: p.desc_de };
}

/** The wire JSON is written from the canonical form, so it does not depend on the key order of the objects first seen. */
function newPriceList(prizes: readonly Prize[] | null): PriceList {
  const canonical = prizes === null ? 'null' : JSON.stringify(prizes.map(sortedKeys));
  const wire = prizes?.map((p) => (p.desc_de === undefined ? { desc: p.desc, cents: p.cents } : { desc: p.desc, desc_de: p.desc_de, cents: p.cents }));
  return { hash: hashOfCanonicalJson(canonical), json: JSON.stringify(wire ?? null) };
}
