/**
 * One kind's references for the length of a run, kept compact and off the JavaScript heap: per reference a
 * 128-bit fingerprint of its lower-cased form, the remote item's 128-bit content hash, a flag byte and the
 * catalog line it was first seen on — about 45 bytes in Buffers, where a Map of strings costs ~80 bytes on the
 * heap and makes the garbage collector let the whole heap grow with it. This, not the catalog's length, is what
 * the plan holds between plan and apply (apply reads the catalog again for the items themselves).
 */
import { FP_BYTES, fingerprintInto } from './fingerprint.js';
import { SetDigest } from './set-digest.js';

/** What the plan knows about one reference (bits of the flag byte). */
export const Flag = {
  /** The item exists remotely (the remote hash is filled). */
  REMOTE: 1,
  /** The catalog names it (its first line is recorded, rejected rows included so pruning spares them). */
  SEEN: 2,
  CREATE: 4,
  UPDATE: 8,
  /** Remote already equal: record the checkpoint without any call. */
  SETTLE: 16,
  /** The stored checkpoint already equals the remote item (nothing to record when the catalog does too). */
  CHECKPOINTED: 32,
} as const;

/** The bytes of an item's content hash (compare.ts): 128 bits, like the fingerprint. */
export const HASH_BYTES = 16;
const INITIAL = 1024;

export class ReferenceIndex {
  /** Open-addressing table: bucket → slot + 1 (0 = empty). Kept at most half full, so probes stay short. */
  #buckets = new Uint32Array(INITIAL * 2);
  /** Per slot, in the order references were added; slots are never reused. */
  #fps = Buffer.alloc(INITIAL * FP_BYTES);
  /** Only once there is a remote item: a first import (empty remote side) never pays for the column. */
  #hashes: Buffer | undefined;
  #flags = new Uint8Array(INITIAL);
  #lines = new Uint32Array(INITIAL);
  #size = 0;
  /** The remote catalog as listed, and what the planned writes and deletions change in it (see set-digest.ts). */
  readonly #remote = new SetDigest();
  readonly #planned = new SetDigest();

  get size(): number {
    return this.#size;
  }

  slot(lower: string): number | undefined {
    const slot = this.#find(fingerprint(lower));
    return slot < 0 ? undefined : slot;
  }

  /** Records a remote item by its lower-cased reference and its content hash (`itemHashInto`'s bytes). */
  addRemote(lower: string, hash: Uint8Array): void {
    this.addRemoteFingerprint(fingerprint(lower), 0, hash, 0);
  }

  /**
   * `addRemote` for a reference whose fingerprint was taken elsewhere (as each listed page arrives): the
   * fingerprint at `fps[fpAt…]`, the hash at `hashes[hashAt…]`, read in place (no view per item).
   */
  addRemoteFingerprint(fps: Uint8Array, fpAt: number, hashes: Uint8Array, hashAt: number): void {
    const slot = this.#slotFor(fps, fpAt);
    this.#hashes ??= Buffer.alloc(this.#flags.length * HASH_BYTES);
    // Listed twice (items added while listing shift the pages): the last copy counts, once.
    if (this.has(slot, Flag.REMOTE)) this.#remote.remove(this.#fps, slot * FP_BYTES, this.#hashes, slot * HASH_BYTES);
    for (let i = 0; i < HASH_BYTES; i++) this.#hashes[slot * HASH_BYTES + i] = hashes[hashAt + i]!;
    this.#remote.add(this.#fps, slot * FP_BYTES, this.#hashes, slot * HASH_BYTES);
    this.#flags[slot]! |= Flag.REMOTE;
  }

  /** The remote catalog as listed: `count:digest` of its references and item hashes. */
  get remoteDigest(): string {
    return this.#remote.toString();
  }

  /** The remote catalog as it will be once the planned writes and deletions are done. */
  get plannedDigest(): string {
    return this.#remote.plus(this.#planned).toString();
  }

  /** Plans a create or update of the reference at `slot` to an item with content hash `hash`. */
  planWrite(slot: number, hash: Uint8Array): void {
    if (this.has(slot, Flag.REMOTE)) this.#planned.remove(this.#fps, slot * FP_BYTES, this.#hashes!, slot * HASH_BYTES);
    this.#planned.add(this.#fps, slot * FP_BYTES, hash, 0);
  }

  /** Plans the deletion of every remote item the catalog does not name (pruning). */
  planPrune(): void {
    for (let slot = 0; slot < this.#size; slot++) {
      if ((this.#flags[slot]! & (Flag.REMOTE | Flag.SEEN)) === Flag.REMOTE) this.#planned.remove(this.#fps, slot * FP_BYTES, this.#hashes!, slot * HASH_BYTES);
    }
  }

  /** Marks a remote item whose stored checkpoint hash is `hashHex` when that equals the remote item's. */
  markCheckpointed(lower: string, hashHex: string): void {
    const slot = this.#find(fingerprint(lower));
    if (slot >= 0 && this.has(slot, Flag.REMOTE) && this.sameAsRemote(slot, hashHex)) this.set(slot, Flag.CHECKPOINTED);
  }

  /**
   * Records that the catalog names `lower` on `line`. Returns the slot, and the line it was first seen on when
   * this is a repeat (a duplicate reference).
   */
  see(lower: string, line: number): { slot: number; firstLine: number | undefined } {
    return this.seeFingerprint(fingerprint(lower), line);
  }

  /** `see` for a reference whose fingerprint was taken elsewhere (the catalog scan's worker). */
  seeFingerprint(fp: Uint8Array, line: number): { slot: number; firstLine: number | undefined } {
    const slot = this.#slotFor(fp);
    if (this.#flags[slot]! & Flag.SEEN) return { slot, firstLine: this.#lines[slot] };
    this.#flags[slot]! |= Flag.SEEN;
    this.#lines[slot] = line;
    return { slot, firstLine: undefined };
  }

  has(slot: number, flag: number): boolean {
    return (this.#flags[slot]! & flag) !== 0;
  }

  set(slot: number, flag: number): void {
    this.#flags[slot]! |= flag;
  }

  /** The catalog line a reference was first seen on (0: never). */
  line(slot: number): number {
    return this.#lines[slot]!;
  }

  /** True when the remote item's hash is `hashHex` (compared on the stored 128 bits). */
  sameAsRemote(slot: number, hashHex: string): boolean {
    const at = slot * HASH_BYTES;
    return !!this.#hashes && this.#hashes.toString('hex', at, at + HASH_BYTES) === hashHex.slice(0, HASH_BYTES * 2);
  }

  /** True when the remote item's hash starts with the bytes `hash` (HASH_BYTES of them). */
  sameAsRemoteBytes(slot: number, hash: Uint8Array): boolean {
    return !!this.#hashes && this.#hashes.compare(hash, 0, HASH_BYTES, slot * HASH_BYTES, (slot + 1) * HASH_BYTES) === 0;
  }

  /** How many references have every bit of `flag` and none of `without`. */
  count(flag: number, without = 0): number {
    let n = 0;
    for (let i = 0; i < this.#size; i++) if ((this.#flags[i]! & (flag | without)) === flag) n++;
    return n;
  }

  /** A remote item the catalog does not name: what pruning would delete. */
  absent(lower: string): boolean {
    const slot = this.#find(fingerprint(lower));
    return slot >= 0 && (this.#flags[slot]! & (Flag.REMOTE | Flag.SEEN)) === Flag.REMOTE;
  }

  /** The slot of the fingerprint at `fp[at…]`, or -1. */
  #find(fp: Uint8Array, at = 0): number {
    const mask = this.#buckets.length - 1;
    for (let b = (fp[at]! | (fp[at + 1]! << 8) | (fp[at + 2]! << 16) | (fp[at + 3]! << 24)) & mask; ; b = (b + 1) & mask) {
      const entry = this.#buckets[b]!;
      if (entry === 0) return -1;
      if (this.#fps.compare(fp, at, at + FP_BYTES, (entry - 1) * FP_BYTES, entry * FP_BYTES) === 0) return entry - 1;
    }
  }

  #slotFor(fp: Uint8Array, at = 0): number {
    const found = this.#find(fp, at);
    if (found >= 0) return found;
    if (this.#size === this.#flags.length) this.#grow();
    const slot = this.#size++;
    for (let i = 0; i < FP_BYTES; i++) this.#fps[slot * FP_BYTES + i] = fp[at + i]!;
    this.#place(slot);
    return slot;
  }

  #place(slot: number): void {
    const mask = this.#buckets.length - 1;
    let b = this.#fps.readUInt32LE(slot * FP_BYTES) & mask;
    while (this.#buckets[b] !== 0) b = (b + 1) & mask;
    this.#buckets[b] = slot + 1;
  }

  #grow(): void {
    const slots = this.#flags.length * 2;
    const grown = <T extends Buffer | Uint8Array | Uint32Array>(old: T, make: (n: number) => T, per: number): T => {
      const next = make(slots * per);
      next.set(old);
      return next;
    };
    this.#fps = grown(this.#fps, (n) => Buffer.alloc(n), FP_BYTES);
    if (this.#hashes) this.#hashes = grown(this.#hashes, (n) => Buffer.alloc(n), HASH_BYTES);
    this.#flags = grown(this.#flags, (n) => new Uint8Array(n), 1);
    this.#lines = grown(this.#lines, (n) => new Uint32Array(n), 1);
    this.#buckets = new Uint32Array(slots * 2);
    for (let s = 0; s < this.#size; s++) this.#place(s);
  }
}

/** Scratch space for the fingerprint being looked up: lookups copy it into the index, never keep it. */
const scratch = new Uint8Array(FP_BYTES);

function fingerprint(lower: string): Uint8Array {
  fingerprintInto(lower, scratch, 0);
  return scratch;
}
