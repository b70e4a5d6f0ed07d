/** ISO 18626 (Interlibrary Loan Transactions), schema v1.2 (iso18626.md): the namespace, the messages and the
 *  closed code lists this connector sends and accepts. The open lists (ReasonUnfilled, ReasonRetry, …) are listed for
 *  reference: a value outside them is kept as sent. */
export const ISO18626_NAMESPACE = 'http://illtransactions.org/2013/iso18626';
export const ISO18626_VERSION = '1.2';

/** The three messages and their confirmations. */
export const ISO18626_MESSAGES = ['request', 'supplyingAgencyMessage', 'requestingAgencyMessage'] as const;
export type Iso18626MessageKind = (typeof ISO18626_MESSAGES)[number];
export const CONFIRMATION_OF: Readonly<Record<Iso18626MessageKind, string>> = {
  request: 'requestConfirmation',
  supplyingAgencyMessage: 'supplyingAgencyMessageConfirmation',
  requestingAgencyMessage: 'requestingAgencyMessageConfirmation',
};

export const AGENCY_ID_TYPES = ['ISIL', 'DNUCNI'] as const;
export const MESSAGE_STATUSES = ['OK', 'ERROR'] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

/** The status of a transaction as the supplying agency (the lender) reports it. */
export const ISO18626_STATUSES = [
  'RequestReceived', 'ExpectToSupply', 'WillSupply', 'Loaned', 'Overdue', 'Recalled', 'RetryPossible', 'Unfilled',
  'CopyCompleted', 'LoanCompleted', 'CompletedWithoutReturn', 'Cancelled',
] as const;
export type Iso18626Status = (typeof ISO18626_STATUSES)[number];

export const REASONS_FOR_MESSAGE = ['RequestResponse', 'StatusRequestResponse', 'RenewResponse', 'CancelResponse', 'StatusChange', 'Notification'] as const;
export type ReasonForMessage = (typeof REASONS_FOR_MESSAGE)[number];

/** The actions of a requestingAgencyMessage (the borrower's messages). */
export const REQUESTING_AGENCY_ACTIONS = ['StatusRequest', 'Received', 'Cancel', 'Renew', 'ShippedReturn', 'ShippedForward', 'Notification'] as const;
export type RequestingAgencyAction = (typeof REQUESTING_AGENCY_ACTIONS)[number];

export const ERROR_TYPES = ['UnsupportedActionType', 'UnsupportedReasonForMessageType', 'UnrecognisedDataElement', 'UnrecognisedDataValue', 'BadlyFormedMessage'] as const;
export type ErrorType = (typeof ERROR_TYPES)[number];

export const YES_NO = ['Y', 'N'] as const;

/** Open code lists (2017 registry): other values are kept as sent. */
export const REASONS_UNFILLED = ['NonCirculating', 'NotAvailableForILL', 'NotHeld', 'NotOnShelf', 'PolicyProblem', 'PoorCondition'] as const;
export const REASONS_RETRY = [
  'AtBindery', 'CostExceedsMaxCost', 'LoanPossible', 'NotCurrentAvailableForILL', 'NotFoundAsCited', 'OnLoan', 'OnOrder', 'ReqDelDateNotPossible', 'ReqDelMethodNotSupp',
] as const;

/** The header fields of every message, in schema order; confirmations add timestampReceived and messageStatus. */
export const HEADER_ELEMENTS = ['supplyingAgencyId', 'requestingAgencyId', 'multipleItemRequestId', 'timestamp', 'requestingAgencyRequestId', 'supplyingAgencyRequestId', 'requestingAgencyAuthentication'] as const;
/** Required in every header (ISO-18626-v1_2.xsd): supplyingAgencyRequestId and the authentication may be left out. */
export const REQUIRED_HEADER_ELEMENTS = ['supplyingAgencyId', 'requestingAgencyId', 'multipleItemRequestId', 'timestamp', 'requestingAgencyRequestId'] as const;

export interface AgencyId {
  agencyIdType: string;
  agencyIdValue: string;
}

export interface Iso18626Header {
  supplyingAgencyId: AgencyId;
  requestingAgencyId: AgencyId;
  /** Empty unless the request is one of several items. */
  multipleItemRequestId: string;
  /** ISO 8601 with time zone, e.g. 2026-12-03T12:00:00.000Z. */
  timestamp: string;
  requestingAgencyRequestId: string;
  supplyingAgencyRequestId?: string | null;
  requestingAgencyAuthentication?: { accountId?: string; securityCode?: string } | null;
}

export interface DeliveryInfo {
  dateSent?: string;
  itemId?: string;
  sentVia?: string;
  sentToPatron?: string;
  loanCondition?: string;
  deliveredFormat?: string;
}

/** A supplyingAgencyMessage as read (or to build). */
export interface SupplyingAgencyMessage {
  header: Iso18626Header;
  messageInfo: {
    reasonForMessage: ReasonForMessage;
    answerYesNo?: 'Y' | 'N';
    note?: string;
    reasonUnfilled?: string;
    reasonRetry?: string;
    retryAfter?: string;
    retryBefore?: string;
  };
  statusInfo: { status: Iso18626Status; expectedDeliveryDate?: string; dueDate?: string; lastChange: string };
  deliveryInfo?: DeliveryInfo;
}

/** A requestingAgencyMessage as read (or to build). */
export interface RequestingAgencyMessage {
  header: Iso18626Header;
  action: RequestingAgencyAction;
  note?: string;
}

export interface Iso18626Confirmation {
  kind: string;
  header: Iso18626Header & { timestampReceived: string; messageStatus: MessageStatus };
  errorData?: { errorType: ErrorType; errorValue?: string };
  /** supplyingAgencyMessageConfirmation / requestingAgencyMessageConfirmation echo it. */
  reasonForMessage?: string;
  action?: string;
}
