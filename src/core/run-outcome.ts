/** A run's outcome words and counts: what the runner records, events carry and exit codes are read from. */

/** What happened to one item in a run (or would happen, in a plan). `waiting`: left for a person to answer (a choice between candidates); not a failure, but not done either. */
export type ItemStatus = 'created' | 'updated' | 'unchanged' | 'deleted' | 'rejected' | 'failed' | 'skipped' | 'waiting';

/** The counts every run records. */
export interface RunCounts {
  seen: number;
  created: number;
  updated: number;
  unchanged: number;
  rejected: number;
  failed: number;
}

/**
 * succeeded: all synced (exit 0); rejected: finished but some input was refused (exit 3); attention: finished, but
 * items failed or were left for a person (a vendor job error, a lost order answer, a wait; exit 3); failed: koppel
 * could not do its job, an error ended the run (exit 1); stopped: a shutdown ended it early, what was done is
 * recorded and the next run goes on (exit 1); skipped: another runner holds the lock (exit 75).
 */
export type RunOutcome = 'succeeded' | 'rejected' | 'attention' | 'failed' | 'stopped' | 'skipped' | 'dry-run';

export function emptyCounts(): RunCounts {
  return { seen: 0, created: 0, updated: 0, unchanged: 0, rejected: 0, failed: 0 };
}
