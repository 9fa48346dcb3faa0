import type { Database } from '../../src/db/database.js';

export interface HeldStep {
  /** Resolves once a run has reached its last step: recorded as ended, its lock not yet released. */
  readonly reached: Promise<void>;
  /** Lets that run release its lock and end. */
  open(): void;
}

/**
 * The database a runner is given, with a gate in front of the lock release, the very last step of a run
 * (after its outcome is recorded). `hold()` arms it for the next run that gets there, so a test can make
 * requests land at that moment by awaiting `reached` instead of sleeping. Unarmed, it changes nothing.
 */
export class LastStepGate {
  readonly db: Database;
  #armed: { reached: () => void; opened: Promise<void> } | undefined;

  constructor(inner: Database) {
    this.db = {
      kysely: inner.kysely,
      kind: inner.kind,
      close: () => inner.close(),
      tryLock: async (name) => {
        const release = await inner.tryLock(name);
        if (!release) return null;
        return async () => {
          const gate = this.#armed;
          this.#armed = undefined;
          if (gate) {
            gate.reached();
            await gate.opened;
          }
          await release();
        };
      },
    };
  }

  hold(): HeldStep {
    let reached!: () => void;
    let open!: () => void;
    const reachedPromise = new Promise<void>((resolve) => (reached = resolve));
    const opened = new Promise<void>((resolve) => (open = resolve));
    this.#armed = { reached, opened };
    return { reached: reachedPromise, open };
  }
}
