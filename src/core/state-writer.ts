import type { ItemState, ItemStateStore } from './item-state.js';

/**
 * Records item states as work lands, without holding the work up: one write at a time, and whatever lands
 * while it runs goes into the next one (one statement for several chunks' checkpoints instead of one each).
 * A failed write fails every later `record` and `drain`, so the caller stops and nothing is reported as saved.
 */
export class StateWriter {
  readonly #store: Pick<ItemStateStore, 'putMany'>;
  #pending: ItemState[] = [];
  #writing: Promise<void> | undefined;
  #failure: { error: unknown } | undefined;

  constructor(store: Pick<ItemStateStore, 'putMany'>) {
    this.#store = store;
  }

  /** Queues states for writing; throws the error of an earlier write that failed. */
  record(states: readonly ItemState[]): void {
    if (this.#failure) throw this.#failure.error;
    if (states.length === 0) return;
    for (const s of states) this.#pending.push(s);
    this.#writing ??= this.#run();
  }

  /** Resolves once everything recorded so far is written; rejects with the first write error. */
  async drain(): Promise<void> {
    while (this.#writing) await this.#writing;
    if (this.#failure) throw this.#failure.error;
  }

  async #run(): Promise<void> {
    try {
      while (this.#pending.length > 0 && !this.#failure) {
        const batch = this.#pending;
        this.#pending = [];
        await this.#store.putMany(batch);
      }
    } catch (error) {
      this.#failure = { error };
    } finally {
      this.#writing = undefined;
    }
  }
}
