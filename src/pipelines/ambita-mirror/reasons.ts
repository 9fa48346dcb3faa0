/**
 * Ambita's reasons in the shared vocabulary (src/core/reasons.ts): what each hold, failure or vendor-side end
 * of an Ambita order request means to the property-data team, and the command that answers it.
 */
import type { Reason } from '../../core/reasons.js';

export const capKey = (pipeline: string) => `daily_order_cap of pipeline "${pipeline}"`;

export function invalidRequest(message: string): Reason {
  return { code: 'invalid-request', message, next: 'queue a corrected request (`koppel order ambita --product … --cadastre … --address …`); this one is not ordered' };
}

export function productMismatch(message: string): Reason {
  return { code: 'product-mismatch', message, next: 'queue the product with the input it takes; nothing was ordered' };
}

export function outcomeUnknown(id: number, message: string): Reason {
  return {
    code: 'outcome-unknown',
    message: `${message}; Ambita may or may not have placed the order (technicalReference "${id}")`,
    next: `look for technicalReference "${id}" in the Ambita account, then \`koppel order ambita resolve ${id} --ordered <order id>\` or \`--not-ordered\``,
  };
}

export function notOrderedYet(message: string, notBefore: Date): Reason {
  return { code: 'not-ordered-yet', message: `not ordered yet: ${message}`, next: `none: tried again from ${notBefore.toISOString()}` };
}

export function credentialsRefused(message: string): Reason {
  return { code: 'credentials-refused', message, next: 'check upstreams.ambita client_id, client_secret, username and password; the next run orders it' };
}

export function refused(message: string): Reason {
  return { code: 'refused', message: `Ambita refused the order (nothing was ordered): ${message}`, next: 'check the request; queue a corrected one' };
}

/** Ambita cancelled or refunded the order: its decision, recorded as such, and the files it took back are gone. */
export function vendorEnded(orderId: number, state: 'cancelled' | 'refunded', dateStatus: string | null): Reason {
  return {
    code: state === 'cancelled' ? 'vendor-cancelled' : 'vendor-refunded',
    message: `Ambita ${state} order ${orderId}${dateStatus ? ` (${dateStatus})` : ''}; its files were removed from the mirror`,
    next: `none in koppel; ask Ambita about order ${orderId} if this was not expected, or queue the request again`,
  };
}

/** The request in the team's words, for `status`. */
export function describeRequest(r: Record<string, unknown>): string {
  const data = (r.orderData ?? {}) as Record<string, unknown>;
  const where =
    typeof data.cadastre === 'string'
      ? `${data.cadastre}${typeof data.address === 'string' ? ` (${data.address})` : ''}`
      : typeof data.organizationNumber === 'string'
        ? `share ${data.organizationNumber}/${String(data.shareNumber ?? '?')}`
        : data.geometry
          ? 'map area'
          : '?';
  const products = Array.isArray(r.products) ? r.products.join('+') : '?';
  return `${where}, ${products}`;
}

export const vendorCapNote = (blockedReason: string | null): string =>
  blockedReason ? `ordering stopped today: ${blockedReason}` : 'Ambita documents no daily cap';
