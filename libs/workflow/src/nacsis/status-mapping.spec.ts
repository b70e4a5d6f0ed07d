import { NACSIS_PASSED_ON_LENDING_STATUS, NACSIS_STATUS_MAPPING, mapNacsisStatus } from './status-mapping';
import { NACSIS_STATS } from './states';

/** nacsis-ill.md §4, row by row: [STAT, borrowing request, lending request] ("—" = null). */
const TABLE = [
  ['準備中', 'CREATED_BORROWING_REQUEST', null],
  ['未処理', 'REQUEST_SENT_TO_PARTNER', 'CREATED_LENDING_REQUEST'],
  ['処理中', 'REQUEST_ACCEPTED', 'BEING_PROCESSED'],
  ['新着照会', 'CONDITIONAL', 'CONDITIONAL'],
  ['照会', 'CONDITIONAL', 'CONDITIONAL'],
  ['回答待', null, null],
  ['発送', 'SHIPPED_PHYSICALLY', 'SHIPPED_PHYSICALLY'],
  ['到着処理中', 'PHYSICALLY_RECEIVED_BY_LIBRARY', 'RECEIVED_BY_PARTNER'],
  ['クレーム未処理', null, null],
  ['クレーム回答待', null, null],
  ['確認', 'REQUEST_COMPLETED', 'REQUEST_COMPLETED'],
  ['借用中', 'PHYSICALLY_RECEIVED_BY_LIBRARY', 'RECEIVED_BY_PARTNER'],
  ['更新請求', 'RENEW_REQUESTED', 'RENEW_REQUESTED'],
  ['返送', 'RETURNED_ITEM_TO_PARTNER', 'RETURNED_BY_PARTNER'],
  ['返却処理中', 'RETURNED_ITEM_TO_PARTNER', 'RETURNED_BY_PARTNER'],
  ['返却クレーム未処理', null, null],
  ['返却確認', 'REQUEST_COMPLETED', 'REQUEST_COMPLETED'],
  ['CANCEL', 'CANCELED_BY_STAFF', 'CANCELLED'],
  ['外部依頼中', 'REQUEST_SENT_TO_PARTNER', null],
] as const;

describe('NACSIS status mapping (nacsis-ill.md §4)', () => {
  it('has a row for every STAT and nothing else', () => {
    expect(Object.keys(NACSIS_STATUS_MAPPING).sort()).toEqual([...NACSIS_STATS].sort());
    expect(TABLE.map(([stat]) => stat).sort()).toEqual([...NACSIS_STATS].sort());
  });

  it.each(TABLE)('%s → borrowing %s, lending %s', (stat, borrowing, lending) => {
    expect(mapNacsisStatus(stat, 'BORROWING')).toBe(borrowing);
    expect(mapNacsisStatus(stat, 'LENDING')).toBe(lending);
  });

  it.each(['', 'cancel', '未処理 ', 'SHIPPED', 'toString', '__proto__'])('maps the unknown STAT %j to nothing', (stat) => {
    expect(mapNacsisStatus(stat, 'BORROWING')).toBeNull();
    expect(mapNacsisStatus(stat, 'LENDING')).toBeNull();
  });

  it('rejects a lending request whose record moved on after our refusal', () => {
    expect(NACSIS_PASSED_ON_LENDING_STATUS).toBe('REJECTED');
  });
});
