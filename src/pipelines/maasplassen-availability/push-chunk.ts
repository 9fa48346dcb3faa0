import { PayloadRejectedError } from '../../upstreams/maasplassen/errors.js';

export interface ChunkOutcome<T> {
  pushed: T[];
  rejected: { item: T; reason: string }[];
  requests: number;
}

/**
 * Pushes a chunk; when the service rolls it back, splits it in halves until every bad entry stands alone.
 * k bad entries in n cost O(k·log n) extra requests, and every good entry still lands. Errors other than a
 * payload rejection (auth, exhausted retries) are thrown: they would fail every half the same way.
 */
export async function pushWithBisection<T>(items: T[], send: (items: T[]) => Promise<void>): Promise<ChunkOutcome<T>> {
  const outcome: ChunkOutcome<T> = { pushed: [], rejected: [], requests: 0 };
  const visit = async (part: T[]): Promise<void> => {
    if (part.length === 0) return;
    outcome.requests++;
    try {
      await send(part);
      for (const item of part) outcome.pushed.push(item);
    } catch (err) {
      if (!(err instanceof PayloadRejectedError)) throw err;
      if (part.length === 1) {
        outcome.rejected.push({ item: part[0]!, reason: err.message });
        return;
      }
      const mid = Math.ceil(part.length / 2);
      await visit(part.slice(0, mid));
      await visit(part.slice(mid));
    }
  };
  await visit(items);
  return outcome;
}
