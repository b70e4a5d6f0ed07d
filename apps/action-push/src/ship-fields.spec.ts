import { commandFields, normaliseNote, shipFields, todayInJapan } from './ship-fields';

describe('shipFields (SHIP → NACSIS SEND fields)', () => {
  const TODAY = '2026-11-22';

  it('computes SUM = Σ quantity × unitPrice + fee + postage, with one CHG group per charge', () => {
    const result = shipFields({ charges: [{ item: 'A4', quantity: 8, unitPrice: 35 }, { item: 'B4', quantity: 2, unitPrice: 50 }], fee: 100, postage: 84 }, 'COPY', TODAY);
    expect(result).toEqual({
      ok: true,
      fields: {
        SDATE: '20261122',
        CHG: [
          { ITEM: 'A4', QNT: '8', UPRCE: '35', CHRGE: '280' },
          { ITEM: 'B4', QNT: '2', UPRCE: '50', CHRGE: '100' },
        ],
        FEE: '100',
        POSTG: '84',
        SUM: '564',
      },
    });
  });

  it('is the example of nacsis-catp.md §7.5: 8 × 35 + 0 + 84 = 364', () => {
    const result = shipFields({ shipDate: '2025-05-14', charges: [{ item: 'A4', quantity: 8, unitPrice: 35 }], fee: 0, postage: 84 }, 'COPY', TODAY);
    expect(result.ok && result.fields).toEqual({ SDATE: '20250514', CHG: [{ ITEM: 'A4', QNT: '8', UPRCE: '35', CHRGE: '280' }], FEE: '0', POSTG: '84', SUM: '364' });
  });

  it('sends SUM=0 and today as SDATE when nothing is charged', () => {
    expect(shipFields(undefined, 'COPY', TODAY)).toEqual({ ok: true, fields: { SDATE: '20261122', SUM: '0' } });
    expect(shipFields({}, 'COPY', TODAY)).toEqual({ ok: true, fields: { SDATE: '20261122', SUM: '0' } });
  });

  it('needs a due date for a loan, and sends it as DDATE', () => {
    expect(shipFields({}, 'LOAN', TODAY)).toEqual({ ok: false, problems: ['fields.dueDate is required to ship a loan'] });
    expect(shipFields({ dueDate: '2026-12-20', postage: 300 }, 'LOAN', TODAY)).toEqual({ ok: true, fields: { SDATE: '20261122', DDATE: '20261220', POSTG: '300', SUM: '300' } });
  });

  it('lists every problem at once', () => {
    const result = shipFields(
      {
        dueDate: '2026-02-30',
        shipDate: '22/11/2026',
        charges: [{ item: '', quantity: 0, unitPrice: -1 }, 'A4', { item: 'A4', quantity: 1.5, unitPrice: 10, colour: 'red' }],
        fee: '100',
        postage: 1_000_000,
        carrier: 'post',
      },
      'LOAN',
      TODAY,
    );
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problems).toEqual([
      'fields.carrier is not a field of SHIP (known: dueDate, shipDate, charges, fee, postage)',
      'fields.shipDate must be a date YYYY-MM-DD',
      'fields.dueDate must be a date YYYY-MM-DD',
      'fields.charges[0].item must be a non-empty text of at most 20 characters (e.g. "A4")',
      'fields.charges[0].quantity must be a whole number of at least 1',
      'fields.charges[0].unitPrice must be a whole number of yen, 0 or more',
      'fields.charges[1] must be an object { item, quantity, unitPrice }',
      'fields.charges[2].colour is not a field of a charge (known: item, quantity, unitPrice)',
      'fields.charges[2].quantity must be a whole number of at least 1',
      'fields.fee must be a whole number of yen, 0 or more',
      'fields.postage must be a whole number of yen from 0 to 999999',
    ]);
  });

  it('refuses a due date before the ship date, more than 10 charge lines, and a total over 8 digits', () => {
    expect(shipFields({ shipDate: '2026-11-22', dueDate: '2026-11-21' }, 'LOAN', TODAY)).toEqual({ ok: false, problems: ['fields.dueDate must not be before the ship date'] });
    const eleven = Array.from({ length: 11 }, () => ({ item: 'A4', quantity: 1, unitPrice: 10 }));
    expect(shipFields({ charges: eleven }, 'COPY', TODAY)).toEqual({ ok: false, problems: ['fields.charges may hold at most 10 lines'] });
    expect(shipFields({ charges: [{ item: 'A4', quantity: 1000, unitPrice: 100_000 }] }, 'COPY', TODAY)).toEqual({
      ok: false,
      problems: ['the total (charges + fee + postage) must not exceed 99999999 yen (it is 100000000)'],
    });
    expect(shipFields({ charges: 'A4' }, 'COPY', TODAY)).toEqual({ ok: false, problems: ['fields.charges must be an array of { item, quantity, unitPrice }'] });
    expect(shipFields([1], 'COPY', TODAY)).toEqual({ ok: false, problems: ['fields must be an object'] });
  });

  it("takes today's date in Japan", () => {
    expect(todayInJapan(new Date('2026-11-21T15:30:00Z'))).toBe('2026-11-22');
    expect(todayInJapan(new Date('2026-11-21T14:59:59Z'))).toBe('2026-11-21');
  });
});

describe('commandFields (note and fields of any action)', () => {
  it('requires a note for REJECT and CLAIM, and sends it as CMMNT', () => {
    expect(commandFields('REJECT', {}, 'COPY')).toEqual({ ok: false, problems: ['note is required for REJECT'] });
    expect(commandFields('CLAIM', { note: '   ' }, 'COPY')).toEqual({ ok: false, problems: ['note is required for CLAIM'] });
    expect(commandFields('REJECT', { note: 'Not on shelf' }, 'COPY')).toEqual({ ok: true, fields: { CMMNT: 'Not on shelf' }, note: 'Not on shelf' });
  });

  it('requires a note when the rule says so, whatever the action', () => {
    expect(commandFields('INQUIRY', {}, 'COPY', true)).toEqual({ ok: false, problems: ['note is required for INQUIRY'] });
    expect(commandFields('INQUIRY', {}, 'COPY')).toEqual({ ok: true, fields: {} });
  });

  it('puts the note beside the SHIP fields, and lists note and field problems together', () => {
    expect(commandFields('SHIP', { note: '本日発送しました', fields: { postage: 84 } }, 'COPY', false, '2026-11-22')).toEqual({
      ok: true,
      fields: { SDATE: '20261122', POSTG: '84', SUM: '84', CMMNT: '本日発送しました' },
      note: '本日発送しました',
    });
    expect(commandFields('SHIP', { fields: {} }, 'LOAN', true)).toEqual({ ok: false, problems: ['note is required for SHIP', 'fields.dueDate is required to ship a loan'] });
  });

  it('refuses fields on actions that take none; an empty object is no fields', () => {
    expect(commandFields('ACCEPT', { fields: { dueDate: '2026-12-01' } }, 'COPY')).toEqual({ ok: false, problems: ['fields are not taken by ACCEPT (only SHIP takes fields)'] });
    expect(commandFields('ACCEPT', { fields: {} }, 'COPY')).toEqual({ ok: true, fields: {} });
  });

  it('makes a note one line, as CMMNT must be', () => {
    expect(normaliseNote('first line\r\n  second line\nthird ')).toBe('first line second line third');
    expect(normaliseNote('\n \n')).toBeUndefined();
    expect(normaliseNote(undefined)).toBeUndefined();
  });
});
