import { BoundedMemo } from '../../core/bounded-memo.js';
import { hashOfCanonicalJson } from '../../core/content-hash.js';
import type { Prize } from '../../upstreams/maasplassen/client.js';

/**
 * `contentHash(prizes)`, the hash stored for every pushed boat-date, for a whole run of them. Prize objects
 * rebuilt with their keys in sorted order (cents < desc < desc_de) make JSON.stringify write the bytes of the
 * generic canonical stringify, and prices repeat (a boat type's season, a weekend rate), so a price list seen
 * before reuses its hash. Stored hashes from every earlier version must keep matching, or an upgrade would push
 * every boat-date again: test/maasplassen/prizes-hash.test.ts pins both.
 */
export class PrizesHasher {
  /** Canonical JSON → its hash. */
  readonly #seen = new BoundedMemo(MAX_SEEN, hashOfCanonicalJson);

  hash(prizes: readonly Prize[] | null): string {
    return this.#seen.get(prizes === null ? 'null' : JSON.stringify(prizes.map(sortedKeys)));
  }
}

/** Distinct price lists a hasher remembers (a few MB at most). */
const MAX_SEEN = 10_000;

function sortedKeys(p: Prize): Prize {
  return p.desc_de === undefined ? { cents: p.cents, desc: p.desc } : { cents: p.cents, desc: p.desc, desc_de: p.desc_de };
}
