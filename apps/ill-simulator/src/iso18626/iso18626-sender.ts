import axios from 'axios';
import { setTimeout as sleep } from 'timers/promises';
import { buildSupplyingAgencyMessage, Iso18626Status, isoTimestamp, readIso18626Confirmation, ReasonForMessage, SupplyingAgencyMessage } from '@illbridge/connectors/iso18626';

/** The lender messages the simulator sends (`POST /_sim/iso18626/send`), each a supplyingAgencyMessage. */
export const LENDER_MESSAGES = ['RequestReceived', 'WillSupply', 'Loaned', 'Unfilled', 'RetryPossible', 'CopyCompleted', 'Overdue', 'Recalled', 'CancelResponse', 'RenewResponse', 'LoanCompleted', 'Cancelled', 'Notification'] as const;
export type LenderMessage = (typeof LENDER_MESSAGES)[number];

export interface LenderMessageInput {
  message: LenderMessage;
  requestingAgencyRequestId: string;
  supplyingAgencyId: string;
  requestingAgencyId: string;
  securityCode?: string;
  dueDate?: string;
  reasonUnfilled?: string;
  reasonRetry?: string;
  answerYesNo?: 'Y' | 'N';
  note?: string;
  /** The header's timestamp (default now): the same timestamp again makes the same message. */
  timestamp?: string;
  /** CancelResponse / RenewResponse / Notification: the status reported (default: Cancelled for a yes to a cancel, else Loaned). */
  status?: Iso18626Status;
}

/** The message's reasonForMessage and status: the answers to our Cancel / Renew, a status change, a first answer. */
function shapeOf(input: LenderMessageInput): { reason: ReasonForMessage; status: Iso18626Status } {
  switch (input.message) {
    case 'CancelResponse':
      return { reason: 'CancelResponse', status: input.status ?? (input.answerYesNo === 'Y' ? 'Cancelled' : 'WillSupply') };
    case 'RenewResponse':
      return { reason: 'RenewResponse', status: input.status ?? 'Loaned' };
    case 'Notification':
      return { reason: 'Notification', status: input.status ?? 'Loaned' };
    case 'WillSupply':
    case 'Unfilled':
    case 'RetryPossible':
    case 'RequestReceived':
      return { reason: 'RequestResponse', status: input.message };
    default:
      return { reason: 'StatusChange', status: input.message };
  }
}

export function buildLenderMessage(input: LenderMessageInput): { xml: string; timestamp: string } {
  const timestamp = input.timestamp ?? isoTimestamp();
  const { reason, status } = shapeOf(input);
  const message: SupplyingAgencyMessage = {
    header: {
      supplyingAgencyId: { agencyIdType: 'ISIL', agencyIdValue: input.supplyingAgencyId },
      requestingAgencyId: { agencyIdType: 'ISIL', agencyIdValue: input.requestingAgencyId },
      multipleItemRequestId: '',
      timestamp,
      requestingAgencyRequestId: input.requestingAgencyRequestId,
      supplyingAgencyRequestId: `SIM-${input.requestingAgencyRequestId}`,
      requestingAgencyAuthentication: input.securityCode !== undefined ? { accountId: input.supplyingAgencyId, securityCode: input.securityCode } : null,
    },
    messageInfo: {
      reasonForMessage: reason,
      ...(input.answerYesNo && { answerYesNo: input.answerYesNo }),
      ...(input.note && { note: input.note }),
      ...(input.reasonUnfilled && { reasonUnfilled: input.reasonUnfilled }),
      ...(input.reasonRetry && { reasonRetry: input.reasonRetry }),
    },
    statusInfo: { status, ...(input.dueDate && { dueDate: input.dueDate }), lastChange: timestamp },
    ...(status === 'Loaned' && reason === 'StatusChange' && { deliveryInfo: { dateSent: timestamp.slice(0, 10), itemId: `ITEM-${input.requestingAgencyRequestId}`, sentVia: 'Mail' } }),
  };
  return { xml: buildSupplyingAgencyMessage(message), timestamp };
}

export interface SentConfirmation {
  httpStatus: number | null;
  messageStatus: string | null;
  errorType: string | null;
  errorValue: string | null;
  attempts: number;
  timestamp: string;
}

/** Posts a lender message to an ISO 18626 endpoint and reads the confirmation; no answer and HTTP 5xx are retried
 *  (the same message, same timestamp) with doubling waits. */
export async function sendLenderMessage(endpointUrl: string, input: LenderMessageInput, options: { retries: number; baseDelayMs: number; timeoutMs?: number }): Promise<SentConfirmation> {
  const { xml, timestamp } = buildLenderMessage(input);
  for (let attempt = 1; ; attempt++) {
    let result: SentConfirmation;
    let retryable = false;
    try {
      const response = await axios.post<string>(endpointUrl, xml, {
        headers: { 'Content-Type': 'application/xml; charset=utf-8' },
        responseType: 'text',
        transformResponse: (data) => data,
        timeout: options.timeoutMs ?? 10_000,
        validateStatus: () => true,
      });
      const confirmation = readIso18626Confirmation(String(response.data ?? ''));
      retryable = response.status >= 500;
      result = {
        httpStatus: response.status,
        messageStatus: confirmation?.header.messageStatus ?? null,
        errorType: confirmation?.errorData?.errorType ?? null,
        errorValue: confirmation ? (confirmation.errorData?.errorValue ?? null) : String(response.data ?? '').slice(0, 500) || null,
        attempts: attempt,
        timestamp,
      };
    } catch (error) {
      retryable = true;
      result = { httpStatus: null, messageStatus: null, errorType: null, errorValue: (error as Error).message, attempts: attempt, timestamp };
    }
    if (!retryable || attempt > options.retries) return result;
    await sleep(Math.min(options.baseDelayMs * 2 ** (attempt - 1), 10_000));
  }
}
