/** Answer shapes (api.md "action-push"), from rows. */
import type { OutboundActionRow } from './push-store';

export interface OutboundActionView {
  id: string | null;
  requestId: string;
  seq: number | null;
  action: string;
  nacsisCommand: string | null;
  state: string;
  attempts: number;
  lastError: string | null;
  createdAt: Date;
  sentAt: Date | null;
  fromExternalStatus: string | null;
  toExternalStatus: string | null;
  note: string | null;
  fields: Record<string, unknown> | null;
  updatedAt: Date;
}

export function outboundView(row: OutboundActionRow): OutboundActionView {
  return {
    id: row.id,
    requestId: row.request_id,
    seq: row.seq,
    action: row.action,
    nacsisCommand: row.nacsis_command,
    state: row.state,
    attempts: row.attempts,
    lastError: row.last_error,
    createdAt: row.created_at,
    sentAt: row.sent_at,
    fromExternalStatus: row.from_external_status,
    toExternalStatus: row.to_external_status,
    note: row.note,
    fields: row.fields,
    updatedAt: row.updated_at,
  };
}

export { requestView } from '@illbridge/database/request-view';
