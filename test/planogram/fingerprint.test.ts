import { describe, expect, it } from 'vitest';
import { FP_BYTES, fingerprintInto, Murmur128 } from '../../src/pipelines/planogram-catalog/fingerprint.js';

const fp = (text: string): string => {
  const out = new Uint8Array(FP_BYTES);
  fingerprintInto(text, out, 0);
  return Buffer.from(out).toString('hex');
};

describe('reference fingerprint', () => {
  it('is MurmurHash3 x86-128 of the UTF-16LE text, and Murmur128 of its words: the values of a reference implementation', () => {
    // From murmurhash3js-revisited (x86.hash128), which prints each 32-bit word as big-endian hex.
    const asWords = (b: Uint8Array) => [0, 4, 8, 12].map((i) => Buffer.from(b.subarray(i, i + 4)).readUInt32LE(0).toString(16).padStart(8, '0')).join('');
    const of = (text: string) => {
      const out = new Uint8Array(FP_BYTES);
      fingerprintInto(text, out, 0);
      return asWords(out);
    };
    expect(of('')).toBe('00000000000000000000000000000000');
    expect(of('p000001')).toBe('1ed827060cb99f67c6391ec373cdd052');
    expect(of('Thee\u2122 Earl Grey')).toBe('172daf2604578fc879485b547157f553');
    const words = new Murmur128();
    for (const w of [1, 0xdeadbeef, 7]) words.word(w);
    const out = new Uint8Array(FP_BYTES);
    words.digestInto(out, 0);
    expect(asWords(out)).toBe('9f7d90856114241849907b6a175f499c');
    words.reset();
    words.text('p000001'); // its length first, then the units
    words.digestInto(out, 0);
    expect(asWords(out)).not.toBe(of('p000001'));
  });

  it('is stable, fills all 16 bytes, and tells apart texts that differ in one unit, in length or only in their tail', () => {
    expect(fp('p000001')).toBe(fp('p000001'));
    expect(fp('')).toMatch(/^[0-9a-f]{32}$/);
    const texts = ['', 'a', 'b', 'ab', 'ba', 'a\u0000', '\u0000a', 'abcdefgh', 'abcdefghi', 'abcdefgh\u0000', 'p000001', 'P000001', 'thee™', 'thee\u2122 ', '😀', '\ud83d'];
    expect(new Set(texts.map(fp)).size).toBe(texts.length);
    const out = new Uint8Array(FP_BYTES + 3).fill(0xee);
    fingerprintInto('p000001', out, 3);
    expect(Buffer.from(out.subarray(3)).toString('hex')).toBe(fp('p000001'));
    expect([...out.subarray(0, 3)]).toEqual([0xee, 0xee, 0xee]);
  });

  it('gives a million catalog-like references a million distinct fingerprints, with evenly spread low bits', () => {
    const seen = new Set<string>();
    const buckets = new Uint32Array(1024);
    const out = new Uint8Array(FP_BYTES);
    for (let i = 0; i < 1_000_000; i++) {
      const reference = i % 2 ? `p${String(i).padStart(6, '0')}` : `acc-${i}-x`;
      fingerprintInto(reference, out, 0);
      seen.add(Buffer.from(out).toString('latin1'));
      buckets[(out[0]! | (out[1]! << 8)) & 1023]!++;
    }
    expect(seen.size).toBe(1_000_000);
    // The index picks its bucket from the low bits: ~977 per bucket here, none far off.
    expect(Math.min(...buckets)).toBeGreaterThan(850);
    expect(Math.max(...buckets)).toBeLessThan(1100);
  });
});
