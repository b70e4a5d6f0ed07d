import type { BorrowingStatus, Direction, LendingStatus, RequestStatus } from '../vocabulary';
import { isNacsisStat } from './states';
import type { NacsisStat } from './states';

export interface NacsisStatusMappingRow {
  readonly BORROWING: BorrowingStatus | null;
  readonly LENDING: LendingStatus | null;
}

/** nacsis-ill.md §4: the local status each STAT moves a request to, per direction. null ("—"): no
 *  matching local status; the request keeps its status and only `externalSystemStatus` changes. */
export const NACSIS_STATUS_MAPPING: Readonly<Record<NacsisStat, NacsisStatusMappingRow>> = {
  '準備中': { BORROWING: 'CREATED_BORROWING_REQUEST', LENDING: null },
  '未処理': { BORROWING: 'REQUEST_SENT_TO_PARTNER', LENDING: 'CREATED_LENDING_REQUEST' },
  '処理中': { BORROWING: 'REQUEST_ACCEPTED', LENDING: 'BEING_PROCESSED' },
  '新着照会': { BORROWING: 'CONDITIONAL', LENDING: 'CONDITIONAL' },
  '照会': { BORROWING: 'CONDITIONAL', LENDING: 'CONDITIONAL' },
  '回答待': { BORROWING: null, LENDING: null },
  '発送': { BORROWING: 'SHIPPED_PHYSICALLY', LENDING: 'SHIPPED_PHYSICALLY' },
  '到着処理中': { BORROWING: 'PHYSICALLY_RECEIVED_BY_LIBRARY', LENDING: 'RECEIVED_BY_PARTNER' },
  'クレーム未処理': { BORROWING: null, LENDING: null },
  'クレーム回答待': { BORROWING: null, LENDING: null },
  '確認': { BORROWING: 'REQUEST_COMPLETED', LENDING: 'REQUEST_COMPLETED' },
  '借用中': { BORROWING: 'PHYSICALLY_RECEIVED_BY_LIBRARY', LENDING: 'RECEIVED_BY_PARTNER' },
  '更新請求': { BORROWING: 'RENEW_REQUESTED', LENDING: 'RENEW_REQUESTED' },
  '返送': { BORROWING: 'RETURNED_ITEM_TO_PARTNER', LENDING: 'RETURNED_BY_PARTNER' },
  '返却処理中': { BORROWING: 'RETURNED_ITEM_TO_PARTNER', LENDING: 'RETURNED_BY_PARTNER' },
  '返却クレーム未処理': { BORROWING: null, LENDING: null },
  '返却確認': { BORROWING: 'REQUEST_COMPLETED', LENDING: 'REQUEST_COMPLETED' },
  CANCEL: { BORROWING: 'CANCELED_BY_STAFF', LENDING: 'CANCELLED' },
  '外部依頼中': { BORROWING: 'REQUEST_SENT_TO_PARTNER', LENDING: null },
};

/** The last row of §4: a lending request whose record moved on to the next candidate after our
 *  refusal (REJECT / PARDON), so that it left our lender databases. */
export const NACSIS_PASSED_ON_LENDING_STATUS: LendingStatus = 'REJECTED';

/** The local status a raw `STAT` maps to in `direction`, or null: no matching status, or a STAT
 *  that NACSIS is not known to send. */
export function mapNacsisStatus(stat: string, direction: Direction): RequestStatus | null {
  return isNacsisStat(stat) ? NACSIS_STATUS_MAPPING[stat][direction] : null;
}
