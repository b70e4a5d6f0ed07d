import type { LibrisRecipient } from '@illbridge/connectors/libris/libris-wire';
import type { LibrisStatus } from '@illbridge/workflow/libris-status';
import { dateTime } from './days';
import { LENDER_RESPONSES, READ_FLAGS, statusCodeOf } from './libris-vocabulary';

export const LIBRIS_ACTIONS = ['read', 'response'] as const;
export type LibrisAction = (typeof LIBRIS_ACTIONS)[number];

export function isLibrisAction(value: unknown): value is LibrisAction {
  return LIBRIS_ACTIONS.includes(value as LibrisAction);
}

/** The form of `POST /illrequests/{sigel}/{id}` (§2). */
export interface LibrisActionForm {
  action: LibrisAction;
  timestamp?: string;
  response_id?: string;
  added_response?: string;
  may_reserve?: string;
}

export interface ActionOutcome {
  success: boolean;
  message: string;
}

/** Where a lender's answer takes the request (our choice): a delivery or a reservation is final for
 *  now, a loaned-out item may be reserved, any other answer passes the request to the next lender. */
const STATUS_AFTER_RESPONSE: ReadonlyMap<string, LibrisStatus> = new Map([
  ['7', 'Reserverad'],
  ['9', 'Levererad'],
]);

type ActionableRecord = Record<string, unknown> & { recipients?: LibrisRecipient[] };

function setStatus(record: ActionableRecord, status: LibrisStatus): void {
  record.status = status;
  record.status_code = statusCodeOf(status);
}

/** The active lender answers; the request moves on accordingly. */
function applyResponse(record: ActionableRecord, form: LibrisActionForm, now: number): ActionOutcome {
  const responseId = form.response_id ?? '';
  const responseText = LENDER_RESPONSES.get(responseId);
  if (!responseText) return { success: false, message: `unknown response_id "${responseId}"` };
  const recipients = Array.isArray(record.recipients) ? record.recipients : [];
  const activeIndex = recipients.findIndex((lender) => lender.library_code === record.active_library);
  if (activeIndex < 0) return { success: false, message: 'the request has no active lender' };
  const mayReserve = form.may_reserve === '1';
  Object.assign(recipients[activeIndex], {
    response_id: responseId,
    response: form.added_response ? `${responseText}: ${form.added_response}` : responseText,
    response_date: dateTime(now),
    reserve: mayReserve,
  });
  const next = recipients[activeIndex + 1];
  const status = STATUS_AFTER_RESPONSE.get(responseId) ?? (responseId === '1' && mayReserve ? 'Kan reserveras' : next ? 'Remitterad' : 'Negativt svar');
  if (status === 'Remitterad') {
    recipients[activeIndex].is_active_library = false;
    next.is_active_library = true;
    record.active_library = next.library_code;
  }
  setStatus(record, status);
  return { success: true, message: `response ${responseId} (${responseText}) registered` };
}

/** Applies a form action to a request, refusing it when `timestamp` is not the request's current
 *  `last_modified` (someone changed it since it was read). */
export function applyLibrisAction(record: ActionableRecord, form: LibrisActionForm, now = Math.floor(Date.now() / 1000)): ActionOutcome {
  if (form.timestamp !== record.last_modified) {
    return { success: false, message: `timestamp ${form.timestamp ?? '(none)'} is not the request's last_modified ${String(record.last_modified)}` };
  }
  if (form.action === 'read') {
    record.xstatus = READ_FLAGS.read.text;
    record.xstatus_code = READ_FLAGS.read.code;
    return { success: true, message: 'marked as read' };
  }
  return applyResponse(record, form, now);
}
