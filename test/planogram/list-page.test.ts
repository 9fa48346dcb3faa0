import { describe, expect, it } from 'vitest';
import { PermanentError } from '../../src/core/errors.js';
import { defaultItem } from '../../src/upstreams/planogrambuilder/defaults.js';
import { itemPage, splitRepeated } from '../../src/upstreams/planogrambuilder/list-page.js';
import { loadPlanoService } from '../../src/upstreams/planogrambuilder/proto.js';
import { productSchema } from '../../src/upstreams/planogrambuilder/wire.js';

const service = loadPlanoService({ package: 'planoapiv1', service: 'PlanoAPI' });
const list = service.ListProducts!;
const products = [
  { ...defaultItem('product', 'A-1'), name: 'Cola € “light”', width: 12.3, images: ['a.png', 'B.PNG'], custom_properties: ['x', ''] },
  { ...defaultItem('product', 'b-2'), classification: null, behavior: 'PB_PEGGED', facings_deep: 3 },
  defaultItem('product', 'C-3'),
];
const encoded = list.responseSerialize({ products, total_size: 1234, error: { code: 'PAE_OK', message: '' } });

describe('List pages decoded item by item', () => {
  it('decodes each item exactly as the whole page decodes it, and the rest without the items', () => {
    const whole = list.responseDeserialize(encoded) as { products: unknown[]; total_size: number };
    const split = splitRepeated(encoded, 1);
    expect(split.starts).toHaveLength(3);
    const page = itemPage(split, 'products', productSchema, (bytes) => list.responseDeserialize(bytes), 'ListProducts');
    expect(Array.from({ length: page.length }, (_, i) => page.item(i))).toEqual(whole.products.map((p) => productSchema.parse(p)));
    expect(list.responseDeserialize(Buffer.from(split.rest))).toMatchObject({ products: [], total_size: 1234, error: { code: 'PAE_OK' } });
  });

  it('an item that does not fit the schema fails like any unexpected response, naming where', () => {
    const page = itemPage(splitRepeated(encoded, 1), 'products', productSchema, () => ({ products: [{ reference: 'A-1' }] }), 'ListProducts');
    const err = (() => {
      try {
        return page.item(1);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as Error).message).toMatch(/^ListProducts: unexpected response \(products\.1\.enabled: .*\); does the \.proto match the service\?$/);
  });

  it("gives the items' bytes as received without decoding any, adjacent entries as one view", () => {
    const split = splitRepeated(encoded, 1);
    const page = itemPage(split, 'products', productSchema, () => expect.unreachable('decoded'), 'ListProducts');
    const entries = Buffer.concat(split.starts.map((start, i) => encoded.subarray(start, split.ends[i])));
    expect(page.encoded()).toHaveLength(1);
    expect(Buffer.concat(page.encoded())).toEqual(entries);
    // Entries split by another field: one view per run of adjacent entries.
    const apart = Buffer.concat([entries.subarray(0, split.ends[0]! - split.starts[0]!), split.rest, entries.subarray(split.ends[0]! - split.starts[0]!)]);
    const parts = itemPage(splitRepeated(apart, 1), 'products', productSchema, () => expect.unreachable('decoded'), 'ListProducts').encoded();
    expect(parts).toHaveLength(2);
    expect(Buffer.concat(parts)).toEqual(entries);
  });

  it('refuses a truncated message instead of reading past it', () => {
    expect(() => splitRepeated(encoded.subarray(0, encoded.length - 5), 1)).toThrow(/truncated/);
  });
});
