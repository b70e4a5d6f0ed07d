import { ISO18626_STATUSES } from '@illbridge/connectors/iso18626';
import { BORROWING_STATUSES, BorrowingStatus, FINAL_STATUSES } from '../vocabulary';
import { ISO18626_LENDER_STATUSES, ISO18626_STATUS_MAPPING, iso18626Effect, Iso18626LenderStatus } from './status-mapping';

/** iso18626.md "Mapping to ILL Bridge", written out here independently: the status each ISO status leads to. */
const SPEC_TABLE: Record<Iso18626LenderStatus, BorrowingStatus | null> = {
  RequestReceived: 'REQUEST_SENT_TO_PARTNER',
  ExpectToSupply: 'REQUEST_ACCEPTED',
  WillSupply: 'REQUEST_ACCEPTED',
  Loaned: 'SHIPPED_PHYSICALLY',
  CopyCompleted: 'SHIPPED_DIGITALLY',
  Unfilled: 'REJECTED_BY_PARTNER',
  RetryPossible: 'CONDITIONAL',
  Cancelled: 'CANCELED_BY_PARTNER',
  Overdue: null,
  Recalled: null,
  LoanCompleted: 'REQUEST_COMPLETED',
  CompletedWithoutReturn: 'REQUEST_COMPLETED',
};

/** How far along a borrowing request is: a lender message never moves a request back. */
const PROGRESS: Record<BorrowingStatus, number> = {
  CREATED_BORROWING_REQUEST: 0, REQUEST_SENT_TO_PARTNER: 1, REQUEST_ACCEPTED: 2, CONDITIONAL: 2, REJECTED_BY_PARTNER: 3, SHIPPED_PHYSICALLY: 4, SHIPPED_DIGITALLY: 4,
  PHYSICALLY_RECEIVED_BY_LIBRARY: 5, DIGITALLY_RECEIVED_BY_LIBRARY: 5, RENEW_REQUESTED: 5, RETURNED_ITEM_TO_PARTNER: 6, REQUEST_COMPLETED: 7, CANCELED_BY_STAFF: 7, CANCELED_BY_PARTNER: 7,
};

describe('ISO 18626 status mapping (data)', () => {
  it('covers exactly the closed status list of the connector', () => {
    expect([...ISO18626_LENDER_STATUSES]).toEqual([...ISO18626_STATUSES]);
    expect(Object.keys(ISO18626_STATUS_MAPPING).sort()).toEqual([...ISO18626_STATUSES].sort());
  });

  it('maps each status as the spec table says, from every borrowing status, never moving a request back or out of a final status', () => {
    const table: string[] = [];
    for (const iso of ISO18626_LENDER_STATUSES) {
      for (const current of BORROWING_STATUSES) {
        const effect = iso18626Effect(current, 'StatusChange', iso);
        if (effect.status !== null) {
          expect(effect.status).toBe(SPEC_TABLE[iso]);
          expect(FINAL_STATUSES).not.toContain(current);
          // Forward only; the sideways moves: a conditional answer followed by a yes (and an accepted request turned conditional), a refused request cancelled.
          const sideways = [`CONDITIONAL→REQUEST_ACCEPTED`, `REQUEST_ACCEPTED→CONDITIONAL`, `REJECTED_BY_PARTNER→CANCELED_BY_PARTNER`].includes(`${current}→${effect.status}`);
          expect([iso, current, PROGRESS[effect.status] > PROGRESS[current] || sideways]).toEqual([iso, current, true]);
        }
        table.push(`${iso}@${current}→${effect.status ?? '='}`);
      }
    }
    // The cases the flows depend on, spelled out.
    expect(table).toEqual(expect.arrayContaining([
      'WillSupply@REQUEST_SENT_TO_PARTNER→REQUEST_ACCEPTED',
      'Loaned@REQUEST_ACCEPTED→SHIPPED_PHYSICALLY',
      'Loaned@PHYSICALLY_RECEIVED_BY_LIBRARY→=',
      'Unfilled@REQUEST_SENT_TO_PARTNER→REJECTED_BY_PARTNER',
      'Unfilled@SHIPPED_PHYSICALLY→=',
      'LoanCompleted@RETURNED_ITEM_TO_PARTNER→REQUEST_COMPLETED',
      'LoanCompleted@REQUEST_SENT_TO_PARTNER→=',
      'Overdue@PHYSICALLY_RECEIVED_BY_LIBRARY→=',
      'Cancelled@REQUEST_ACCEPTED→CANCELED_BY_PARTNER',
      'RetryPossible@REQUEST_SENT_TO_PARTNER→CONDITIONAL',
    ]));
    expect(table).toHaveLength(ISO18626_LENDER_STATUSES.length * BORROWING_STATUSES.length);
  });

  it('keeps the due date of Loaned, Overdue, Recalled and the reasons of Unfilled and RetryPossible; flags Overdue and Recalled', () => {
    for (const iso of ISO18626_LENDER_STATUSES) {
      const effect = iso18626Effect('REQUEST_ACCEPTED', 'StatusChange', iso);
      expect([iso, effect.keepsDueDate]).toEqual([iso, ['Loaned', 'Overdue', 'Recalled'].includes(iso)]);
      expect([iso, effect.keepsReason]).toEqual([iso, ['Unfilled', 'RetryPossible'].includes(iso)]);
      expect([iso, effect.flag]).toEqual([iso, iso === 'Overdue' ? 'overdue' : iso === 'Recalled' ? 'recalled' : null]);
    }
  });

  it('changes the status of a Cancel or Renew only on the lender answer: a yes to Cancel cancels, a Renew answer keeps the status', () => {
    for (const current of BORROWING_STATUSES) {
      const yes = iso18626Effect(current, 'CancelResponse', 'Cancelled', 'Y');
      expect(yes.status).toBe(['CREATED_BORROWING_REQUEST', 'REQUEST_SENT_TO_PARTNER', 'REQUEST_ACCEPTED', 'CONDITIONAL', 'REJECTED_BY_PARTNER'].includes(current) ? 'CANCELED_BY_STAFF' : null);
      expect(iso18626Effect(current, 'CancelResponse', 'WillSupply', 'N').status).toBeNull();
      expect(iso18626Effect(current, 'RenewResponse', 'Loaned', 'Y')).toMatchObject({ status: null, keepsDueDate: true });
      expect(iso18626Effect(current, 'RenewResponse', 'Loaned', 'N')).toMatchObject({ status: null, keepsDueDate: false });
    }
  });
});
