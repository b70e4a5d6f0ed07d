import { BORROWING_STATUSES, LENDING_STATUSES } from '../vocabulary';
import type { BorrowingStatus } from '../vocabulary';
import { LOCAL_ACTIONS, allowedLocalActions, evaluateLocalAction, isLocalAction } from './local-workflow';
import type { LocalAction } from './local-workflow';

/** The local borrowing workflow, by hand: from each status, each allowed action and where it leads. */
const EXPECTED: Record<BorrowingStatus, Partial<Record<LocalAction, BorrowingStatus>>> = {
  CREATED_BORROWING_REQUEST: { SEND: 'REQUEST_SENT_TO_PARTNER', CANCEL: 'CANCELED_BY_STAFF' },
  REQUEST_SENT_TO_PARTNER: { CANCEL: 'CANCELED_BY_STAFF' },
  REQUEST_ACCEPTED: { CANCEL: 'CANCELED_BY_STAFF' },
  CONDITIONAL: { ANSWER: 'REQUEST_SENT_TO_PARTNER', CANCEL: 'CANCELED_BY_STAFF' },
  REJECTED_BY_PARTNER: { CANCEL: 'CANCELED_BY_STAFF', REACTIVATE: 'CREATED_BORROWING_REQUEST' },
  SHIPPED_PHYSICALLY: { RECEIVE: 'PHYSICALLY_RECEIVED_BY_LIBRARY' },
  SHIPPED_DIGITALLY: { RECEIVE: 'DIGITALLY_RECEIVED_BY_LIBRARY' },
  PHYSICALLY_RECEIVED_BY_LIBRARY: { RENEW: 'RENEW_REQUESTED', RETURN: 'RETURNED_ITEM_TO_PARTNER' },
  DIGITALLY_RECEIVED_BY_LIBRARY: { COMPLETE: 'REQUEST_COMPLETED' },
  RENEW_REQUESTED: { RETURN: 'RETURNED_ITEM_TO_PARTNER' },
  RETURNED_ITEM_TO_PARTNER: { COMPLETE: 'REQUEST_COMPLETED' },
  REQUEST_COMPLETED: {},
  CANCELED_BY_STAFF: { REACTIVATE: 'CREATED_BORROWING_REQUEST' },
  CANCELED_BY_PARTNER: { REACTIVATE: 'CREATED_BORROWING_REQUEST' },
};

const ORDER: readonly LocalAction[] = ['SEND', 'ANSWER', 'RECEIVE', 'RENEW', 'RETURN', 'COMPLETE', 'CANCEL', 'REACTIVATE'];

describe('local workflow (Libris and Netpunkt requests)', () => {
  it('offers the actions in a fixed order', () => {
    expect(LOCAL_ACTIONS).toEqual(ORDER);
  });

  const cases = BORROWING_STATUSES.flatMap((status) => ORDER.map((action) => [status, action] as const));

  it.each(cases)('borrowing %s × %s', (status, action) => {
    const expected = EXPECTED[status][action];
    const allowed = ORDER.filter((candidate) => EXPECTED[status][candidate] !== undefined);
    if (expected) {
      expect(evaluateLocalAction('BORROWING', status, action)).toEqual({ allowed: true, action, toStatus: expected });
    } else {
      expect(evaluateLocalAction('BORROWING', status, action)).toEqual({
        allowed: false,
        message: `Action Not Allowed: ${action} is not allowed while the request is ${status} (allowed: ${allowed.join(', ') || 'none'})`,
        allowedActions: allowed,
      });
    }
    expect(allowedLocalActions('BORROWING', status)).toEqual(allowed);
  });

  it('words a refusal like the product', () => {
    expect(evaluateLocalAction('BORROWING', 'SHIPPED_PHYSICALLY', 'RETURN')).toMatchObject({
      message: 'Action Not Allowed: RETURN is not allowed while the request is SHIPPED_PHYSICALLY (allowed: RECEIVE)',
    });
  });

  it.each(LENDING_STATUSES)('has no local lending workflow (%s)', (status) => {
    expect(allowedLocalActions('LENDING', status)).toEqual([]);
    expect(evaluateLocalAction('LENDING', status, 'CANCEL')).toMatchObject({ allowed: false, allowedActions: [] });
  });

  it('recognises action names', () => {
    expect(isLocalAction('COMPLETE')).toBe(true);
    expect(isLocalAction('ACCEPT')).toBe(false);
    expect(isLocalAction('receive')).toBe(false);
  });
});
