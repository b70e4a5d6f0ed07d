import { problemsByField } from './problems';
import { shipFields, shipTotal } from './ship';

describe('the console’s form helpers', () => {
  it('puts each API problem beside its field, the longest matching path first', () => {
    const fields = ['code', 'baseUrl', 'harvestStartDate', 'schedule', 'schedule.time', 'schedule.timezone', 'authentication.apiKey'];
    const { byField, other } = problemsByField(
      [
        'baseUrl must be an http(s) URL',
        'harvestStartDate must not lie in the future',
        'schedule.time is required for DAILY schedules',
        'schedule.timezone "Mars/Base" is not an IANA time zone',
        'authentication.apiKey is required when authentication is enabled',
        'property extra should not exist',
        'resourceSharingLibraryCode is required',
      ],
      fields,
    );
    expect(byField).toEqual({
      baseUrl: ['baseUrl must be an http(s) URL'],
      harvestStartDate: ['harvestStartDate must not lie in the future'],
      'schedule.time': ['schedule.time is required for DAILY schedules'],
      'schedule.timezone': ['schedule.timezone "Mars/Base" is not an IANA time zone'],
      'authentication.apiKey': ['authentication.apiKey is required when authentication is enabled'],
    });
    expect(other).toEqual(['property extra should not exist', 'resourceSharingLibraryCode is required']);
  });

  it('computes the SHIP total from the charge lines, fee and postage, and sends only what was filled in', () => {
    const charges = [
      { item: 'A4', quantity: '8', unitPrice: '35' },
      { item: '', quantity: '', unitPrice: '' },
    ];
    expect(shipTotal(charges, '0', '84')).toBe(364);
    expect(shipFields({ dueDate: '2026-12-20', shipDate: '', charges, fee: '', postage: '84' })).toEqual({
      dueDate: '2026-12-20',
      charges: [{ item: 'A4', quantity: 8, unitPrice: 35 }],
      postage: 84,
    });
  });
});
