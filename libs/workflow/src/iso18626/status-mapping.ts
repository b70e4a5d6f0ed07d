import type { BorrowingStatus } from '../vocabulary';

/* What an ISO 18626 message from the lender (supplyingAgencyMessage) does to a borrowing request: data, tested
   exhaustively (status-mapping.spec.ts). iso18626.md "Mapping to ILL Bridge". The ISO statuses are repeated here
   (the workflow depends on no connector); the spec test checks they are the connector's closed list. */

export const ISO18626_LENDER_STATUSES = [
  'RequestReceived', 'ExpectToSupply', 'WillSupply', 'Loaned', 'Overdue', 'Recalled', 'RetryPossible', 'Unfilled',
  'CopyCompleted', 'LoanCompleted', 'CompletedWithoutReturn', 'Cancelled',
] as const;
export type Iso18626LenderStatus = (typeof ISO18626_LENDER_STATUSES)[number];

/** One ISO status: the local status it leads to (null: none, only `externalSystemStatus` shows it), the local
 *  statuses it moves a request from (from any other the local status stays: a message never moves a request back,
 *  e.g. a Loaned repeated after staff RECEIVE), and what is kept or flagged. */
export interface Iso18626StatusRule {
  to: BorrowingStatus | null;
  from: readonly BorrowingStatus[];
  /** statusInfo.dueDate is kept as the request's due date. */
  keepsDueDate?: boolean;
  /** messageInfo.reasonUnfilled / reasonRetry (and retryAfter) are kept. */
  keepsReason?: boolean;
  /** Shown as a flag on the request (`overdue`, `recalled`) and as an event. */
  flag?: 'overdue' | 'recalled';
}

const NOT_YET_SHIPPED: readonly BorrowingStatus[] = ['CREATED_BORROWING_REQUEST', 'REQUEST_SENT_TO_PARTNER', 'REQUEST_ACCEPTED', 'CONDITIONAL'];
const AT_OR_AFTER_SHIPPING: readonly BorrowingStatus[] = [
  'SHIPPED_PHYSICALLY', 'SHIPPED_DIGITALLY', 'PHYSICALLY_RECEIVED_BY_LIBRARY', 'DIGITALLY_RECEIVED_BY_LIBRARY', 'RENEW_REQUESTED', 'RETURNED_ITEM_TO_PARTNER',
];

export const ISO18626_STATUS_MAPPING: Readonly<Record<Iso18626LenderStatus, Iso18626StatusRule>> = {
  RequestReceived: { to: 'REQUEST_SENT_TO_PARTNER', from: ['CREATED_BORROWING_REQUEST'] },
  ExpectToSupply: { to: 'REQUEST_ACCEPTED', from: ['CREATED_BORROWING_REQUEST', 'REQUEST_SENT_TO_PARTNER', 'CONDITIONAL'] },
  WillSupply: { to: 'REQUEST_ACCEPTED', from: ['CREATED_BORROWING_REQUEST', 'REQUEST_SENT_TO_PARTNER', 'CONDITIONAL'] },
  Loaned: { to: 'SHIPPED_PHYSICALLY', from: NOT_YET_SHIPPED, keepsDueDate: true },
  CopyCompleted: { to: 'SHIPPED_DIGITALLY', from: NOT_YET_SHIPPED },
  Unfilled: { to: 'REJECTED_BY_PARTNER', from: NOT_YET_SHIPPED, keepsReason: true },
  RetryPossible: { to: 'CONDITIONAL', from: ['CREATED_BORROWING_REQUEST', 'REQUEST_SENT_TO_PARTNER', 'REQUEST_ACCEPTED'], keepsReason: true },
  Cancelled: { to: 'CANCELED_BY_PARTNER', from: [...NOT_YET_SHIPPED, 'REJECTED_BY_PARTNER'] },
  Overdue: { to: null, from: [], keepsDueDate: true, flag: 'overdue' },
  Recalled: { to: null, from: [], keepsDueDate: true, flag: 'recalled' },
  LoanCompleted: { to: 'REQUEST_COMPLETED', from: AT_OR_AFTER_SHIPPING },
  CompletedWithoutReturn: { to: 'REQUEST_COMPLETED', from: AT_OR_AFTER_SHIPPING },
};

/** The answers to our Cancel and Renew (reasonForMessage CancelResponse / RenewResponse, answerYesNo): the local
 *  status changes only now (a Cancel or Renew taken by staff leaves it as it was until the lender answers). */
export const ISO18626_ANSWER_RULES = {
  CancelResponse: { Y: { to: 'CANCELED_BY_STAFF', from: [...NOT_YET_SHIPPED, 'REJECTED_BY_PARTNER'] }, N: { to: null, from: [] } },
  RenewResponse: { Y: { to: null, from: [], keepsDueDate: true }, N: { to: null, from: [] } },
} as const satisfies Record<string, Record<'Y' | 'N', Iso18626StatusRule>>;

export interface Iso18626Effect {
  /** The new local status, or null: it stays. */
  status: BorrowingStatus | null;
  keepsDueDate: boolean;
  keepsReason: boolean;
  flag: 'overdue' | 'recalled' | null;
}

/** What one lender message does to a request now in `current`: its reasonForMessage, answerYesNo and status. */
export function iso18626Effect(current: string, reasonForMessage: string, status: Iso18626LenderStatus, answerYesNo?: 'Y' | 'N'): Iso18626Effect {
  const rule: Iso18626StatusRule =
    (reasonForMessage === 'CancelResponse' || reasonForMessage === 'RenewResponse') && answerYesNo
      ? ISO18626_ANSWER_RULES[reasonForMessage][answerYesNo]
      : ISO18626_STATUS_MAPPING[status];
  const moves = rule.to !== null && (rule.from as readonly string[]).includes(current);
  return { status: moves ? rule.to : null, keepsDueDate: !!rule.keepsDueDate, keepsReason: !!rule.keepsReason, flag: rule.flag ?? null };
}

/** The local actions on a request of an ISO 18626 channel that send a requestingAgencyMessage, and its action.
 *  `waitsForAnswer`: the local status stays until the lender's CancelResponse / RenewResponse. */
export const ISO18626_OUTBOUND_ACTIONS = {
  RECEIVE: { action: 'Received', waitsForAnswer: false },
  RETURN: { action: 'ShippedReturn', waitsForAnswer: false },
  CANCEL: { action: 'Cancel', waitsForAnswer: true },
  RENEW: { action: 'Renew', waitsForAnswer: true },
  STATUS_REQUEST: { action: 'StatusRequest', waitsForAnswer: true },
} as const;
export type Iso18626OutboundLocalAction = keyof typeof ISO18626_OUTBOUND_ACTIONS;
export const isIso18626OutboundAction = (action: string): action is Iso18626OutboundLocalAction => Object.hasOwn(ISO18626_OUTBOUND_ACTIONS, action);
