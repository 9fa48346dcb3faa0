/**
 * The 128-bit fingerprint the reference index keys on: MurmurHash3 (x86, 128-bit) over a string's UTF-16 code
 * units, two to a 32-bit word. It is never stored and is no secret; it only has to tell one run's references
 * apart (a collision among a million is ~1e-27). For strings as short as references it costs a fraction of a
 * native digest call, which counts where it runs for every row and every remote item (figures: bench/REPORT.md,
 * planogram-catalog --tunings).
 */
import { hash } from 'node:crypto';
import { tuningOff } from '../../core/bench-switch.js';

export const FP_BYTES = 16;
/** The bench's "without" (compare.ts): a sha256 prefix instead. */
const withoutMurmur = tuningOff('murmur');

const C1 = 0x239b961b;
const C2 = 0xab0e9789;
const C3 = 0x38b34ae5;
const C4 = 0xa1e38b93;

const rotl = (x: number, r: number): number => (x << r) | (x >>> (32 - r));

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** The code units at `i` and `i + 1` as one little-endian word (0 past the end). */
function word(text: string, i: number): number {
  const hi = i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
  return text.charCodeAt(i) | (hi << 16);
}

/** Writes the fingerprint of `text` into `out` at `offset` (FP_BYTES, little-endian words). */
export function fingerprintInto(text: string, out: Uint8Array, offset: number): void {
  if (withoutMurmur) return out.set(hash('sha256', text, 'buffer').subarray(0, FP_BYTES), offset);
  let h1 = 0;
  let h2 = 0;
  let h3 = 0;
  let h4 = 0;
  const n = text.length;
  const blocks = n - (n % 8);
  for (let i = 0; i < blocks; i += 8) {
    h1 ^= Math.imul(rotl(Math.imul(word(text, i), C1), 15), C2);
    h1 = (Math.imul(rotl(h1, 19) + h2, 5) + 0x561ccd1b) | 0;
    h2 ^= Math.imul(rotl(Math.imul(word(text, i + 2), C2), 16), C3);
    h2 = (Math.imul(rotl(h2, 17) + h3, 5) + 0x0bcaa747) | 0;
    h3 ^= Math.imul(rotl(Math.imul(word(text, i + 4), C3), 17), C4);
    h3 = (Math.imul(rotl(h3, 15) + h4, 5) + 0x96cd1c35) | 0;
    h4 ^= Math.imul(rotl(Math.imul(word(text, i + 6), C4), 18), C1);
    h4 = (Math.imul(rotl(h4, 13) + h1, 5) + 0x32ac3b17) | 0;
  }
  // The tail: up to seven code units, in as many words as they fill.
  const left = n - blocks;
  if (left > 6) h4 ^= Math.imul(rotl(Math.imul(word(text, blocks + 6), C4), 18), C1);
  if (left > 4) h3 ^= Math.imul(rotl(Math.imul(word(text, blocks + 4), C3), 17), C4);
  if (left > 2) h2 ^= Math.imul(rotl(Math.imul(word(text, blocks + 2), C2), 16), C3);
  if (left > 0) h1 ^= Math.imul(rotl(Math.imul(word(text, blocks), C1), 15), C2);

  finish(h1, h2, h3, h4, 2 * n, out, offset);
}

/** MurmurHash3's finalisation: mixes in the length and writes the four words out little-endian. */
function finish(h1: number, h2: number, h3: number, h4: number, bytes: number, out: Uint8Array, offset: number): void {
  h1 ^= bytes;
  h2 ^= bytes;
  h3 ^= bytes;
  h4 ^= bytes;
  h1 = (h1 + h2 + h3 + h4) | 0;
  h2 = (h2 + h1) | 0;
  h3 = (h3 + h1) | 0;
  h4 = (h4 + h1) | 0;
  h1 = fmix(h1);
  h2 = fmix(h2);
  h3 = fmix(h3);
  h4 = fmix(h4);
  h1 = (h1 + h2 + h3 + h4) | 0;
  h2 = (h2 + h1) | 0;
  h3 = (h3 + h1) | 0;
  h4 = (h4 + h1) | 0;
  put(out, offset, h1);
  put(out, offset + 4, h2);
  put(out, offset + 8, h3);
  put(out, offset + 12, h4);
}

function put(out: Uint8Array, at: number, v: number): void {
  out[at] = v;
  out[at + 1] = v >>> 8;
  out[at + 2] = v >>> 16;
  out[at + 3] = v >>> 24;
}

/**
 * The same MurmurHash3 x86-128 over 32-bit words that are collected first: the item hash (compare.ts) writes
 * an item's fields into it as it walks them, so no serialised copy of the item is built. The words go into one
 * reused array and are hashed in a single tight loop at the end.
 */
export class Murmur128 {
  #words = new Uint32Array(256);
  #n = 0;

  reset(): void {
    this.#n = 0;
  }

  word(w: number): void {
    if (this.#n === this.#words.length) this.#grow();
    this.#words[this.#n++] = w;
  }

  /** Words written out beforehand (a field name, say). */
  words(ws: Uint32Array): void {
    while (this.#n + ws.length > this.#words.length) this.#grow();
    const words = this.#words;
    let at = this.#n;
    // A loop, not TypedArray.set: these runs are a few words long, where set's fixed cost dominates.
    for (let i = 0; i < ws.length; i++) words[at++] = ws[i]!;
    this.#n = at;
  }

  /** A text as its length, then its code units two to a word. */
  text(s: string): void {
    const n = s.length;
    const need = this.#n + 1 + ((n + 1) >> 1);
    while (need > this.#words.length) this.#grow();
    const words = this.#words;
    let at = this.#n;
    words[at++] = n;
    for (let i = 0; i < n; i += 2) words[at++] = word(s, i);
    this.#n = at;
  }

  /** A copy of the words fed since `reset`. */
  collected(): Uint32Array {
    return this.#words.slice(0, this.#n);
  }

  #grow(): void {
    const grown = new Uint32Array(this.#words.length * 2);
    grown.set(this.#words);
    this.#words = grown;
  }

  /** Writes the digest of the words fed since `reset` (FP_BYTES at `offset`). */
  digestInto(out: Uint8Array, offset: number): void {
    const words = this.#words;
    const n = this.#n;
    let h1 = 0;
    let h2 = 0;
    let h3 = 0;
    let h4 = 0;
    const blocks = n - (n % 4);
    for (let i = 0; i < blocks; i += 4) {
      h1 ^= Math.imul(rotl(Math.imul(words[i]!, C1), 15), C2);
      h1 = (Math.imul(rotl(h1, 19) + h2, 5) + 0x561ccd1b) | 0;
      h2 ^= Math.imul(rotl(Math.imul(words[i + 1]!, C2), 16), C3);
      h2 = (Math.imul(rotl(h2, 17) + h3, 5) + 0x0bcaa747) | 0;
      h3 ^= Math.imul(rotl(Math.imul(words[i + 2]!, C3), 17), C4);
      h3 = (Math.imul(rotl(h3, 15) + h4, 5) + 0x96cd1c35) | 0;
      h4 ^= Math.imul(rotl(Math.imul(words[i + 3]!, C4), 18), C1);
      h4 = (Math.imul(rotl(h4, 13) + h1, 5) + 0x32ac3b17) | 0;
    }
    const left = n - blocks;
    if (left > 2) h3 ^= Math.imul(rotl(Math.imul(words[blocks + 2]!, C3), 17), C4);
    if (left > 1) h2 ^= Math.imul(rotl(Math.imul(words[blocks + 1]!, C2), 16), C3);
    if (left > 0) h1 ^= Math.imul(rotl(Math.imul(words[blocks]!, C1), 15), C2);
    finish(h1, h2, h3, h4, 4 * n, out, offset);
  }
}
