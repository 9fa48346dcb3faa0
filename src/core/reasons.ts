/**
 * One vocabulary for everything that did not go through, shared by every pipeline, the database and `status`.
 *
 * An order request is always in one of these states:
 * - pending:         queued, to be examined on the next run (a reason says why it is not ordered yet, if it was tried).
 * - waiting:         a person must choose (candidates in `details`) before anything is ordered.
 * - capped:          held back by a daily order cap (koppel's own or the vendor's); ordered by itself after the reset.
 * - ordering:        the intent to order is committed; the upstream call is (or was, if we crashed) in flight.
 * - ordered:         the upstream accepted; the pipeline follows the order (a reason may say what it waits for).
 * - completed:       done: the deliverables are in.
 * - failed:          final; `upstream_order_id` says whether money was spent (a "failed paid order").
 * - needs-attention: money is at stake and koppel will not guess (interrupted, outcome unknown, account problem).
 * - cancelled / refunded: the vendor cancelled or refunded the order: its word, not a koppel fault.
 *
 * Every state but completed (and ordered, while nothing is asked of anyone) carries a Reason. Items of the
 * catalog and push pipelines are counted once under their final outcome (created, updated, unchanged, rejected,
 * failed); a warning (synced, but something in it was left out) is counted apart and stored with severity
 * `warning` beside the rejections. The core holds the shape; the order queue's own reasons are in
 * `src/orders/reasons.ts`, and a pipeline's own reasons live in its folder.
 */
export const REQUEST_STATES = ['pending', 'waiting', 'capped', 'ordering', 'ordered', 'completed', 'failed', 'needs-attention', 'cancelled', 'refunded'] as const;
export type RequestState = (typeof REQUEST_STATES)[number];

/** Why a request or item is not done, and what happens next. */
export interface Reason {
  /** Stable and machine-readable (`daily-cap`, `choice-needed`, …); `status --json` and scripts match on it. */
  code: string;
  /** What happened, in the user's words: the request, the mapping's values, the source's columns. */
  message: string;
  /** The next action: the command that answers it, or what koppel does by itself and when. */
  next: string;
}
