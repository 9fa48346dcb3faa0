import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson, contentHash } from '../../src/core/content-hash.js';

/** The reference: JSON.stringify over copies with sorted keys (objects without integer-like keys, which JS reorders). */
function reference(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

describe('canonicalJson', () => {
  const cases: unknown[] = [
    null, 0, -0, 1.5, 1e21, Number.NaN, Number.POSITIVE_INFINITY, 'a"b\\c\n€', true, false, [], {},
    { b: 1, a: [3, undefined, () => 1, null, { z: 'x', y: undefined }] },
    { 'é': 1, e: 2, E: 3, nested: { d: new Date('2027-01-02T03:04:05Z'), u: undefined } },
    [{ reference: 'P1', width: Math.fround(12.3), images: ['a.png', 'B.png'], color: '0xFF00FF00' }],
    // keys already in order (the native fast path), and in order outside but not inside
    { a: 1, b: { c: [1, { d: 'x', e: null }], f: undefined }, g: true },
    { a: 1, b: { z: 1, y: 2 } },
    { a: [new Date(0)], b: 'z' },
  ];
  it.each(cases.map((c) => [c]))('writes what JSON.stringify writes for sorted keys: %j', (value) => {
    expect(canonicalJson(value)).toBe(reference(value) ?? 'null');
  });

  it('sorts integer-like keys as text too, as it sorts every other key', () => {
    expect(canonicalJson({ '9': 5, b: 1, '10': 4, '2': 'x' })).toBe('{"10":4,"2":"x","9":5,"b":1}');
  });

  it('refuses a cycle instead of hashing a placeholder', () => {
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    expect(() => canonicalJson(loop)).toThrow(TypeError);
  });

  it('hashes equal content equally, whatever the key order', () => {
    expect(contentHash({ a: 1, b: { c: 2, d: 3 } })).toBe(contentHash({ b: { d: 3, c: 2 }, a: 1 }));
    expect(contentHash({ a: 1 })).not.toBe(contentHash({ a: 2 }));
  });

  it('is the sha256 hex of the canonical JSON (stored checkpoints depend on it never changing)', () => {
    const value = { b: [1, 'two'], a: { d: null, c: 1.5 } };
    expect(contentHash(value)).toBe(createHash('sha256').update('{"a":{"c":1.5,"d":null},"b":[1,"two"]}').digest('hex'));
  });

  it('gives the hashes earlier releases stored for a Maasplassen day and an Ambita product row', () => {
    // Written by the hand-made canonical JSON this replaced: a state from before is still "unchanged".
    const prizes = [{ desc: 'Dagprijs', desc_de: 'Tagespreis', cents: 12500 }, { desc: 'Halve dag', cents: 7500 }];
    expect(contentHash(prizes)).toBe('6294139d273f688d809d2cce2571eec0d62f49db1d6558847bf267f0c3fcd10a');
    const row = { municipality: '0301', code: 'GRUNNBOK', name: 'Grunnboksutskrift', description: null, input_type: 'EIENDOM', product_type: 'DOC', delivery: 'PDF', status: 'ACTIVE', price_net: 150, price_vat: 187.5, children: [{ code: 'X', name: 'Vedlegg' }] };
    expect(contentHash(row)).toBe('1f449feaca30415c6067f88de2888682fcc3b629fe0e7099a8a3b03e1c8b711a');
  });
});
