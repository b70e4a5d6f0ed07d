import { buildReceiptXml } from './receipt-builder';
import { parseReceipt } from './receipt-parser';
import type { NetpunktOrder } from './schema';

const FULL_ORDER: Required<NetpunktOrder> = {
  orderId: '1234567890',
  requesterId: 'DK-820010',
  requesterIdType: 'ISIL',
  articleDirect: 'postal',
  articleFirstNote: 'AF 17',
  author: 'Johannes V. Jensen',
  authorOfComponent: 'Ib Ibsen',
  autoForwardDeliverToday: false,
  autoForwardReason: 'new_for_responder',
  bibliographicCategory: 'e',
  bibliographicRecordAgencyId: '870970',
  bibliographicRecordId: '05172993',
  callNumber: '86 Jen',
  copy: true,
  creationDate: '2025-03-01',
  edition: '3. udgave',
  exactEdition: true,
  isbn: '9788702000000',
  issn: '0105-0000',
  issue: '4',
  kvik: false,
  language: 'dan',
  lastModification: '2025-03-01T10:15:00Z',
  latestRequesterNote: 'Hurtigst muligt <tak> & hilsen',
  localHoldingsId: 'LH-1',
  mediumType: 'periodical',
  needBeforeDate: '2025-04-30',
  norfri: true,
  orderSystem: 'bibliotekdk',
  orderType: 'enduser_request',
  originalOrderId: '1234567000',
  pagination: '12-34',
  pickUpAgencyId: 'DK-820010',
  pickUpAgencyIdType: 'ISIL',
  pickUpAgencySubdivision: 'Bogbussen',
  pid: ['870970-basis:05172993', '870971-avis:12345678'],
  pidOfComponent: '870971-tsart:1',
  pidOfPrimaryObject: '870970-basis:05172993',
  placeOfPublication: 'København',
  placeOnHold: 'no',
  publicationDate: '1901',
  publicationDateOfComponent: '1999',
  publisher: 'Gyldendal',
  requesterInitials: 'ABC',
  resendToRequesterDate: '2025-03-02T08:00:00+01:00',
  responderId: 'DK-710100',
  responderIdType: 'ISIL',
  seriesTitelNumber: 'Serie 7',
  title: 'Kongens "Fald" & \'andet\'',
  titleOfComponent: 'Et kapitel',
  userAddress: 'Vestergade 1, 8000 Aarhus C',
  userDateOfBirth: '1970-01-01',
  userId: '0101701234',
  userIdAuthenticated: true,
  userIdType: 'cpr',
  userMail: 'laaner@example.dk',
  userName: 'Karen Blixen',
  userReferenceSource: 'Politiken',
  userTelephone: '+45 12345678',
  verificationReferenceSource: 'bibliotekdk',
  volume: '12',
  wantsReceipt: false,
  worldCatNote: 'WC 1',
};

function orderElementNames(xml: string): string[] {
  const orderReceipt = /<orderReceipt>([\s\S]*)<\/orderReceipt>/.exec(xml)![1];
  return [...orderReceipt.matchAll(/<(\w+)>/g)].map((match) => match[1]);
}

describe('buildReceiptXml', () => {
  const xml = buildReceiptXml({ authenticationPassword: 'pw & co', orderReceiptUuid: 'uuid-1', trackingId: 't-1', order: FULL_ORDER });

  it('writes orderId, requesterId and requesterIdType first, then every other element alphabetically', () => {
    const names = orderElementNames(xml);
    expect(names.slice(0, 3)).toEqual(['orderId', 'requesterId', 'requesterIdType']);
    expect(names.slice(3)).toEqual([...names.slice(3)].sort());
    expect(names.indexOf('title')).toBe(names.indexOf('seriesTitelNumber') + 1);
    expect(names.slice(names.indexOf('pagination'), names.indexOf('pid'))).toEqual(['pagination', 'pickUpAgencyId', 'pickUpAgencyIdType', 'pickUpAgencySubdivision']);
    expect(names.filter((name) => name === 'pid')).toHaveLength(2);
    expect(new Set(names).size).toBe(Object.keys(FULL_ORDER).length);
  });

  it('writes receiptRequest in schema order in a SOAP 1.1 envelope, with the receipt namespace as default', () => {
    expect(xml).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<soapenv:Envelope xmlns:soapenv="http:\/\/schemas.xmlsoap.org\/soap\/envelope\/">/);
    expect(xml).toContain('<receipt xmlns="http://oss.dbc.dk/ns/orderReceipt">');
    const order = ['<authenticationPassword>', '<orderReceipt>', '<orderReceiptUuid>', '<trackingId>'].map((tag) => xml.indexOf(tag));
    expect(order).toEqual([...order].sort((a, b) => a - b));
  });

  it('escapes text and writes booleans as true/false', () => {
    expect(xml).toContain('<title>Kongens &quot;Fald&quot; &amp; &apos;andet&apos;</title>');
    expect(xml).toContain('<authenticationPassword>pw &amp; co</authenticationPassword>');
    expect(xml).toContain('<copy>true</copy>');
    expect(xml).toContain('<kvik>false</kvik>');
  });

  it('reads back as the receipt it was built from', () => {
    const result = parseReceipt(xml);
    expect(result).toEqual({
      ok: true,
      receipt: { authenticationPassword: 'pw & co', orderReceiptUuid: 'uuid-1', trackingId: 't-1', order: FULL_ORDER, unknownElements: [], warnings: [] },
    });
  });

  it('writes values as given and leaves out what is not given, to build faulty receipts', () => {
    const faulty = buildReceiptXml({ orderReceiptUuid: 'uuid-2', order: { orderId: '1', requesterId: 'dk-820010', requesterIdType: 'isil' } });
    expect(orderElementNames(faulty)).toEqual(['orderId', 'requesterId', 'requesterIdType']);
    expect(faulty).toContain('<requesterIdType>isil</requesterIdType>');
    expect(faulty).not.toContain('authenticationPassword');
    expect(faulty).not.toContain('trackingId');
  });

  it('drops characters XML cannot hold', () => {
    expect(buildReceiptXml({ orderReceiptUuid: 'u', order: { title: 'a\u0000b\u001Fc' } })).toContain('<title>abc</title>');
  });
});
