/**
 * Structured search as the sandbox answers it: `field` clauses compare normalised property values (exact, or
 * token containment with `method: "match"`), `bool.must` needs all clauses, `dis-max` takes the best one.
 * Scores only order one answer, as the notes say; they are not comparable across searches.
 */
import type { Location, LocationEntity, SearchQuery } from '../../src/upstreams/planviewer/api.js';
import type { SandboxLocation } from './data.js';

const normalise = (v: unknown): string => String(v ?? '').toLowerCase().replace(/\s+/g, '');

/** A score > 0 when `loc` matches `query`, else 0. */
function score(loc: SandboxLocation, query: SearchQuery): number {
  if ('bool' in query) {
    let total = 0;
    for (const q of query.bool.must) {
      const s = score(loc, q);
      if (s === 0) return 0;
      total += s;
    }
    return total;
  }
  if ('dis-max' in query) return Math.max(0, ...query['dis-max'].queries.map((q) => score(loc, q)));
  const wanted = normalise(query.field.query);
  let best = 0;
  for (const field of query.field.fields) {
    const value = loc.properties[field];
    const have = normalise(value);
    if (wanted === '' && (value === null || value === undefined)) best = Math.max(best, 1);
    else if (have === wanted && have !== '') best = Math.max(best, 4 + wanted.length / 10);
    else if (query.field.method === 'match' && have !== '' && wanted.split(/[\s,]+/).every((t) => t && String(value).toLowerCase().includes(t)))
      best = Math.max(best, 2 + wanted.length / 20);
  }
  return best;
}

export function searchLocations(locations: readonly SandboxLocation[], entity: LocationEntity, query: SearchQuery): Location[] {
  return locations
    .filter((l) => l.entity === entity)
    .map((l) => ({ score: Math.round(score(l, query) * 1000) / 1000, uuid: l.uuid, title: l.title, properties: l.properties }))
    .filter((l) => l.score > 0)
    .sort((a, b) => b.score - a.score || a.title.localeCompare(b.title));
}
