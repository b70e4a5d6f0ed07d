import type { BorrowingStatus, Direction, RequestStatus } from '../vocabulary';

/** Staff actions on requests that are processed locally: those of Libris and Netpunkt (product.md §5,
 *  last bullet). They change the local status only; nothing is pushed. */
export const LOCAL_ACTIONS = ['SEND', 'ANSWER', 'RECEIVE', 'RENEW', 'RETURN', 'COMPLETE', 'CANCEL', 'REACTIVATE'] as const;
export type LocalAction = (typeof LOCAL_ACTIONS)[number];

export function isLocalAction(value: unknown): value is LocalAction {
  return (LOCAL_ACTIONS as readonly unknown[]).includes(value);
}

/** The status each allowed action leads to, from one status. */
export type LocalTransitions<Status extends RequestStatus = RequestStatus> = Readonly<Partial<Record<LocalAction, Status>>>;

/** The local borrowing workflow, modelled on Alma's borrowing request actions:
 *
 *  | from                            | action     | to                              |
 *  |---------------------------------|------------|---------------------------------|
 *  | CREATED_BORROWING_REQUEST       | SEND       | REQUEST_SENT_TO_PARTNER         |
 *  | CONDITIONAL                     | ANSWER     | REQUEST_SENT_TO_PARTNER         |
 *  | SHIPPED_PHYSICALLY              | RECEIVE    | PHYSICALLY_RECEIVED_BY_LIBRARY  |
 *  | SHIPPED_DIGITALLY               | RECEIVE    | DIGITALLY_RECEIVED_BY_LIBRARY   |
 *  | PHYSICALLY_RECEIVED_BY_LIBRARY  | RENEW      | RENEW_REQUESTED                 |
 *  | PHYSICALLY_RECEIVED_BY_LIBRARY, RENEW_REQUESTED | RETURN | RETURNED_ITEM_TO_PARTNER |
 *  | DIGITALLY_RECEIVED_BY_LIBRARY, RETURNED_ITEM_TO_PARTNER | COMPLETE | REQUEST_COMPLETED |
 *  | CREATED_BORROWING_REQUEST, REQUEST_SENT_TO_PARTNER, REQUEST_ACCEPTED, CONDITIONAL, REJECTED_BY_PARTNER | CANCEL | CANCELED_BY_STAFF |
 *  | REJECTED_BY_PARTNER, CANCELED_BY_STAFF, CANCELED_BY_PARTNER | REACTIVATE | CREATED_BORROWING_REQUEST |
 *
 *  Not here, on purpose: ACCEPT and CALLBACK exist only for NACSIS partners (seed
 *  alma-integration-with-nacsis-ill); FORWARD and CLAIM address the partner system, which for these
 *  requests runs its own lender chain and reports it back at the next import. Nothing is possible
 *  once a request is completed, and an item in transit (shipped) can only be received, not cancelled.
 *  A renewal answer comes back with the next import, which sets the status the partner reports. */
const BORROWING_TRANSITIONS: Readonly<Record<BorrowingStatus, LocalTransitions<BorrowingStatus>>> = {
  CREATED_BORROWING_REQUEST: { SEND: 'REQUEST_SENT_TO_PARTNER', CANCEL: 'CANCELED_BY_STAFF' },
  REQUEST_SENT_TO_PARTNER: { CANCEL: 'CANCELED_BY_STAFF' },
  REQUEST_ACCEPTED: { CANCEL: 'CANCELED_BY_STAFF' },
  CONDITIONAL: { ANSWER: 'REQUEST_SENT_TO_PARTNER', CANCEL: 'CANCELED_BY_STAFF' },
  REJECTED_BY_PARTNER: { CANCEL: 'CANCELED_BY_STAFF', REACTIVATE: 'CREATED_BORROWING_REQUEST' },
  SHIPPED_PHYSICALLY: { RECEIVE: 'PHYSICALLY_RECEIVED_BY_LIBRARY' },
  SHIPPED_DIGITALLY: { RECEIVE: 'DIGITALLY_RECEIVED_BY_LIBRARY' },
  PHYSICALLY_RECEIVED_BY_LIBRARY: { RENEW: 'RENEW_REQUESTED', RETURN: 'RETURNED_ITEM_TO_PARTNER' },
  DIGITALLY_RECEIVED_BY_LIBRARY: { COMPLETE: 'REQUEST_COMPLETED' },
  RENEW_REQUESTED: { RETURN: 'RETURNED_ITEM_TO_PARTNER' },
  RETURNED_ITEM_TO_PARTNER: { COMPLETE: 'REQUEST_COMPLETED' },
  REQUEST_COMPLETED: {},
  CANCELED_BY_STAFF: { REACTIVATE: 'CREATED_BORROWING_REQUEST' },
  CANCELED_BY_PARTNER: { REACTIVATE: 'CREATED_BORROWING_REQUEST' },
};

/** Local transitions per direction. Libris and Netpunkt bring borrowing requests only (lending
 *  requests come from NACSIS, whose own action table governs them), so no lending status has any. */
export const LOCAL_WORKFLOW: Readonly<Record<Direction, Readonly<Partial<Record<RequestStatus, LocalTransitions>>>>> = {
  BORROWING: BORROWING_TRANSITIONS,
  LENDING: {},
};

export type LocalActionResult =
  | { readonly allowed: true; readonly action: LocalAction; readonly toStatus: RequestStatus }
  | { readonly allowed: false; readonly message: string; readonly allowedActions: readonly LocalAction[] };

function transitionsOf(direction: Direction, status: RequestStatus): LocalTransitions {
  return LOCAL_WORKFLOW[direction][status] ?? {};
}

/** The local actions allowed from `status`, in the order of `LOCAL_ACTIONS`. */
export function allowedLocalActions(direction: Direction, status: RequestStatus): LocalAction[] {
  const transitions = transitionsOf(direction, status);
  return LOCAL_ACTIONS.filter((action) => transitions[action] !== undefined);
}

/** The status `action` leads to, or the refusal "Action Not Allowed: RETURN is not allowed while the
 *  request is SHIPPED_PHYSICALLY (allowed: RECEIVE)". */
export function evaluateLocalAction(direction: Direction, status: RequestStatus, action: LocalAction): LocalActionResult {
  const toStatus = transitionsOf(direction, status)[action];
  if (toStatus !== undefined) return { allowed: true, action, toStatus };
  const allowed = allowedLocalActions(direction, status);
  const message = `Action Not Allowed: ${action} is not allowed while the request is ${status} (allowed: ${allowed.join(', ') || 'none'})`;
  return { allowed: false, message, allowedActions: allowed };
}
