import type { ReceivedRequest } from '../../sandbox/kit.js';

/**
 * Calls `listener` as each request reaches an HTTP sandbox (before it is answered). `requests` is the sandbox's
 * request log: its `push` is wrapped, so a listener can change the sandbox's faults for the request it is told of.
 */
export function onRequest<R extends ReceivedRequest>(requests: R[], listener: (r: R) => void): void {
  requests.push = (...items: R[]) => {
    for (const r of items) listener(r);
    return Array.prototype.push.apply(requests, items);
  };
}
