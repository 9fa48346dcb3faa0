/**
 * Remembers `compute(key)` for keys that repeat through a run (a date text per boat, a price list per season),
 * undefined results included. Holds at most `max` keys: when full it starts over, so memory stays bounded
 * whatever the input, and a key seen again is computed again, never answered wrongly.
 */
export class BoundedMemo<V> {
  readonly #values = new Map<string, V>();
  readonly #max: number;
  readonly #compute: (key: string) => V;

  constructor(max: number, compute: (key: string) => V) {
    this.#max = max;
    this.#compute = compute;
  }

  get(key: string): V {
    const values = this.#values;
    let value = values.get(key);
    if (value === undefined && !values.has(key)) {
      if (values.size >= this.#max) values.clear();
      value = this.#compute(key);
      values.set(key, value);
    }
    return value as V;
  }
}
