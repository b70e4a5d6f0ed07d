import { LIBRIS_FINAL_STATUSES, LIBRIS_STATUSES, isKnownLibrisStatus, librisStatusCanChange, mapLibrisStatus } from './libris-status';

// libris-ill-api.md §5, written out by hand: [Libris status, local status for a loan, for a copy].
const SPEC_TABLE: Array<[string, string | null, string | null]> = [
  ['Uteliggande', 'REQUEST_SENT_TO_PARTNER', 'REQUEST_SENT_TO_PARTNER'],
  ['Remitterad', 'REQUEST_SENT_TO_PARTNER', 'REQUEST_SENT_TO_PARTNER'],
  ['Läst', 'REQUEST_SENT_TO_PARTNER', 'REQUEST_SENT_TO_PARTNER'],
  ['Kan reserveras', 'CONDITIONAL', 'CONDITIONAL'],
  ['Reservation', null, null],
  ['Reserverad', 'REQUEST_ACCEPTED', 'REQUEST_ACCEPTED'],
  ['Negativt svar', 'REJECTED_BY_PARTNER', 'REJECTED_BY_PARTNER'],
  ['Levererad', 'SHIPPED_PHYSICALLY', 'SHIPPED_DIGITALLY'],
  ['Avbeställd', 'CANCELED_BY_STAFF', 'CANCELED_BY_STAFF'],
  ['Makulerad', 'CANCELED_BY_STAFF', 'CANCELED_BY_STAFF'],
  ['Ej avbeställd!', null, null],
];

describe('mapLibrisStatus', () => {
  it.each(SPEC_TABLE)('maps "%s" to %s for a loan and %s for a copy', (status, loan, copy) => {
    expect(mapLibrisStatus(status, 'LOAN')).toBe(loan);
    expect(mapLibrisStatus(status, 'COPY')).toBe(copy);
  });

  it.each(SPEC_TABLE.filter(([status]) => status !== 'Levererad'))('maps "%s" to %s whatever the format, even an unknown one', (status, loan) => {
    expect(mapLibrisStatus(status, null)).toBe(loan);
  });

  it('has no local match for a delivery whose format is unknown', () => {
    expect(mapLibrisStatus('Levererad', null)).toBeNull();
  });

  it.each(['Okänd status', '', 'levererad', 'LEVERERAD', ' Levererad', 'Ej avbeställd'])('has no local match for the unknown text "%s"', (status) => {
    expect(mapLibrisStatus(status, 'LOAN')).toBeNull();
    expect(isKnownLibrisStatus(status)).toBe(false);
  });
});

describe('LIBRIS_STATUSES', () => {
  it('lists exactly the statuses of the spec, in its order', () => {
    expect(LIBRIS_STATUSES).toEqual(SPEC_TABLE.map(([status]) => status));
  });

  it('recognises every listed status as known', () => {
    expect(LIBRIS_STATUSES.filter((status) => !isKnownLibrisStatus(status))).toEqual([]);
  });
});

describe('which Libris statuses a refresh reads', () => {
  it('leaves out the end of the chain, the delivery and the cancellations', () => {
    expect(LIBRIS_FINAL_STATUSES).toEqual(['Negativt svar', 'Levererad', 'Avbeställd', 'Makulerad']);
  });

  it.each(['Uteliggande', 'Remitterad', 'Läst', 'Kan reserveras', 'Reservation', 'Reserverad', 'Ej avbeställd!'])('reads %s (it can still change)', (status) => {
    expect(librisStatusCanChange(status)).toBe(true);
  });

  it('reads a status text it does not know, and a request without one', () => {
    expect(librisStatusCanChange('Okänd status')).toBe(true);
    expect(librisStatusCanChange(null)).toBe(true);
  });
});
