import { parseReceiptResponse, RECEIPT_SOAP_ACTION, ReceiptStatus } from '@illbridge/connectors/netpunkt';
import axios from 'axios';
import { setTimeout as sleep } from 'timers/promises';

export interface SendOptions {
  /** Retries after the first attempt. */
  retries: number;
  /** The wait before the first retry; it doubles with each further retry, up to MAX_DELAY_MS. */
  baseDelayMs: number;
  timeoutMs?: number;
}

/** The receipt status answered, or how the call failed when no answer could be read:
 *  `connection_error` (no HTTP answer, timeouts included), `http_error` (a status other than 200),
 *  `unreadable_answer` (a 200 that holds no receiptResponse). */
export type SendStatus = ReceiptStatus | 'connection_error' | 'http_error' | 'unreadable_answer';

export interface SendResult {
  status: SendStatus;
  message: string | null;
  attempts: number;
}

const MAX_DELAY_MS = 30_000;
const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * Posts a receipt to a receipt endpoint as DBC does (netpunkt.md §1, §5) and reads the answer.
 * `temporary_error_please_resend`, connection errors and HTTP 5xx are retried with exponential
 * backoff; any other answer is final. The result is the last attempt's.
 */
export async function sendReceipt(endpointUrl: string, xml: string, { retries, baseDelayMs, timeoutMs = DEFAULT_TIMEOUT_MS }: SendOptions): Promise<SendResult> {
  for (let attempt = 1; ; attempt++) {
    const { status, message, retryable } = await postOnce(endpointUrl, xml, timeoutMs);
    if (!retryable || attempt > retries) return { status, message, attempts: attempt };
    await sleep(Math.min(baseDelayMs * 2 ** (attempt - 1), MAX_DELAY_MS));
  }
}

async function postOnce(endpointUrl: string, xml: string, timeoutMs: number): Promise<{ status: SendStatus; message: string | null; retryable: boolean }> {
  let response;
  try {
    response = await axios.post<string>(endpointUrl, xml, {
      headers: { 'Content-Type': 'text/xml; charset=utf-8', SOAPAction: RECEIPT_SOAP_ACTION },
      responseType: 'text',
      timeout: timeoutMs,
      validateStatus: () => true,
    });
  } catch (error) {
    return { status: 'connection_error', message: error.message, retryable: true };
  }
  const answer = parseReceiptResponse(response.data);
  if (answer) return { ...answer, retryable: answer.status === 'temporary_error_please_resend' };
  if (response.status !== 200) return { status: 'http_error', message: `HTTP ${response.status}`, retryable: response.status >= 500 };
  return { status: 'unreadable_answer', message: 'the answer holds no receiptResponse', retryable: false };
}
