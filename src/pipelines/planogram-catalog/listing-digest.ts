/**
 * A digest of a kind's remote listing as received: the items' encoded bytes, page by page in listing order,
 * under the service definition that decodes them. Equal digests mean equal bytes, and equal bytes decode to
 * equal items, so a listing whose digest equals one that an earlier run decoded, checked and found to be the
 * remote catalog a snapshot expects is that catalog, without decoding an item (file-snapshot.ts). Any
 * difference (an edited item, another order, a server that encodes differently) only means decoding again.
 */
import { createHash, type Hash } from 'node:crypto';
import type { EncodedPage } from '../../upstreams/planogrambuilder/list-page.js';

/** The sha256 of a page's encoded items: taken as the page arrives (pages may arrive out of order). */
export function pageDigest(page: EncodedPage<unknown>): Uint8Array {
  const digest = createHash('sha256');
  for (const bytes of page.encoded()) digest.update(bytes);
  return digest.digest();
}

export class ListingDigest {
  readonly #hash: Hash;
  #count = 0;

  /** `definition`: the client's digest of the service definition the bytes are decoded with. */
  constructor(definition: string) {
    this.#hash = createHash('sha256').update(definition);
  }

  /** The next page in listing order: its `pageDigest` and how many items it holds. */
  add(digest: Uint8Array, items: number): void {
    this.#hash.update(digest);
    this.#count += items;
  }

  get count(): number {
    return this.#count;
  }

  /** `count:hex`, what a snapshot stores and compares (once, at the end of the listing). */
  digest(): string {
    return `${this.#count}:${this.#hash.digest('hex')}`;
  }
}
