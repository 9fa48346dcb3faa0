/**
 * Remembers `compute(input)` for inputs that repeat through a run (a date text per boat, a boat's id as JSON),
 * undefined results included. Holds at most `max` keys: when full it starts over, so memory stays bounded
 * whatever the input, and an input seen again is computed again, never answered wrongly.
 */
export class BoundedMemo<V> {
  readonly #values = new Map<string, V>();
  readonly #max: number;
  readonly #compute: (input: string) => V;

  constructor(max: number, compute: (input: string) => V) {
    this.#max = max;
    this.#compute = compute;
  }

  get(input: string): V {
    const values = this.#values;
    let value = values.get(input);
    if (value === undefined && !values.has(input)) {
      if (values.size >= this.#max) values.clear();
      value = this.#compute(input);
      values.set(input, value);
    }
    return value as V;
  }
}
