/**
 * Failed sign-ins counted per name and per client address over a sliding window: either reaching the limit
 * refuses further attempts (even with the right password) until the oldest failure leaves the window. Per name
 * stops guessing one account from many addresses; per address stops trying many names from one.
 */
export class LoginThrottle {
  // Invariant: each list holds failure times in ascending order, none older than the window after a check.
  readonly #failures = new Map<string, number[]>();
  readonly #max: number;
  readonly #windowMs: number;

  constructor(options: { maxFailures: number; windowSeconds: number }) {
    this.#max = options.maxFailures;
    this.#windowMs = options.windowSeconds * 1000;
  }

  /** Seconds until an attempt for this name from this address is allowed again; 0 when it is allowed now. */
  retryAfter(name: string, address: string, now = Date.now()): number {
    let wait = 0;
    for (const key of keys(name, address)) {
      const list = this.#recent(key, now);
      if (list.length >= this.#max) wait = Math.max(wait, Math.ceil((list[list.length - this.#max]! + this.#windowMs - now) / 1000));
    }
    return wait;
  }

  failed(name: string, address: string, now = Date.now()): void {
    for (const key of keys(name, address)) this.#failures.set(key, [...this.#recent(key, now), now]);
  }

  /** A successful sign-in clears the name's failures (not the address's: one good account must not unlock guessing). */
  succeeded(name: string): void {
    this.#failures.delete(`name:${name.toLowerCase()}`);
  }

  #recent(key: string, now: number): number[] {
    const list = (this.#failures.get(key) ?? []).filter((t) => t > now - this.#windowMs);
    if (list.length === 0) this.#failures.delete(key);
    else this.#failures.set(key, list);
    return list;
  }
}

const keys = (name: string, address: string) => [`name:${name.toLowerCase()}`, `addr:${address}`];
