/**
 * Remembers `compute(input)` for inputs that repeat through a run (a date text per boat, a price list per season),
 * undefined results included. An input is remembered under `keyOf(input)` (by default the input is its own key
 * string). Holds at most `max` keys: when full it starts over, so memory stays bounded whatever the input, and
 * an input seen again is computed again, never answered wrongly.
 */
export class BoundedMemo<V, I = string> {
  readonly #values = new Map<string, V>();
  readonly #max: number;
  readonly #compute: (input: I) => V;
  readonly #keyOf: (input: I) => string;

  constructor(max: number, compute: (input: I) => V, keyOf: (input: I) => string = (input) => input as unknown as string) {
    this.#max = max;
    this.#compute = compute;
    this.#keyOf = keyOf;
  }

  get(input: I): V {
    const values = this.#values;
    const key = this.#keyOf(input);
    let value = values.get(key);
    if (value === undefined && !values.has(key)) {
      if (values.size >= this.#max) values.clear();
      value = this.#compute(input);
      values.set(key, value);
    }
    return value as V;
  }
}
