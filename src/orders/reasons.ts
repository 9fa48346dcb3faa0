/**
 * The reasons the queue itself gives (in the shared vocabulary of `src/core/reasons.ts`): koppel's own cap,
 * a day on which ordering stopped, an interrupted order. A pipeline's own reasons live in its folder.
 */
import type { Reason } from '../core/reasons.js';
import { nextDayStart } from './order-day.js';

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
