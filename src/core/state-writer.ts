import type { ItemState, ItemStateStore } from './item-state.js';

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** States waiting for the next write before `record` makes its caller wait: memory stays flat however fast work lands. */
const MAX_PENDING = 500;

/**
 * Records item states as work lands, without holding the work up: one write at a time, and whatever lands
 * while it runs goes into the next one (one statement for several items' checkpoints instead of one each).
 * Once `maxPending` states wait, `record` resolves only when a write has taken them (backpressure).
 * A failed write fails every later `record` and `drain`, so the caller stops and nothing is reported as saved.
 */
export class StateWriter {
  readonly #store: Pick<ItemStateStore, 'putMany'>;
  readonly #maxPending: number;
  /** Recorded, not yet handed to a write; taken whole by the next write. */
  #pending: ItemState[] = [];
  /** The write loop, while one runs. */
  #writing: Promise<void> | undefined;
  /** The write in flight: what a full buffer waits for. */
  #current: Promise<unknown> | undefined;
  #failure: { error: unknown } | undefined;

  constructor(store: Pick<ItemStateStore, 'putMany'>, maxPending = MAX_PENDING) {
    this.#store = store;
    this.#maxPending = maxPending;
  }

  /** Queues states for writing; waits while the buffer is full; rejects with the error of a write that failed. */
  async record(states: readonly ItemState[]): Promise<void> {
    this.#throwIfFailed();
    if (states.length === 0) return;
    for (const s of states) this.#pending.push(s);
    this.#writing ??= this.#run();
    while (this.#pending.length >= this.#maxPending && this.#current && !this.#failure) await this.#current.catch(() => undefined);
    this.#throwIfFailed();
  }

  /** Resolves once everything recorded so far is written; rejects with the first write error. */
  async drain(): Promise<void> {
    while (this.#writing) await this.#writing;
    this.#throwIfFailed();
  }

  #throwIfFailed(): void {
    if (this.#failure) throw this.#failure.error;
  }

  async #run(): Promise<void> {
    try {
      while (this.#pending.length > 0 && !this.#failure) {
        const batch = this.#pending;
        this.#pending = [];
        this.#current = this.#store.putMany(batch);
        await this.#current;
        // One event-loop turn before looking again, so work that has landed meanwhile joins the next write:
        // on PGlite a write blocks the thread, nothing lands while it runs, and every write took one chunk.
        this.#current = nextTurn();
        await this.#current;
      }
    } catch (error) {
      this.#failure = { error };
    } finally {
      this.#writing = undefined;
      this.#current = undefined;
    }
  }
}
