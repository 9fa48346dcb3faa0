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
 * `contentHash(prizes)`, the hash stored for every pushed boat-date, for a whole run of them. Prize objects
 * rebuilt with their keys in sorted order (cents < desc < desc_de) make JSON.stringify write the bytes of the
 * generic canonical stringify, and prices repeat (a boat type's season, a weekend rate), so a price list seen
 * before reuses its hash, and its wire JSON. Stored hashes from every earlier version must keep matching, or an
 * upgrade would push every boat-date again: test/maasplassen/prizes-hash.test.ts pins both.
 */
export class PrizesHasher {
  /** Canonical JSON → its price list. */
  readonly #seen = new BoundedMemo(MAX_SEEN, priceList);

  priceList(prizes: readonly Prize[] | null): PriceList {
    return this.#seen.get(prizes === null ? 'null' : JSON.stringify(prizes.map(sortedKeys)));
  }
}

/** Distinct price lists a hasher remembers (a few MB at most). */
const MAX_SEEN = 10_000;

function sortedKeys(p: Prize): Prize {
  return p.desc_de === undefined ? { cents: p.cents, desc: p.desc } : { cents: p.cents, desc: p.desc, desc_de: p.desc_de };
}

/** The wire JSON is written from the canonical form, so it does not depend on the key order of the objects first seen. */
function priceList(canonical: string): PriceList {
  const prizes = JSON.parse(canonical) as Prize[] | null;
  const wire = prizes?.map((p) => (p.desc_de === undefined ? { desc: p.desc, cents: p.cents } : { desc: p.desc, desc_de: p.desc_de, cents: p.cents }));
  return { hash: hashOfCanonicalJson(canonical), json: JSON.stringify(wire ?? null) };
}
