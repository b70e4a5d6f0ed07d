/** Answer shapes (api.md "action-push"), from raw rows. */

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

export const OUTBOUND_COLUMNS =
  'id, request_id, seq, action, nacsis_command, state, attempts, last_error, created_at, sent_at, from_external_status, to_external_status, note, fields, updated_at, idempotency_key';

export function outboundView(row: any): OutboundActionView {
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

/** The rows of an `UPDATE … RETURNING`: TypeORM's Postgres driver answers UPDATE and DELETE with
 *  `[rows, rowCount]`, other statements with the rows. */
export async function returning(runner: { query(sql: string, params?: unknown[]): Promise<any> }, sql: string, params: unknown[]): Promise<any[]> {
  const result = await runner.query(sql, params);
  return Array.isArray(result) && Array.isArray(result[0]) ? result[0] : result;
}
