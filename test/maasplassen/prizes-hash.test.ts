import { describe, expect, it } from 'vitest';
import { contentHash } from '../../src/core/content-hash.js';
import { PrizesHasher } from '../../src/pipelines/maasplassen-availability/prizes-hash.js';
import type { Prize } from '../../src/upstreams/maasplassen/client.js';

describe('PrizesHasher', () => {
  const prizesHash = (prizes: Prize[] | null) => new PrizesHasher().priceList(prizes).hash;

  // Hashes stored by earlier versions (contentHash of the prizes, 2026-12): an upgrade must not see them as changed.
  it('gives the hashes earlier versions stored', () => {
    expect(prizesHash([{ desc: 'Hele dag', desc_de: 'Ganzer Tag', cents: 9500 }, { desc: 'Halve dag', cents: 5500 }])).toBe(
      'bf281187768b94440208618cf6ccd1a1952b52d8e676f506a21abc6e897d1f76',
    );
    expect(prizesHash(null)).toBe('74234e98afe7498fb5daf1f36ac2d78acc339464f950703b8c019892f982b90b');
    expect(prizesHash([{ desc: 'Zeilboot "Valk" — €, ß', desc_de: 'Tag\\Nacht\u0001', cents: 0 }])).toBe(
      '1bc6f3daf201118fd974b089af6756af09f79310e9b0ba8172c802262dd40590',
    );
  });

  it('equals contentHash of the prizes, whatever their text', () => {
    const texts = ['', 'a', 'Hele dag', '"quoted"', 'back\\slash', 'tab\there', 'line\nbreak', '\u0000\u001f\u007f', 'émoji 🚤', '\ud800 lone', 'x'.repeat(255)];
    const cases: (Prize[] | null)[] = [null, []];
    for (const desc of texts) {
      cases.push([{ desc, cents: 1 }], [{ desc: 'Dag', desc_de: desc, cents: 999_999_999_999 }]);
      cases.push([{ cents: 5500, desc_de: desc, desc }, { desc, cents: 0 }]); // key order as written must not matter
    }
    const hasher = new PrizesHasher(); // once fresh, once remembered
    for (const prizes of [...cases, ...cases]) expect(hasher.priceList(prizes).hash).toBe(contentHash(prizes));
  });
});

describe('PrizesHasher.priceList', () => {
  it('gives the hash and the prizes as JSON.stringify writes them in wire order, whatever the key order first seen', () => {
    const hasher = new PrizesHasher();
    const wire: Prize[] = [{ desc: 'Hele dag', desc_de: 'Ganzer Tag "€"', cents: 9500 }, { desc: 'Halve dag', cents: 5500 }];
    const shuffled = [{ cents: 9500, desc_de: 'Ganzer Tag "€"', desc: 'Hele dag' }, { cents: 5500, desc: 'Halve dag', desc_de: undefined }];
    for (const prizes of [shuffled, wire, null, []]) {
      const list = hasher.priceList(prizes);
      expect(list.hash).toBe(contentHash(prizes));
      expect(list.json).toBe(JSON.stringify(prizes === shuffled ? wire : prizes));
    }
    expect(hasher.priceList(wire)).toBe(hasher.priceList(shuffled)); // one price list, shared
  });
});

describe('PrizesHasher.find', () => {
  it('starts over once it holds 10,000 price lists, and still answers right', () => {
    const hasher = new PrizesHasher();
    const first = hasher.priceList([{ desc: 'Dag', cents: 0 }]);
    for (let cents = 1; cents <= 10_000; cents++) hasher.priceList([{ desc: 'Dag', cents }]);
    const again = hasher.priceList([{ desc: 'Dag', cents: 0 }]);
    expect(again).not.toBe(first); // forgotten, computed again
    expect(again).toEqual(first);
    expect(hasher.priceList([{ desc: 'Dag', cents: 10_000 }]).hash).toBe(contentHash([{ desc: 'Dag', cents: 10_000 }]));
  });
});
