import { BoundedMemo } from '../../core/bounded-memo.js';
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
 * `contentHash(prizes)`, the hash stored for every pushed boat-date, for a whole run of them. Prices repeat (a boat
 * type's season, a weekend rate), so a price list seen before reuses its hash and its wire JSON: it is looked up by
 * a short key written from its fields, and only a new one is rebuilt as prize objects with their keys in sorted
 * order (cents < desc < desc_de), which JSON.stringify writes as the bytes of the generic canonical stringify.
 * Stored hashes from every earlier version must keep matching, or an upgrade would push every boat-date again:
 * test/maasplassen/prizes-hash.test.ts pins both.
 */
export class PrizesHasher {
  /** A price list, remembered under `lookupKey` of its prizes. */
  readonly #seen = new BoundedMemo(MAX_SEEN, priceList, lookupKey);

  priceList(prizes: readonly Prize[] | null): PriceList {
    return this.#seen.get(prizes);
  }
}

/** Distinct price lists a hasher remembers (a few MB at most). */
const MAX_SEEN = 10_000;

/**
 * A key that tells price lists apart by their fields alone, whatever the key order of the objects: each prize as
 * its cents, then each text with its length in front, so no text can run into the next field. Much cheaper than
 * the canonical JSON (no objects, no escaping) for a row whose price list is nearly always one seen before.
 */
function lookupKey(prizes: readonly Prize[] | null): string {
  if (prizes === null) return 'null';
  let key = '';
  for (const p of prizes) {
    key += `${p.cents}:${p.desc.length}:${p.desc}`;
    key += p.desc_de === undefined ? ';' : `,${p.desc_de.length}:${p.desc_de};`;
  }
  return key;
}

function sortedKeys(p: Prize): Prize {
  return p.desc_de === undefined ? { cents: p.cents, desc: p.desc } : { cents: p.cents, desc: p.desc, desc_de: p.desc_de };
}

/** The wire JSON is written from the canonical form, so it does not depend on the key order of the objects first seen. */
function priceList(prizes: readonly Prize[] | null): PriceList {
  const canonical = prizes === null ? 'null' : JSON.stringify(prizes.map(sortedKeys));
  const wire = prizes?.map((p) => (p.desc_de === undefined ? { desc: p.desc, cents: p.cents } : { desc: p.desc, desc_de: p.desc_de, cents: p.cents }));
  return { hash: hashOfCanonicalJson(canonical), json: JSON.stringify(wire ?? null) };
}
