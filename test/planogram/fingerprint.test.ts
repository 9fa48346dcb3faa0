import { describe, expect, it } from 'vitest';
import { FP_BYTES, fingerprintInto } from '../../src/pipelines/planogram-catalog/fingerprint.js';

const fp = (text: string): string => {
  const out = new Uint8Array(FP_BYTES);
  fingerprintInto(text, out, 0);
  return Buffer.from(out).toString('hex');
};

describe('reference fingerprint', () => {
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
