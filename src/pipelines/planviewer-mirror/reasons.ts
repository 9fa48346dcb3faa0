/**
 * Planviewer's reasons in the shared vocabulary (src/core/reasons.ts): what each wait, hold or failure of a
 * Planviewer request means to the notary's assistant, and the command that answers it.
 */
import type { Reason } from '../../core/reasons.js';
import { nextDayStart } from '../../orders/index.js';

export const CAP_KEY = 'upstreams.planviewer.daily_order_cap';

/** How a day blocked by the vendor's cap is recorded (`order_days.blocked_reason`), so a later run can tell it from a 402 block. */
export const VENDOR_CAP_BLOCK = "Planviewer's daily order cap answered (429)";

export const retryCommand = (id: number | string) => `koppel order planviewer retry ${id}`;

export function invalidRequest(message: string): Reason {
  return { code: 'invalid-request', message, next: 'queue a corrected request (`koppel order planviewer --address … --product …`); this one is not ordered' };
}

export function nothingToOrder(message: string): Reason {
  return { code: 'nothing-to-order', message, next: 'check the address or lot and the product, then queue it again; nothing was ordered' };
}

/** Several locations or intentions fit: the candidates are in `details`, a person picks one. */
export function choiceNeeded(id: number, message: string, details: Record<string, unknown>): Reason {
  const flag = details.location ? '--intention' : '--location';
  return { code: 'choice-needed', message, next: `koppel order planviewer resolve ${id} ${flag} <uuid> (one of the candidates)` };
}

export function lookupFailed(message: string): Reason {
  return { code: 'lookup-failed', message: `could not look the request up at Planviewer: ${message}`, next: 'none: the next run tries again' };
}

export function vendorCap(id: number, vendorMessage: string, timeZone: string, now?: Date): Reason {
  return {
    code: 'vendor-daily-cap',
    message: `Planviewer's own daily order cap for the account is reached (429: ${vendorMessage}); nothing was ordered`,
    next: `none: ordered by the first run after ${nextDayStart(timeZone, now).toISOString()} (midnight ${timeZone}); to order sooner, ask Planviewer to raise the account's cap, then \`${retryCommand(id)}\``,
  };
}

export function paymentRequired(id: number): Reason {
  return {
    code: 'payment-required',
    message: 'Planviewer refused the order: payment on account is not enabled (402); nothing was ordered',
    next: `ask Planviewer to enable payment on account, then \`${retryCommand(id)}\``,
  };
}

export function outcomeUnknown(id: number, message: string, order: { intention: string; product: string; location: string }): Reason {
  return {
    code: 'outcome-unknown',
    message: `order outcome unknown: ${message}; the order of intention ${order.intention} (${order.product}, ${order.location}) may or may not be placed`,
    next: `check the Planviewer account for that order, then \`koppel order planviewer resolve ${id} --ordered <job>\` or \`--not-ordered\``,
  };
}

export function refused(message: string): Reason {
  return { code: 'refused', message: `Planviewer refused the order (nothing was ordered): ${message}`, next: 'check the request; queue a corrected one' };
}

export function credentialsRefused(message: string): Reason {
  return { code: 'credentials-refused', message, next: 'check upstreams.planviewer.access_key and upstreams.planviewer.secret; the next run orders it' };
}

export function notOrderedYet(message: string): Reason {
  return { code: 'not-ordered-yet', message: `not ordered yet: ${message}`, next: 'none: the next run tries again' };
}

export function jobError(job: string): Reason {
  return {
    code: 'vendor-job-error',
    message: `Planviewer job ${job} ended in error after the order was placed (a failed paid order)`,
    next: `ask Planviewer about job ${job} (and any charge); koppel does not order it again`,
  };
}

export function jobUnknown(job: string): Reason {
  return {
    code: 'job-unknown',
    message: `Planviewer does not recognise job ${job} (400 on jobs/status)`,
    next: `check the Planviewer account for job ${job}, then \`koppel order planviewer retry\` or leave it`,
  };
}

/** The job behind an ordered request waits for the user's choice at Planviewer. */
export function jobWaitsForChoice(job: string, choices: Record<string, string>): Reason {
  const listed = Object.entries(choices).map(([i, text]) => `${i}: ${text}`).join(' | ');
  return {
    code: 'choice-needed',
    message: `Planviewer job ${job} waits for a choice${listed ? `: ${listed}` : ''}`,
    next: `koppel order planviewer select ${job} <index>`,
  };
}

/** The request in the notary's words, for `status`. */
export function describeRequest(r: Record<string, unknown>): string {
  const where = typeof r.address === 'string' ? r.address : typeof r.lot === 'string' ? `lot ${r.lot}` : typeof r.location_uuid === 'string' ? r.location_uuid : '?';
  return `${where}, ${typeof r.product === 'string' ? r.product : '?'}`;
}

/** The vendor's cap in words for `status`: its size is the account's (not published); whether it answered today. */
export function vendorCapNote(blockedReason: string | null): string {
  return blockedReason ? `ordering stopped today: ${blockedReason}` : "the account's own cap (10 by default) has not answered today";
}
