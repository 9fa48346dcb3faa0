/**
 * The choices a waiting request lists (`details.candidates`, as its pipeline stored them), one line each: the
 * uuid to answer with first, then what tells them apart. `koppel status` and `koppel order … resolve` print
 * these same lines, so what a person is shown in one is what the other accepts.
 */

/** A candidate as a pipeline stores it: a uuid, a label (`title`, else `product`), and facts in any other key. */
type Candidate = Record<string, unknown>;

/** One line per candidate in `details.candidates`; none when there are none (or the details were written by hand). */
export function candidateLines(details: unknown): string[] {
  const candidates = (details as { candidates?: unknown } | null)?.candidates;
  return Array.isArray(candidates) ? candidates.map(candidateLine) : [];
}

/**
 * `<uuid>  <label>, <key> <value>, …`: the label bare (an address, a product), then the rest as key and value,
 * a candidate's `properties` flattened in; empty values are left out (they tell nothing apart).
 */
export function candidateLine(candidate: unknown): string {
  if (!candidate || typeof candidate !== 'object') return String(candidate);
  const { uuid, title, product, properties, ...rest } = candidate as Candidate;
  const label = title ?? product;
  const facts = Object.entries({ ...(title === undefined ? {} : { product }), ...rest, ...(properties && typeof properties === 'object' ? properties : {}) })
    .filter(([, v]) => v !== null && v !== undefined && v !== '')
    .map(([k, v]) => `${k} ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
  return `${String(uuid ?? '?')}  ${[...(label === undefined ? [] : [String(label)]), ...facts].join(', ')}`;
}
