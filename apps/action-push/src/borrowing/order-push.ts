import { searchTerm } from '@illbridge/connectors/nacsis';
import type { CatpRecord, NacsisDatabase } from '@illbridge/connectors/nacsis';
import type { CatpSession } from '../catp-sessions';
import { catpElements } from '../nacsis-context';
import type { QueuedAction } from '../push-store';

/** An ORDER of a request created in ILL Bridge: NACSIS ORDER without ID, carrying our request number as `ONO`.
 *  (SEND, the re-order of a 準備中 record after a CALLBACK, is an ORDER with the record's ID and no ONO.) */
export function isOrderOfOurs(action: Pick<QueuedAction, 'nacsis_command' | 'fields'>): boolean {
  return action.nacsis_command === 'ORDER' && typeof action.fields?.ONO === 'string' && action.fields.ONO !== '';
}

/** The record our ORDER created, found by our order number (`ONO="<number>"`), if there is one. */
async function orderedRecord(session: CatpSession, database: NacsisDatabase, orderNumber: string): Promise<CatpRecord | null> {
  const found = await session.exclusive(() => session.client.search(session.handle, database, searchTerm('ONO', orderNumber), { smallSetUpperBound: 5, largeSetLowerBound: 6 }));
  return found.records[0] ?? null;
}

/** Pushes our ORDER. A lost answer never orders twice: before any resend (the action was SENDING when a worker
 *  died, or an earlier attempt got no answer) NACSIS is searched for our order number and the record found is
 *  adopted (`recovered`). An ORDER answered without a record is looked up the same way. */
export async function pushOrder(session: CatpSession, database: NacsisDatabase, action: QueuedAction, editType: '2'): Promise<{ record: CatpRecord | null; recovered: boolean }> {
  const orderNumber = action.fields!.ONO as string;
  if (action.state === 'SENDING' || action.attempts > 0) {
    const found = await orderedRecord(session, database, orderNumber);
    if (found) return { record: found, recovered: true };
  }
  const record = await session.client.procedureCall(session.handle, database, 'ORDER', null, catpElements(action.fields), { returnedEditType: editType });
  return { record: record ?? (await orderedRecord(session, database, orderNumber)), recovered: false };
}
