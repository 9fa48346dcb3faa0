/**
 * The order-request queue: what an ordering pipeline, the `order` commands and the web console use. Listed
 * by name, so what is public stays visible (see `queue.ts` for how the parts fit).
 */
export { candidateLine, candidateLines } from './candidates.js';
export { type ClaimResult, claimForOrdering } from './claim.js';
export { type OrderDayCap, orderCapToday, unblockOrderDay } from './daily-cap.js';
export { nextDayStart, orderDay } from './order-day.js';
export {
  enqueueOrderRequest,
  findOrderRequest,
  interruptedOrderRequests,
  type OrderRequest,
  type OrderRequestStatus,
  type OrderUpstream,
  pendingOrderRequests,
  reconcileInterruptedOrders,
  refuseOtherUpstream,
} from './queue.js';
export { dayBlockedReason, interruptedReason, ownCapReason } from './reasons.js';
export { type OrderRequestStatusReport, orderRequestStatus, type RequestLine } from './status.js';
export {
  markCapped,
  markCompleted,
  markCompletedMany,
  markFailed,
  markNeedsAttention,
  markVendorEnded,
  markWaiting,
  noteOrdered,
  notePending,
  recordOrderPlaced,
  recordOrderRefused,
  requeueOrderRequest,
  resolveInterruptedOrder,
} from './transitions.js';
