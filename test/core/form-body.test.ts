import { describe, expect, it } from 'vitest';
import { formUrlEncoded } from '../../src/core/form-body.js';

describe('formUrlEncoded', () => {
  it('writes exactly what URLSearchParams writes, for JSON payloads and awkward text', () => {
    const values = [
      '',
      JSON.stringify({ company: 1, availability: [{ boat: 91, date: '2027-06-01', prizes: [{ desc: "Hele dag (incl. 'schipper')!", cents: 9500 }] }] }),
      " !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~",
      'Größe € 😀 \u0000 \r\n\t',
      'lone \ud800 high, lone \udc00 low, pair \ud83d\ude00',
      'a'.repeat(50_000),
    ];
    for (const value of values) {
      const fields = [['payload', value], ['hmac', 'ab12']] as const;
      expect(formUrlEncoded(fields), value.slice(0, 40)).toBe(new URLSearchParams(fields.map(([k, v]): [string, string] => [k, v])).toString());
    }
    expect(formUrlEncoded([["n a'me", 'v']])).toBe(new URLSearchParams([["n a'me", 'v']]).toString());
  });
});
