/**
 * A digest of a set of (reference fingerprint, item hash) pairs that does not depend on their order: the sum,
 * 32-bit lane by lane, of a 128-bit hash of each pair, with the number of pairs. A pair can be added and taken
 * out again in constant time, so the plan can work out the digest the remote catalog will have once apply has
 * written what it plans, and the next run can compare the catalog it lists against it (file-snapshot.ts).
 */
import { hash } from 'node:crypto';
import { tuningOff } from '../../core/bench-switch.js';
import { FP_BYTES, Murmur128 } from './fingerprint.js';

/** The bench's "without" (compare.ts): pairs mixed by sha256 instead. */
const withoutMurmur = tuningOff('murmur');
const pair = new Uint8Array(2 * FP_BYTES);

const mixer = new Murmur128();
const mixed = new Uint8Array(FP_BYTES);
const lanes = new Uint32Array(mixed.buffer);

export class SetDigest {
  readonly #sum = new Uint32Array(4);
  #count = 0;

  get count(): number {
    return this.#count;
  }

  /** Adds the pair at `fps[fpAt…]` and `hashes[hashAt…]` (FP_BYTES each). */
  add(fps: Uint8Array, fpAt: number, hashes: Uint8Array, hashAt: number): void {
    this.#mix(fps, fpAt, hashes, hashAt);
    for (let i = 0; i < 4; i++) this.#sum[i] = this.#sum[i]! + lanes[i]!;
    this.#count++;
  }

  /** Takes out a pair added before (or one that will be, when predicting). */
  remove(fps: Uint8Array, fpAt: number, hashes: Uint8Array, hashAt: number): void {
    this.#mix(fps, fpAt, hashes, hashAt);
    for (let i = 0; i < 4; i++) this.#sum[i] = this.#sum[i]! - lanes[i]!;
    this.#count--;
  }

  /** This set with `other`'s additions and removals applied too. */
  plus(other: SetDigest): SetDigest {
    const out = new SetDigest();
    for (let i = 0; i < 4; i++) out.#sum[i] = this.#sum[i]! + other.#sum[i]!;
    out.#count = this.#count + other.#count;
    return out;
  }

  /** `count:hex`, what a snapshot stores and compares. */
  toString(): string {
    return `${this.#count}:${Buffer.from(this.#sum.buffer).toString('hex')}`;
  }

  #mix(fps: Uint8Array, fpAt: number, hashes: Uint8Array, hashAt: number): void {
    if (withoutMurmur) {
      pair.set(fps.subarray(fpAt, fpAt + FP_BYTES), 0);
      pair.set(hashes.subarray(hashAt, hashAt + FP_BYTES), FP_BYTES);
      mixed.set(hash('sha256', pair, 'buffer').subarray(0, FP_BYTES));
      return;
    }
    mixer.reset();
    for (let i = 0; i < FP_BYTES; i += 4) mixer.word(readWord(fps, fpAt + i));
    for (let i = 0; i < FP_BYTES; i += 4) mixer.word(readWord(hashes, hashAt + i));
    mixer.digestInto(mixed, 0);
  }
}

function readWord(bytes: Uint8Array, at: number): number {
  return bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24);
}
