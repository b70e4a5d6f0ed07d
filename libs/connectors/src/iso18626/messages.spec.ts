import { ISO18626_OUTBOUND_ACTIONS } from '@illbridge/workflow';
import { buildRequestingAgencyMessage, buildSupplyingAgencyMessage, confirmationOf } from './messages';
import { conformanceProblems } from './conformance';
import { readIso18626Confirmation, readIso18626Message } from './read';
import { ERROR_TYPES, Iso18626Header, ISO18626_NAMESPACE, ISO18626_STATUSES, REASONS_FOR_MESSAGE, REQUESTING_AGENCY_ACTIONS } from './schema';

const header = (overrides: Partial<Iso18626Header> = {}): Iso18626Header => ({
  supplyingAgencyId: { agencyIdType: 'ISIL', agencyIdValue: 'DK-710100' },
  requestingAgencyId: { agencyIdType: 'ISIL', agencyIdValue: 'DK-820010' },
  multipleItemRequestId: '',
  timestamp: '2026-12-03T12:00:00.000Z',
  requestingAgencyRequestId: '1234567890',
  supplyingAgencyRequestId: null,
  requestingAgencyAuthentication: { accountId: 'DK-820010', securityCode: 's3cret & <more>' },
  ...overrides,
});
const AT = '2026-12-03T12:00:01.000Z';

describe('ISO 18626 messages against the v1.2 element and code lists', () => {
  it('builds every requestingAgencyMessage ILL Bridge sends: namespace, header, action from the closed list', () => {
    const sent = Object.values(ISO18626_OUTBOUND_ACTIONS).map((a) => a.action);
    expect(new Set(sent)).toEqual(new Set(['Received', 'ShippedReturn', 'Cancel', 'Renew', 'StatusRequest']));
    for (const action of sent) {
      expect(REQUESTING_AGENCY_ACTIONS).toContain(action);
      for (const variant of [header(), header({ supplyingAgencyRequestId: 'SUP-1', requestingAgencyAuthentication: null })]) {
        const xml = buildRequestingAgencyMessage({ header: variant, action, note: '#seq:1# a note' });
        expect(conformanceProblems(xml)).toEqual([]);
        expect(xml).toContain(`<ISO18626Message xmlns="${ISO18626_NAMESPACE}" version="1.2">`);
        const read = readIso18626Message(xml);
        expect(read).toMatchObject({ ok: true, kind: 'requestingAgencyMessage', message: { action, note: '#seq:1# a note', header: { timestamp: variant.timestamp, requestingAgencyRequestId: '1234567890' } } });
      }
    }
    // The escaped security code reads back as sent.
    const read = readIso18626Message(buildRequestingAgencyMessage({ header: header(), action: 'Received' }));
    expect(read.ok && read.message.header.requestingAgencyAuthentication?.securityCode).toBe('s3cret & <more>');
  });

  it('answers every confirmation it gives (OK, each error type, each message kind) within the element and closed lists', () => {
    const kinds = ['supplyingAgencyMessage', 'requestingAgencyMessage', 'request', null] as const;
    for (const kind of kinds) {
      for (const error of [undefined, ...ERROR_TYPES.map((errorType) => ({ errorType, errorValue: `${errorType}: because` }))]) {
        for (const h of [header(), {}]) {
          const echo = kind === 'requestingAgencyMessage' ? 'Received' : kind === 'supplyingAgencyMessage' ? 'StatusChange' : undefined;
          const xml = confirmationOf(kind, h, AT, error, echo);
          expect({ kind, error, problems: conformanceProblems(xml) }).toEqual({ kind, error, problems: [] });
          const read = readIso18626Confirmation(xml);
          expect(read?.header.messageStatus).toBe(error ? 'ERROR' : 'OK');
          expect(read?.errorData?.errorType).toBe(error?.errorType);
        }
      }
    }
  });

  it('reads every status and reasonForMessage of a supplyingAgencyMessage, and the conformance check accepts it', () => {
    for (const status of ISO18626_STATUSES) {
      for (const reasonForMessage of REASONS_FOR_MESSAGE) {
        const answer = reasonForMessage === 'CancelResponse' || reasonForMessage === 'RenewResponse' ? { answerYesNo: 'Y' as const } : {};
        const xml = buildSupplyingAgencyMessage({
          header: header(),
          messageInfo: { reasonForMessage, ...answer, note: 'n', reasonUnfilled: 'NotOnShelf' },
          statusInfo: { status, dueDate: '2027-01-15', lastChange: AT },
          deliveryInfo: { sentVia: 'Mail', itemId: 'I1' },
        });
        expect(conformanceProblems(xml)).toEqual([]);
        expect(readIso18626Message(xml)).toMatchObject({ ok: true, kind: 'supplyingAgencyMessage', message: { statusInfo: { status, dueDate: '2027-01-15' }, messageInfo: { reasonForMessage } } });
      }
    }
  });

  const sam = (replace: [string, string]) =>
    buildSupplyingAgencyMessage({ header: header(), messageInfo: { reasonForMessage: 'StatusChange' }, statusInfo: { status: 'Loaned', lastChange: AT } }).replace(...replace);

  it.each([
    ['a status outside the closed list', ['<status>Loaned</status>', '<status>Lent</status>'], 'UnrecognisedDataValue'],
    ['a reasonForMessage outside the closed list', ['<reasonForMessage>StatusChange</reasonForMessage>', '<reasonForMessage>Gossip</reasonForMessage>'], 'UnsupportedReasonForMessageType'],
    ['an agencyIdType outside the closed list', ['<agencyIdType>ISIL</agencyIdType>', '<agencyIdType>OCLC</agencyIdType>'], 'UnrecognisedDataValue'],
    ['a header without its timestamp', ['<timestamp>2026-12-03T12:00:00.000Z</timestamp>', ''], 'BadlyFormedMessage'],
    ['a header without requestingAgencyRequestId', ['<requestingAgencyRequestId>1234567890</requestingAgencyRequestId>', ''], 'BadlyFormedMessage'],
    ['another namespace', [ISO18626_NAMESPACE, 'http://example.org/other'], 'BadlyFormedMessage'],
    ['no namespace', [` xmlns="${ISO18626_NAMESPACE}"`, ''], 'BadlyFormedMessage'],
    ['a DTD', ['<?xml version="1.0" encoding="UTF-8"?>', '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "x">]>'], 'BadlyFormedMessage'],
    ['an undefined entity', ['<status>Loaned</status>', '<status>&e;</status>'], 'BadlyFormedMessage'],
    ['a CancelResponse without answerYesNo', ['<reasonForMessage>StatusChange</reasonForMessage>', '<reasonForMessage>CancelResponse</reasonForMessage>'], 'BadlyFormedMessage'],
  ] as const)('refuses %s with the right error type', (_what, replace, errorType) => {
    const read = readIso18626Message(sam(replace as unknown as [string, string]));
    expect(read).toMatchObject({ ok: false, errorType });
  });

  it('finds what departs from the element lists: order, unknown elements, missing required ones', () => {
    const good = buildRequestingAgencyMessage({ header: header(), action: 'Received', note: 'x' });
    expect(conformanceProblems(good.replace('<action>Received</action><note>x</note>', '<note>x</note><action>Received</action>'))).not.toEqual([]);
    expect(conformanceProblems(good.replace('<note>x</note>', '<colour>red</colour>'))).toEqual(['requestingAgencyMessage/colour is not an element of requestingAgencyMessage']);
    expect(conformanceProblems(good.replace('<multipleItemRequestId></multipleItemRequestId>', ''))).toEqual(['requestingAgencyMessage/header has no multipleItemRequestId']);
    expect(conformanceProblems(good.replace('<action>Received</action>', '<action>Lost</action>'))[0]).toContain('"Lost" is not one of StatusRequest');
    expect(conformanceProblems(good.replace(' version="1.2"', ''))).toEqual(['ISO18626Message must carry version="1.2"']);
  });
});
