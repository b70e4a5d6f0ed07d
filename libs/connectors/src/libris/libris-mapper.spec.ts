import { mapLibrisRecord } from './libris-mapper';
import type { LibrisIllRequest, LibrisRecipient } from './libris-wire';

function recipient(library_code: string, fields: Partial<LibrisRecipient> = {}): LibrisRecipient {
  return { library_id: '', library_code, is_active_library: false, location: '', response_id: '', response: '', response_date: '', reserve: false, ...fields };
}

/** A borrowing request as Libris sends it for the library "Hig" (Högskolan i Gävle). */
function librisRecord(fields: Partial<LibrisIllRequest> = {}): LibrisIllRequest {
  return {
    request_id: '4946717', lf_number: 'Hig-251120-0007', request_type: 'LF',
    status: 'Uteliggande', status_code: '1', xstatus: 'Oläst', xstatus_code: '1', local_status: '', local_status_code: '',
    last_modified: '1763634000', external_id: '',
    arrival_date: null, sign_date: null, due_date: null, renewal_date: null, renewal_count: '0', return_date: null, sendback_date: null,
    delivery_type: 'Post', delivery_type_code: '1', processing_time: 'Normal', processing_time_code: '1',
    media_type: 'Lån', media_type_code: '1', recipient_count: '2',
    bib_id: '7654321', isbn_issn: '91-1-300878-2', author: 'Lagerlöf, Selma', title: 'Gösta Berlings saga',
    place_of_publication: 'Stockholm', publisher: 'Bonnier', year: '1891', imprint: 'Stockholm : Bonnier, 1891',
    author_of_article: '', title_of_article: '', volume_designation: '', pages: '', journal_article: '',
    message: 'Låntagaren hämtar i Gävle, tack!',
    user: 'Åsa Öberg', user_id: '2000123456', operator: 'märta.sjö',
    active_library: 'Gk', requesting_library: 'Hig',
    receiving_library: {
      library_code: 'Hig', name: 'Högskolan i Gävle, biblioteket', department: 'Fjärrlån', address1: 'Kungsbäcksvägen 47',
      address2: '', address3: '', zip_code: '801 76', city: 'Gävle', fax: '', email: 'fjarrlan@hig.se', bibsam: true,
    },
    libris_enduser_request_id: '', enduser_id: '',
    end_user: {
      user_id: '', approved: false, approval_date: null, approved_by: '', home_delivery: false, institution_delivery: false,
      first_name: '', last_name: '', address: '', zip_code: '', city: '', phone: '', mobile: '', email: '', institution: '',
      institution_phone: '', library_card: '',
    },
    recipients: [recipient('Gk', { is_active_library: true }), recipient('L')],
    ...fields,
  };
}

function mapOk(raw: unknown) {
  const result = mapLibrisRecord(raw);
  if (!result.ok) throw new Error(`expected a mapped request, got the failure: ${result.failure.message}`);
  return result;
}

function mapFailure(raw: unknown) {
  const result = mapLibrisRecord(raw);
  if (result.ok) throw new Error('expected a failure, got a mapped request');
  return result.failure;
}

describe('mapLibrisRecord', () => {
  it('builds a borrowing request from a loan record, Swedish characters intact', () => {
    const raw = librisRecord();
    const { request, warnings } = mapOk(raw);
    expect(request).toEqual({
      direction: 'BORROWING',
      externalId: 'Hig-251120-0007',
      externalRef: '4946717',
      externalSystemStatus: 'Uteliggande',
      mappedStatus: 'REQUEST_SENT_TO_PARTNER',
      externalLibraryCode: 'Hig',
      partnerCodes: ['Gk', 'L'],
      activePartnerCode: 'Gk',
      requesterName: 'Åsa Öberg',
      requesterId: '2000123456',
      title: 'Gösta Berlings saga',
      author: 'Lagerlöf, Selma',
      isbn: '91-1-300878-2',
      issn: null,
      publisher: 'Bonnier',
      placeOfPublication: 'Stockholm',
      year: '1891',
      edition: null,
      volume: null,
      issue: null,
      pages: null,
      articleTitle: null,
      articleAuthor: null,
      format: 'LOAN',
      note: 'Låntagaren hämtar i Gävle, tack!',
      lastInterestDate: null,
      dueDate: null,
      raw,
    });
    expect(request.raw).toBe(raw);
    expect(warnings).toEqual([]);
  });

  it('builds a copy request for a journal article, the ISSN in its own field', () => {
    const { request } = mapOk(
      librisRecord({
        media_type: 'Kopia', media_type_code: '2', status: 'Levererad', status_code: '10',
        isbn_issn: '0345-469X', title: 'Historisk tidskrift', author: '', year: '2019',
        title_of_article: 'Fjärrlånets historia i Norrland', author_of_article: 'Näslund, Göran',
        volume_designation: '139:2', pages: '233-251',
      }),
    );
    expect(request).toMatchObject({
      format: 'COPY', mappedStatus: 'SHIPPED_DIGITALLY', externalSystemStatus: 'Levererad',
      issn: '0345-469X', isbn: null, author: null, title: 'Historisk tidskrift',
      articleTitle: 'Fjärrlånets historia i Norrland', articleAuthor: 'Näslund, Göran', volume: '139:2', pages: '233-251',
    });
  });

  describe('status (libris-ill-api.md §5)', () => {
    it.each([
      ['Uteliggande', 'Lån', 'REQUEST_SENT_TO_PARTNER'],
      ['Remitterad', 'Lån', 'REQUEST_SENT_TO_PARTNER'],
      ['Läst', 'Kopia', 'REQUEST_SENT_TO_PARTNER'],
      ['Kan reserveras', 'Lån', 'CONDITIONAL'],
      ['Reservation', 'Lån', null],
      ['Reserverad', 'Lån', 'REQUEST_ACCEPTED'],
      ['Negativt svar', 'Kopia', 'REJECTED_BY_PARTNER'],
      ['Levererad', 'Lån', 'SHIPPED_PHYSICALLY'],
      ['Levererad', 'Kopia', 'SHIPPED_DIGITALLY'],
      ['Avbeställd', 'Lån', 'CANCELED_BY_STAFF'],
      ['Makulerad', 'Kopia', 'CANCELED_BY_STAFF'],
      ['Ej avbeställd!', 'Lån', null],
    ])('"%s" for %s maps to %s and keeps the Swedish text', (status, mediaType, mapped) => {
      const { request, warnings } = mapOk(librisRecord({ status, media_type: mediaType, media_type_code: mediaType === 'Lån' ? '1' : '2' }));
      expect(request.mappedStatus).toBe(mapped);
      expect(request.externalSystemStatus).toBe(status);
      expect(warnings).toEqual([]);
    });

    it('keeps an unknown status text, maps it to nothing and warns', () => {
      const { request, warnings } = mapOk(librisRecord({ status: 'Förlängd' }));
      expect(request).toMatchObject({ externalSystemStatus: 'Förlängd', mappedStatus: null });
      expect(warnings).toEqual(['unknown Libris status "Förlängd": status left unchanged']);
    });

    it('warns when a delivery has no known media type, and maps it to nothing', () => {
      const { request, warnings } = mapOk(librisRecord({ status: 'Levererad', media_type: '', media_type_code: '' }));
      expect(request).toMatchObject({ format: null, mappedStatus: null });
      expect(warnings).toEqual(['"Levererad" without a known media type: status left unchanged']);
    });

    it('warns when the record has no status', () => {
      const { request, warnings } = mapOk(librisRecord({ status: '' }));
      expect(request).toMatchObject({ externalSystemStatus: null, mappedStatus: null });
      expect(warnings).toEqual(['the record has no status: status left unchanged']);
    });
  });

  describe('format', () => {
    it.each([
      [{ media_type: 'Lån', media_type_code: '1' }, 'LOAN'],
      [{ media_type: 'Kopia', media_type_code: '2' }, 'COPY'],
      [{ media_type: '', media_type_code: '1' }, 'LOAN'],
      [{ media_type: '', media_type_code: '2' }, 'COPY'],
      [{ media_type: '', media_type_code: 2 as unknown as string }, 'COPY'],
      [{ media_type: 'Kopia', media_type_code: '' }, 'COPY'],
    ])('reads %j as %s', (fields, format) => {
      expect(mapOk(librisRecord(fields)).request.format).toBe(format);
    });

    it('warns about a media type it does not know', () => {
      const { request, warnings } = mapOk(librisRecord({ media_type: 'Mikrofilm', media_type_code: '5' }));
      expect(request.format).toBeNull();
      expect(warnings).toEqual(['unknown media type "Mikrofilm" (code "5")']);
    });
  });

  describe('libraries and partners', () => {
    it('falls back to the receiving library when the requesting library is empty', () => {
      const record = librisRecord({ requesting_library: '' });
      expect(mapOk(record).request.externalLibraryCode).toBe('Hig');
      record.receiving_library.library_code = 'Hig2';
      expect(mapOk(record).request.externalLibraryCode).toBe('Hig2');
    });

    it('has no library code when neither the requesting nor the receiving library names one', () => {
      const record = librisRecord({ requesting_library: '' }) as unknown as Record<string, unknown>;
      delete record.receiving_library;
      expect(mapOk(record).request.externalLibraryCode).toBeNull();
    });

    it('keeps the lender chain in order, without duplicates or empty codes, unknown sigels included', () => {
      const { request } = mapOk(
        librisRecord({
          recipients: [recipient('Gk'), recipient(''), recipient('Qxa'), recipient('Gk'), recipient('  '), recipient('Um', { is_active_library: true })],
          active_library: 'Um',
        }),
      );
      expect(request.partnerCodes).toEqual(['Gk', 'Qxa', 'Um']);
      expect(request.activePartnerCode).toBe('Um');
    });

    it('keeps sigels case-sensitive', () => {
      expect(mapOk(librisRecord({ recipients: [recipient('Z'), recipient('z')] })).request.partnerCodes).toEqual(['Z', 'z']);
    });

    it('takes a record without recipients or active library', () => {
      const { request } = mapOk(librisRecord({ recipients: null as unknown as LibrisRecipient[], active_library: '' }));
      expect(request).toMatchObject({ partnerCodes: [], activePartnerCode: null });
    });
  });

  describe('identifiers', () => {
    it.each([
      ['91-1-300878-2', '91-1-300878-2', null],
      ['9789113084909', '9789113084909', null],
      ['91-7054-567-X (inb.)', '91-7054-567-X (inb.)', null],
      ['0345-469X', null, '0345-469X'],
      ['0023-7205', null, '0023-7205'],
      [' 0039-646x ', null, '0039-646x'],
    ])('files isbn_issn "%s" as ISBN %s / ISSN %s', (isbnIssn, isbn, issn) => {
      expect(mapOk(librisRecord({ isbn_issn: isbnIssn })).request).toMatchObject({ isbn, issn });
    });

    it('takes numbers sent as JSON numbers as well as strings', () => {
      const { request } = mapOk(librisRecord({ request_id: 4946717, user_id: 2000123456, year: 1891 } as unknown as Partial<LibrisIllRequest>));
      expect(request).toMatchObject({ externalRef: '4946717', requesterId: '2000123456', year: '1891' });
    });
  });

  it('turns empty and blank strings into nulls; an empty title is not a failure', () => {
    const { request } = mapOk(
      librisRecord({ title: '', author: '   ', isbn_issn: '', publisher: '', place_of_publication: '', year: '', user: '', user_id: '', message: '', request_id: '' }),
    );
    expect(request).toMatchObject({
      title: null, author: null, isbn: null, issn: null, publisher: null, placeOfPublication: null, year: null,
      requesterName: null, requesterId: null, note: null, externalRef: null,
    });
  });

  it('trims the texts it keeps', () => {
    expect(mapOk(librisRecord({ title: '  Röda rummet ', lf_number: ' Hig-251120-0007 ' })).request).toMatchObject({
      title: 'Röda rummet',
      externalId: 'Hig-251120-0007',
    });
  });

  describe('malformed records fail alone with MALFORMED_RECORD', () => {
    it.each([
      [null, 'null'],
      ['Hig-251120-0007', 'string'],
      [42, 'number'],
      [[librisRecord()], 'array'],
    ])('refuses %j, which is not an object', (raw, type) => {
      expect(mapFailure(raw)).toEqual({
        externalId: '', direction: 'BORROWING', reasonCode: 'MALFORMED_RECORD', message: `a Libris record must be an object, got ${type}`,
      });
    });

    it.each([
      [{ lf_number: '' }],
      [{ lf_number: '   ' }],
      [{ lf_number: null as unknown as string }],
    ])('refuses a record without an LF number (%j), naming it by request_id', (fields) => {
      expect(mapFailure(librisRecord(fields))).toEqual({
        externalId: '4946717', direction: 'BORROWING', reasonCode: 'MALFORMED_RECORD', message: 'malformed Libris record: lf_number is missing or empty',
      });
    });

    it('refuses a record whose lf_number field is absent altogether', () => {
      const record = librisRecord() as unknown as Record<string, unknown>;
      delete record.lf_number;
      delete record.request_id;
      expect(mapFailure(record)).toMatchObject({ externalId: '', message: 'malformed Libris record: lf_number is missing or empty' });
    });

    it.each([
      [{ title: 12345 }, 'title must be a string, got number'],
      [{ title: { sv: 'Röda rummet' } }, 'title must be a string, got object'],
      [{ lf_number: 7 }, 'lf_number must be a string, got number'],
      [{ status: 10 }, 'status must be a string, got number'],
      [{ request_id: true }, 'request_id must be a string or a number, got boolean'],
      [{ recipients: { library_code: 'Gk' } }, 'recipients must be an array, got object'],
      [{ recipients: 'Gk' }, 'recipients must be an array, got string'],
      [{ recipients: [{ library_code: 'Gk' }, 'L'] }, 'recipients[1] must be an object, got string'],
      [{ recipients: [{ library_code: ['Gk'] }] }, 'recipients[0].library_code must be a string, got array'],
      [{ receiving_library: 'Hig' }, 'receiving_library must be an object, got string'],
      [{ requesting_library: '', receiving_library: { library_code: 12 } }, 'receiving_library.library_code must be a string, got number'],
      [{ user: ['Åsa', 'Öberg'] }, 'user must be a string, got array'],
    ])('refuses %j: %s', (fields, problem) => {
      const failure = mapFailure({ ...librisRecord(), ...fields });
      expect(failure.reasonCode).toBe('MALFORMED_RECORD');
      expect(failure.message).toBe(`malformed Libris record: ${problem}`);
    });

    it('names every problem of a record at once', () => {
      const failure = mapFailure({ ...librisRecord(), title: 1, author: false, recipients: 'Gk' });
      expect(failure).toMatchObject({ externalId: 'Hig-251120-0007', reasonCode: 'MALFORMED_RECORD' });
      const prefix = 'malformed Libris record: ';
      expect(failure.message.startsWith(prefix)).toBe(true);
      expect(failure.message.slice(prefix.length).split('; ').sort()).toEqual([
        'author must be a string, got boolean',
        'recipients must be an array, got string',
        'title must be a string, got number',
      ]);
    });

    it('lets the other records of a harvest through', () => {
      const harvest = [librisRecord({ lf_number: 'Hig-251120-0001' }), { ...librisRecord({ lf_number: 'Hig-251120-0002' }), title: 99 }, librisRecord({ lf_number: 'Hig-251120-0003' })];
      expect(harvest.map((raw) => mapLibrisRecord(raw).ok)).toEqual([true, false, true]);
    });
  });
});
