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
 * `warning` beside the rejections. The core holds the shape and the vendor-free reasons; a pipeline's own
 * reasons live in its folder.
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

/** When the order day that `day` starts ends: the next midnight in `timeZone`, as an instant. */
export function nextDayStart(timeZone: string, now: Date = new Date()): Date {
  // Walk forward in hours until the calendar date in the zone changes, then back to the exact minute.
  const dayOf = (d: Date) => new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
  const today = dayOf(now);
  let t = now.getTime() - (now.getTime() % 60_000);
  let step = 3_600_000;
  while (dayOf(new Date(t + step)) === today) t += step;
  for (step = 60_000; dayOf(new Date(t + step)) === today; ) t += step;
  return new Date(t + step);
}

/** koppel's own daily cap, reached: which cap (its config key), its count, and when it resets. */
export function ownCapReason(c: { upstream: string; capKey: string; cap: number; placed: number; day: string; timeZone: string; now?: Date }): Reason {
  const resets = nextDayStart(c.timeZone, c.now);
  return {
    code: 'daily-cap',
    message: `koppel's daily order cap for ${c.upstream} (${c.capKey} = ${c.cap}) is reached: ${c.placed} of ${c.cap} ordered on ${c.day}`,
    next: `none: ordered by the first run after the cap resets at ${resets.toISOString()} (midnight ${c.timeZone}); to order more today, raise ${c.capKey}`,
  };
}

/** Ordering on this upstream is stopped for the day (the vendor's cap answered, or the account refused). */
export function dayBlockedReason(c: { upstream: string; blockedReason: string; day: string; timeZone: string; now?: Date; retryCommand: string }): Reason {
  const resets = nextDayStart(c.timeZone, c.now);
  return {
    code: 'ordering-stopped-today',
    message: `ordering on ${c.upstream} is stopped for ${c.day}: ${c.blockedReason}`,
    next: `none: ordered by the first run after ${resets.toISOString()} (midnight ${c.timeZone}); once the cause is fixed, \`${c.retryCommand}\` orders it sooner`,
  };
}

/** A crash (or kill) between recording the intent to order and recording the answer. */
export function interruptedReason(c: { upstream: string; requestId: number; intentAt: string }): Reason {
  return {
    code: 'interrupted',
    message: `interrupted after recording the intent to order (at ${intentAtText(c.intentAt)}) and before recording the answer: ${c.upstream} may or may not have placed the order`,
    next: `check the ${c.upstream} account, then \`koppel order ${c.upstream} resolve ${c.requestId} --ordered <order id>\` or \`--not-ordered\``,
  };
}

function intentAtText(at: string): string {
  const d = new Date(at);
  return Number.isNaN(d.getTime()) ? at : `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}
