/**
 * The sha256 of a stream of bytes, computed on a worker thread. A download's bytes are hashed as they arrive
 * (writeFileAtomic); on a CPU without SHA instructions that is ~2.8 ms per MiB, which on the event loop thread
 * held a 1 MiB-file download rate to ~0.6 of a plain fetch-to-file. The caller hands over its write batches;
 * they are copied into shared slots the worker hashes from (at most two per stream in flight, eight in all, so
 * memory stays flat), and `digest()` gives the hex digest of everything handed over, in order. One worker
 * serves the whole process.
 */
import type { Worker } from 'node:worker_threads';
import { startModuleWorker } from './module-worker.js';

export type DigestRequest =
  | { id: number; slot: number; length: number; end?: undefined }
  | { id: number; end: true; slot?: undefined }
  | { id: number; abandon: true; slot?: undefined; end?: undefined };
export type DigestReply = { id: number; slot: number; hex?: undefined } | { id: number; hex: string; slot?: undefined };

/**
 * Bytes reach the worker through a fixed set of shared slots, not a new buffer per batch: a transferred buffer is
 * freed only when the worker's garbage collector gets to it, and those piled up by tens of MB during a download.
 */
export const SLOT_BYTES = 1024 * 1024;
const SLOTS = 8;
/** Slots one stream may hold before `update` waits for the worker. */
const IN_FLIGHT = 2;

interface Listener {
  hashed(): void;
  done(hex: string): void;
  failed(err: Error): void;
}

let worker: Worker | undefined;
const listeners = new Map<number, Listener>();
let nextId = 1;
const shared = new SharedArrayBuffer(SLOTS * SLOT_BYTES);
const freeSlots = Array.from({ length: SLOTS }, (_, i) => i);
/** Updates waiting for a free slot, first come first served. */
const slotWaiters: (() => void)[] = [];

async function takeSlot(): Promise<number> {
  while (freeSlots.length === 0) await new Promise<void>((resolve) => slotWaiters.push(resolve));
  return freeSlots.pop()!;
}

function releaseSlot(slot: number): void {
  freeSlots.push(slot);
  slotWaiters.shift()?.();
}

/** The shared worker, started on first use; it keeps the process alive only while a digest is open. */
function digestWorker(): Worker {
  if (worker) return worker;
  const started = startModuleWorker(import.meta.url, 'sha256-worker', { workerData: { shared, slotBytes: SLOT_BYTES }, resourceLimits: { maxOldGenerationSizeMb: 8, maxYoungGenerationSizeMb: 2 } });
  started.on('message', (m: DigestReply) => {
    const listener = listeners.get(m.id);
    if (m.hex !== undefined) return listener?.done(m.hex);
    releaseSlot(m.slot);
    listener?.hashed();
  });
  const fail = (err: Error) => {
    if (worker !== started) return;
    worker = undefined;
    // Whatever the worker held is not coming back: every slot is free again.
    freeSlots.splice(0, freeSlots.length, ...Array.from({ length: SLOTS }, (_, i) => i));
    for (const waiter of slotWaiters.splice(0)) waiter();
    for (const listener of listeners.values()) listener.failed(err);
  };
  started.on('error', (err) => fail(new Error(`the sha256 worker failed: ${err.message}`)));
  started.on('exit', (code) => fail(new Error(`the sha256 worker stopped unexpectedly (exit code ${code})`)));
  started.unref();
  return (worker = started);
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (err: Error) => void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined); // whoever awaits it sees the failure; unawaited, it must not count as unhandled
  return { promise, resolve, reject };
}

export class StreamDigest {
  readonly #id = nextId++;
  readonly #worker = digestWorker();
  /** Batches handed over and not yet hashed, oldest first. */
  readonly #unhashed: Deferred<void>[] = [];
  readonly #result = deferred<string>();
  #failure: Error | undefined;
  #closed = false;

  constructor() {
    listeners.set(this.#id, {
      hashed: () => this.#unhashed.shift()?.resolve(),
      done: (hex) => this.#result.resolve(hex),
      failed: (err) => {
        this.#failure = err;
        for (const batch of this.#unhashed.splice(0)) batch.reject(err);
        this.#result.reject(err);
      },
    });
    this.#worker.ref();
  }

  /** Hands over the next bytes (copied: the caller may reuse them); waits while IN_FLIGHT slots are unhashed. */
  async update(chunks: readonly Uint8Array[]): Promise<void> {
    let slot = -1;
    let filled = 0;
    const send = () => {
      this.#unhashed.push(deferred<void>());
      this.#worker.postMessage({ id: this.#id, slot, length: filled } satisfies DigestRequest);
      slot = -1;
      filled = 0;
    };
    for (const chunk of chunks) {
      for (let at = 0; at < chunk.length; ) {
        if (this.#failure) throw this.#failure;
        if (slot < 0) {
          if (this.#unhashed.length >= IN_FLIGHT) await this.#unhashed[0]!.promise;
          slot = await takeSlot();
        }
        const n = Math.min(chunk.length - at, SLOT_BYTES - filled);
        new Uint8Array(shared, slot * SLOT_BYTES + filled, n).set(chunk.subarray(at, at + n));
        filled += n;
        at += n;
        if (filled === SLOT_BYTES) send();
      }
    }
    if (slot >= 0) send();
  }

  /** The hex sha256 of all bytes handed over. */
  async digest(): Promise<string> {
    if (!this.#closed) {
      if (this.#failure) throw this.#failure;
      this.#worker.postMessage({ id: this.#id, end: true } satisfies DigestRequest);
    }
    try {
      return await this.#result.promise;
    } finally {
      this.#close();
    }
  }

  /** Drops the stream (a failed download): the worker forgets it. */
  abandon(): void {
    if (this.#closed) return;
    if (!this.#failure) this.#worker.postMessage({ id: this.#id, abandon: true } satisfies DigestRequest);
    this.#result.reject(new Error('digest abandoned'));
    this.#close();
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    listeners.delete(this.#id);
    if (listeners.size === 0) worker?.unref();
  }
}
