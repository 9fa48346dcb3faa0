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
/** Slots per chunk of each column (2^16: a 1 MiB chunk of fingerprints). */
const CHUNK_BITS = 16;
const CHUNK = 1 << CHUNK_BITS;
const IN_CHUNK = CHUNK - 1;
const INITIAL_BUCKETS = 2048;

/**
 * The columns are kept in chunks of CHUNK slots that are never copied or freed while the index lives: doubling
 * whole columns left the old copies (half the new size) for the collector, which the plan thread, allocating
 * little, did not run for a long while (at 1M rows ~30 MiB of dead columns next to the live ones).
 */
export class ReferenceIndex {
  /** Open-addressing table: bucket → slot + 1 (0 = empty). Kept at most half full, so probes stay short. */
  #buckets = new Uint32Array(INITIAL_BUCKETS);
  /** Per slot, in the order references were added; slots are never reused. */
  readonly #fps: Buffer[] = [];
  /** Only once there is a remote item: a first import (empty remote side) never pays for the column. */
  #hashes: Buffer[] | undefined;
  readonly #flags: Uint8Array[] = [];
  readonly #lines: Uint32Array[] = [];
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
    this.#hashes ??= this.#fps.map(() => Buffer.alloc(CHUNK * HASH_BYTES));
    const c = slot >>> CHUNK_BITS;
    const fp = this.#fps[c]!;
    const hash = this.#hashes[c]!;
    const at = (slot & IN_CHUNK) * HASH_BYTES;
    const ownFpAt = (slot & IN_CHUNK) * FP_BYTES;
    // Listed twice (items added while listing shift the pages): the last copy counts, once.
    if (this.has(slot, Flag.REMOTE)) this.#remote.remove(fp, ownFpAt, hash, at);
    for (let i = 0; i < HASH_BYTES; i++) hash[at + i] = hashes[hashAt + i]!;
    this.#remote.add(fp, ownFpAt, hash, at);
    this.set(slot, Flag.REMOTE);
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
    const c = slot >>> CHUNK_BITS;
    const at = (slot & IN_CHUNK) * FP_BYTES;
    if (this.has(slot, Flag.REMOTE)) this.#planned.remove(this.#fps[c]!, at, this.#hashes![c]!, (slot & IN_CHUNK) * HASH_BYTES);
    this.#planned.add(this.#fps[c]!, at, hash, 0);
  }

  /** Plans the deletion of every remote item the catalog does not name (pruning). */
  planPrune(): void {
    for (let slot = 0; slot < this.#size; slot++) {
      if (!this.#only(slot, Flag.REMOTE, Flag.SEEN)) continue;
      const c = slot >>> CHUNK_BITS;
      const at = (slot & IN_CHUNK) * FP_BYTES;
      this.#planned.remove(this.#fps[c]!, at, this.#hashes![c]!, (slot & IN_CHUNK) * HASH_BYTES);
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
    const lines = this.#lines[slot >>> CHUNK_BITS]!;
    if (this.has(slot, Flag.SEEN)) return { slot, firstLine: lines[slot & IN_CHUNK] };
    this.set(slot, Flag.SEEN);
    lines[slot & IN_CHUNK] = line;
    return { slot, firstLine: undefined };
  }

  has(slot: number, flag: number): boolean {
    return (this.#flags[slot >>> CHUNK_BITS]![slot & IN_CHUNK]! & flag) !== 0;
  }

  set(slot: number, flag: number): void {
    this.#flags[slot >>> CHUNK_BITS]![slot & IN_CHUNK]! |= flag;
  }

  /** The catalog line a reference was first seen on (0: never). */
  line(slot: number): number {
    return this.#lines[slot >>> CHUNK_BITS]![slot & IN_CHUNK]!;
  }

  /** True when the remote item's hash is `hashHex` (compared on the stored 128 bits). */
  sameAsRemote(slot: number, hashHex: string): boolean {
    const at = (slot & IN_CHUNK) * HASH_BYTES;
    return !!this.#hashes && this.#hashes[slot >>> CHUNK_BITS]!.toString('hex', at, at + HASH_BYTES) === hashHex.slice(0, HASH_BYTES * 2);
  }

  /** True when the remote item's hash starts with the bytes `hash` (HASH_BYTES of them). */
  sameAsRemoteBytes(slot: number, hash: Uint8Array): boolean {
    const at = (slot & IN_CHUNK) * HASH_BYTES;
    return !!this.#hashes && this.#hashes[slot >>> CHUNK_BITS]!.compare(hash, 0, HASH_BYTES, at, at + HASH_BYTES) === 0;
  }

  /** How many references have every bit of `flag` and none of `without`. */
  count(flag: number, without = 0): number {
    let n = 0;
    for (let i = 0; i < this.#size; i++) if (this.#only(i, flag, without)) n++;
    return n;
  }

  /** A remote item the catalog does not name: what pruning would delete. */
  absent(lower: string): boolean {
    const slot = this.#find(fingerprint(lower));
    return slot >= 0 && this.#only(slot, Flag.REMOTE, Flag.SEEN);
  }

  /** The slot has every bit of `flag` and none of `without`. */
  #only(slot: number, flag: number, without: number): boolean {
    return (this.#flags[slot >>> CHUNK_BITS]![slot & IN_CHUNK]! & (flag | without)) === flag;
  }

  /** The slot of the fingerprint at `fp[at…]`, or -1. */
  #find(fp: Uint8Array, at = 0): number {
    const mask = this.#buckets.length - 1;
    for (let b = (fp[at]! | (fp[at + 1]! << 8) | (fp[at + 2]! << 16) | (fp[at + 3]! << 24)) & mask; ; b = (b + 1) & mask) {
      const entry = this.#buckets[b]!;
      if (entry === 0) return -1;
      const slot = entry - 1;
      const from = (slot & IN_CHUNK) * FP_BYTES;
      if (this.#fps[slot >>> CHUNK_BITS]!.compare(fp, at, at + FP_BYTES, from, from + FP_BYTES) === 0) return slot;
    }
  }

  #slotFor(fp: Uint8Array, at = 0): number {
    const found = this.#find(fp, at);
    if (found >= 0) return found;
    if ((this.#size & IN_CHUNK) === 0) this.#addChunk();
    const slot = this.#size++;
    const chunk = this.#fps[slot >>> CHUNK_BITS]!;
    const to = (slot & IN_CHUNK) * FP_BYTES;
    for (let i = 0; i < FP_BYTES; i++) chunk[to + i] = fp[at + i]!;
    if (this.#size * 2 > this.#buckets.length) this.#rehash();
    else this.#place(slot);
    return slot;
  }

  #addChunk(): void {
    this.#fps.push(Buffer.alloc(CHUNK * FP_BYTES));
    this.#hashes?.push(Buffer.alloc(CHUNK * HASH_BYTES));
    this.#flags.push(new Uint8Array(CHUNK));
    this.#lines.push(new Uint32Array(CHUNK));
  }

  #place(slot: number): void {
    const mask = this.#buckets.length - 1;
    let b = this.#fps[slot >>> CHUNK_BITS]!.readUInt32LE((slot & IN_CHUNK) * FP_BYTES) & mask;
    while (this.#buckets[b] !== 0) b = (b + 1) & mask;
    this.#buckets[b] = slot + 1;
  }

  /** Doubles the bucket table (the only part that is copied as the index grows: 8 bytes a slot at most). */
  #rehash(): void {
    this.#buckets = new Uint32Array(this.#buckets.length * 2);
    for (let s = 0; s < this.#size; s++) this.#place(s);
  }
}

/** Scratch space for the fingerprint being looked up: lookups copy it into the index, never keep it. */
const scratch = new Uint8Array(FP_BYTES);

function fingerprint(lower: string): Uint8Array {
  fingerprintInto(lower, scratch, 0);
  return scratch;
}
