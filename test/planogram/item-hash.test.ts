import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/core/content-hash.js';
import { changedFields, itemHash } from '../../src/pipelines/planogram-catalog/compare.js';
import { defaultItem } from '../../src/upstreams/planogrambuilder/defaults.js';
import type { AnyItem, Product } from '../../src/upstreams/planogrambuilder/wire.js';

const product = (over: Partial<Product> = {}): Product => ({ ...defaultItem('product', 'P1'), name: 'Thee', width: 205.3, images: ['a.png'], color: '0xFFB06020', ...over });

describe('item hash', () => {
  it('is 128 bits of hex, and equal for items that differ only in what the wire or JSON does not keep', () => {
    const base = itemHash(product());
    expect(base).toMatch(/^[0-9a-f]{32}$/);
    const reordered = Object.fromEntries(Object.entries(product()).reverse()) as unknown as Product;
    expect(itemHash(reordered)).toBe(base);
    expect(itemHash(product({ reference: 'p1', images: ['A.PNG'] }))).toBe(base);
    expect(itemHash(product({ width: Math.fround(205.3) }))).toBe(base); // float32 on the wire
    expect(itemHash(product({ color: '0xffb06020' }))).toBe(base); // colors by value
    expect(itemHash(product({ depth: -0 }))).toBe(itemHash(product({ depth: 0 })));
    expect(itemHash({ ...product(), extra: undefined } as unknown as Product)).toBe(base);
    const classification = { level3: 'c', level1: 'a', level2: 'b' };
    expect(itemHash(product({ classification }))).toBe(itemHash(product({ classification: { level1: 'a', level2: 'b', level3: 'c' } })));
  });

  it('tells apart items whose fields differ, also where a text-joining hash would not', () => {
    const variants: Product[] = [
      product(),
      product({ width: 205.4 }),
      product({ name: 'Thee ' }),
      product({ name: '' }),
      product({ images: [] }),
      product({ images: [''] }),
      product({ images: ['a.p', 'ng'] }),
      product({ images: ['a.png', ''] }),
      product({ custom_properties: ['a.png'], images: [] }),
      product({ name: 'a.png', images: [] }),
      product({ classification: { level1: 'ab', level2: '', level3: '' } }),
      product({ classification: { level1: 'a', level2: 'b', level3: '' } }),
      product({ facings_deep: 1 }),
      product({ collisions: 'PAB_FALSE' }),
      product({ color: '' }),
    ];
    expect(new Set(variants.map(itemHash)).size).toBe(variants.length);
  });

  it('agrees with comparing the normalised items as canonical JSON, over many random pairs', () => {
    // changedFields compares field by field as canonical JSON of the normalised items: the old definition.
    let seed = 7;
    const rnd = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 16) % n;
    const pick = <T>(xs: T[]): T => xs[rnd(xs.length)]!;
    const random = (): Product =>
      product({
        reference: pick(['P1', 'p1']),
        name: pick(['', 'Thee', 'thee', 'Thee\u2122']),
        width: pick([0, 1, 205.3, Math.fround(205.3), 205.31, -0]),
        images: pick([[], ['a.png'], ['A.png'], ['a.png', 'b.png'], ['b.png', 'a.png']]),
        color: pick(['', '0xFFB06020', '0xffb06020', '0xFFB06021']),
        custom_properties: pick([[], ['x'], ['x', 'y']]),
      });
    let equalPairs = 0;
    for (let i = 0; i < 20_000; i++) {
      const a = random();
      const b = random();
      const same = Object.keys(changedFields(a as AnyItem, b as AnyItem)).length === 0;
      if (same) equalPairs++;
      expect(itemHash(a) === itemHash(b), `${canonicalJson(a)} vs ${canonicalJson(b)}`).toBe(same);
    }
    expect(equalPairs).toBeGreaterThan(20); // both outcomes were exercised
  });
});
