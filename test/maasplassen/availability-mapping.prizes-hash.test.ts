import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/core/content-hash.js';
import { canonicalPrizesJson } from '../../src/pipelines/maasplassen-availability/mapping.js';
import type { Prize } from '../../src/upstreams/maasplassen/client.js';

describe('canonicalPrizesJson', () => {
  it('is canonicalJson of the prizes, so stored hashes stay valid', () => {
    const cases: (Prize[] | null)[] = [
      null,
      [],
      [{ desc: 'Hele dag', cents: 9500 }],
      [{ desc: 'Hele dag', desc_de: 'Ganzer Tag', cents: 9500 }, { desc: 'Halve dag', cents: 0 }],
      [{ desc: 'x', desc_de: undefined, cents: 1 }],
      [{ desc: 'quote " backslash \\ newline \n tab \t nul \u0000 € 😀 lone \ud800', desc_de: '\u2028\u2029', cents: 999_999_999_999 }],
    ];
    for (const prizes of cases) expect(canonicalPrizesJson(prizes)).toBe(canonicalJson(prizes));
  });
});
