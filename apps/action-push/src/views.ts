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

/** The public fields of a request (as reporting answers them, without `raw`). */
const REQUEST_FIELDS: [string, string][] = [
  ['id', 'id'],
  ['profileId', 'profile_id'],
  ['system', 'system'],
  ['direction', 'direction'],
  ['externalId', 'external_id'],
  ['externalRef', 'external_ref'],
  ['status', 'status'],
  ['externalSystemStatus', 'external_system_status'],
  ['partnerCode', 'partner_code'],
  ['ownerLibraryCode', 'owner_library_code'],
  ['title', 'title'],
  ['format', 'format'],
  ['syncState', 'sync_state'],
  ['syncError', 'sync_error'],
  ['createdAt', 'created_at'],
  ['updatedAt', 'updated_at'],
];

export function requestView(row: any): Record<string, unknown> {
  return Object.fromEntries(REQUEST_FIELDS.map(([field, column]) => [field, row[column] ?? null]));
}

/** The rows of an `UPDATE … RETURNING`: TypeORM's Postgres driver answers UPDATE and DELETE with
 *  `[rows, rowCount]`, other statements with the rows. */
export async function returning(runner: { query(sql: string, params?: unknown[]): Promise<any> }, sql: string, params: unknown[]): Promise<any[]> {
  const result = await runner.query(sql, params);
  return Array.isArray(result) && Array.isArray(result[0]) ? result[0] : result;
}
