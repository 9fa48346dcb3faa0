/**
 * Why a deliverable is not on disk, kept per pipeline and item in `download_failures` so that `koppel status`
 * can show it and the next run knows what to skip. A size refusal (DownloadTooLargeError) stands while the
 * configured `max_download_bytes` is not above the limit that refused it: the item is not fetched again run
 * after run, and raising the limit lets the next run fetch it. Any other failure is recorded for `status` and
 * retried by the next run. A download that lands clears the row.
 */
import { type Kysely, sql } from 'kysely';
import type { DB } from '../db/schema.js';
import { DownloadTooLargeError } from './download-limit.js';

export async function recordDownloadFailure(db: Kysely<DB>, pipeline: string, itemKey: string, err: Error): Promise<void> {
  const tooLarge = err instanceof DownloadTooLargeError ? err : undefined;
  const values = {
    reason: err.message.slice(0, 2000),
    permanent: tooLarge !== undefined,
    bytes: tooLarge?.bytes ?? null,
    limit_bytes: tooLarge?.limit ?? null,
  };
  await db
    .insertInto('download_failures')
    .values({ pipeline, item_key: itemKey, ...values })
    .onConflict((oc) => oc.columns(['pipeline', 'item_key']).doUpdateSet({ ...values, attempts: sql`download_failures.attempts + 1`, failed_at: sql`now()` }))
    .execute();
}

/** Forgets the failures of items that are now on disk. */
export async function clearDownloadFailures(db: Kysely<DB>, pipeline: string, itemKeys: readonly string[]): Promise<void> {
  if (itemKeys.length === 0) return;
  await db.deleteFrom('download_failures').where('pipeline', '=', pipeline).where('item_key', 'in', itemKeys).execute();
}

export interface KnownDownloadFailures {
  /** Refused for their size, and the current limit would refuse them again: not fetched in this run. */
  refused: Set<string>;
  /** Every item with a recorded failure (so a download that lands knows to clear it). */
  any: Set<string>;
}

/** What the failures recorded so far mean for a run whose limit is `limit`. */
export async function knownDownloadFailures(db: Kysely<DB>, pipeline: string, limit: number): Promise<KnownDownloadFailures> {
  const rows = await db.selectFrom('download_failures').select(['item_key', 'permanent', 'limit_bytes']).where('pipeline', '=', pipeline).execute();
  const refused = new Set(rows.filter((r) => r.permanent && r.limit_bytes !== null && Number(r.limit_bytes) >= limit).map((r) => r.item_key));
  return { refused, any: new Set(rows.map((r) => r.item_key)) };
}

/** For `status`: each item not on disk, why, and what happens next. */
export async function downloadFailureStatus(db: Kysely<DB>, pipeline: string, limit = 50): Promise<{ item: string; reason: string; next: string }[]> {
  const rows = await db
    .selectFrom('download_failures')
    .select(['item_key', 'reason', 'permanent', 'attempts', 'failed_at'])
    .where('pipeline', '=', pipeline)
    .orderBy('failed_at', 'desc')
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    item: r.item_key,
    reason: r.reason,
    next: r.permanent ? 'refused until max_download_bytes is raised' : `retried on the next run (failed ${r.attempts} time(s))`,
  }));
}
