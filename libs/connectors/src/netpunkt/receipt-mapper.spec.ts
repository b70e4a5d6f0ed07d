import { maskCpr, mapReceipt, redactReceipt } from './receipt-mapper';
import type { NetpunktOrder, NetpunktReceipt } from './schema';

const ORDER: NetpunktOrder = {
  orderId: '1234567890',
  requesterId: 'dk-820010',
  requesterIdType: 'ISIL',
  pickUpAgencyId: '820011',
  pickUpAgencyIdType: 'ISIL',
  responderId: 'dk-710100',
  responderIdType: 'ISIL',
  title: 'Kongens Fald',
};

function receipt(order: Partial<NetpunktOrder> = {}, rest: Partial<NetpunktReceipt> = {}): NetpunktReceipt {
  return { authenticationPassword: 'secret', orderReceiptUuid: 'uuid-1', order: { ...ORDER, ...order }, unknownElements: [], warnings: [], ...rest };
}

describe('mapReceipt', () => {
  it('makes a minimal receipt a borrowing request sent to the partner, agency ids normalized', () => {
    const mapping = mapReceipt(receipt());
    expect(mapping).toEqual({
      ok: true,
      warnings: [],
      originalOrderId: null,
      replacedExternalId: null,
      request: {
        direction: 'BORROWING',
        externalId: '1234567890@DK-820010',
        externalRef: 'DK-820010',
        externalSystemStatus: null,
        mappedStatus: 'REQUEST_SENT_TO_PARTNER',
        externalLibraryCode: 'DK-820011',
        partnerCodes: ['DK-710100'],
        activePartnerCode: 'DK-710100',
        requesterName: null,
        requesterId: null,
        title: 'Kongens Fald',
        author: null,
        isbn: null,
        issn: null,
        publisher: null,
        placeOfPublication: null,
        year: null,
        edition: null,
        volume: null,
        issue: null,
        pages: null,
        articleTitle: null,
        articleAuthor: null,
        format: 'LOAN',
        note: null,
        lastInterestDate: null,
        raw: { orderReceiptUuid: 'uuid-1', order: ORDER, unknownElements: [], warnings: [] },
      },
    });
  });

  it('maps the bibliographic data, the requester, the note and the last interest date of an article copy', () => {
    const { request } = mapReceipt(
      receipt({
        author: 'Johannes V. Jensen',
        isbn: '9788702000000',
        issn: '0105-0000',
        publisher: 'Gyldendal',
        placeOfPublication: 'København',
        publicationDate: '1901',
        edition: '3. udgave',
        volume: '12',
        issue: '4',
        pagination: '12-34',
        titleOfComponent: 'Et kapitel',
        authorOfComponent: 'Ib Ibsen',
        copy: true,
        needBeforeDate: '2025-04-30',
        latestRequesterNote: 'Hurtigst muligt',
        userId: 'A123456',
        userIdType: 'barcode',
        userName: 'Karen Blixen',
      }),
    );
    expect(request).toMatchObject({
      author: 'Johannes V. Jensen',
      isbn: '9788702000000',
      issn: '0105-0000',
      publisher: 'Gyldendal',
      placeOfPublication: 'København',
      year: '1901',
      edition: '3. udgave',
      volume: '12',
      issue: '4',
      pages: '12-34',
      articleTitle: 'Et kapitel',
      articleAuthor: 'Ib Ibsen',
      format: 'COPY',
      lastInterestDate: '2025-04-30',
      note: 'Hurtigst muligt',
      requesterId: 'A123456',
      requesterName: 'Karen Blixen',
    });
  });

  it('takes the year of the component when the item has none', () => {
    expect(mapReceipt(receipt({ publicationDateOfComponent: '1999' })).request.year).toBe('1999');
    expect(mapReceipt(receipt({ publicationDate: '1901', publicationDateOfComponent: '1999' })).request.year).toBe('1901');
  });

  it('asks for a loan unless a copy is wanted', () => {
    expect(mapReceipt(receipt({ copy: false })).request.format).toBe('LOAN');
    expect(mapReceipt(receipt({ copy: true })).request.format).toBe('COPY');
  });

  it('keeps a DNUCNI responder as sent', () => {
    const { request } = mapReceipt(receipt({ responderId: '710100', responderIdType: 'DNUCNI' }));
    expect(request.partnerCodes).toEqual(['710100']);
    expect(request.activePartnerCode).toBe('710100');
  });

  it('passes the parser warnings on and exposes the order it replaces', () => {
    const mapping = mapReceipt(receipt({ originalOrderId: '1234567000' }, { warnings: ['orderReceipt/copy "ja" is not a boolean'] }));
    expect(mapping.warnings).toEqual(['orderReceipt/copy "ja" is not a boolean']);
    expect(mapping.originalOrderId).toBe('1234567000');
    expect(mapping.replacedExternalId).toBe('1234567000@DK-820010');
  });

  it('keys the request by orderId and requesterId: the same orderId of two requesters is two requests', () => {
    const ours = mapReceipt(receipt()).request.externalId;
    expect(mapReceipt(receipt({ requesterId: '820010' })).request.externalId).toBe(ours);
    expect(mapReceipt(receipt({ requesterId: 'DK-820030' })).request.externalId).toBe('1234567890@DK-820030');
  });

  it('never keeps a CPR number or the password in clear, neither in requesterId nor in raw', () => {
    const mapping = mapReceipt(receipt({ userId: '010170-1234', userIdType: 'cpr', userName: 'Karen Blixen' }));
    expect(mapping.request.requesterId).toBe('cpr:******1234');
    expect(mapping.request.raw).toMatchObject({ order: { userId: 'cpr:******1234', userIdType: 'cpr' } });
    const serialized = JSON.stringify(mapping);
    expect(serialized).not.toMatch(/010170/);
    expect(serialized).not.toContain('secret');
    expect(mapping.request.raw).not.toHaveProperty('authenticationPassword');
  });

  it('keeps the raw receipt JSON-safe and leaves the receipt it was given untouched', () => {
    const original = receipt({ userId: '0101701234', userIdType: 'cpr', pid: ['a', 'b'] }, {
      unknownElements: [{ parent: 'orderReceipt', name: 'x', text: '1', children: [] }],
    });
    const snapshot = structuredClone(original);
    const { raw } = mapReceipt(original).request;
    expect(JSON.parse(JSON.stringify(raw))).toEqual(raw);
    expect(original).toEqual(snapshot);
    expect(raw).toMatchObject({ unknownElements: original.unknownElements, order: { pid: ['a', 'b'] } });
  });
});

describe('redactReceipt', () => {
  it('masks a user id that looks like a CPR number when no user id type was given', () => {
    expect(redactReceipt(receipt({ userId: '0101701234' })).order.userId).toBe('cpr:******1234');
  });

  it('trusts an explicit user id type other than cpr', () => {
    expect(redactReceipt(receipt({ userId: '0101701234', userIdType: 'cardno' })).order.userId).toBe('0101701234');
  });

  it('changes nothing when applied twice', () => {
    const once = redactReceipt(receipt({ userId: '0101701234', userIdType: 'cpr' }));
    expect(redactReceipt(once)).toEqual(once);
  });
});

describe('maskCpr', () => {
  it.each([
    ['0101701234', 'cpr:******1234'],
    ['010170-1234', 'cpr:******1234'],
    ['cpr:******1234', 'cpr:******1234'],
    ['12345', 'cpr:******'],
    ['not a number', 'cpr:******'],
  ])('masks %p as %p', (value, masked) => {
    expect(maskCpr(value)).toBe(masked);
  });
});
