import {
  CATP_REASON_PHRASES,
  CatpSyntaxError,
  classifyStatus,
  decodeRecords,
  decodeRequest,
  decodeResponse,
  encodeErrorBody,
  encodeFields,
  encodeRecords,
  encodeRequest,
  encodeResponse,
  errorMessages,
  fieldValue,
  fieldValues,
  groupsOf,
  headerValue,
  searchTerm,
} from './catp-codec';
import type { CatpRecord } from './catp-codec';
import * as examples from './fixtures/catp-examples';

const REQUESTS = Object.entries(examples).filter(([name]) => name.endsWith('_REQUEST'));
const RESPONSES = Object.entries(examples).filter(([name]) => name.endsWith('_RESPONSE'));

/** The body of a wire message: everything after the first empty line. */
function bodyOf(wire: string): string {
  return wire.slice(wire.indexOf('\r\n\r\n') + 4);
}

describe('CATP codec: the worked examples of nacsis-catp.md §7', () => {
  it('has every example', () => {
    expect(REQUESTS).toHaveLength(8);
    expect(RESPONSES).toHaveLength(8);
  });

  it.each(REQUESTS)('round-trips %s byte for byte', (_name, wire) => {
    expect(Buffer.from(encodeRequest(decodeRequest(wire)))).toEqual(Buffer.from(wire));
  });

  it.each(RESPONSES)('round-trips %s byte for byte', (_name, wire) => {
    expect(Buffer.from(encodeResponse(decodeResponse(wire)))).toEqual(Buffer.from(wire));
  });

  it.each(RESPONSES)('round-trips the records of %s', (_name, wire) => {
    const body = bodyOf(wire);
    expect(encodeRecords(decodeRecords(body))).toBe(body);
  });

  it.each(REQUESTS.filter(([name]) => name.startsWith('SPC_')))('round-trips the fields of %s', (_name, wire) => {
    const body = bodyOf(wire);
    const [fields] = decodeRecords(body);
    expect(encodeFields(fields)).toBe(body);
  });

  it('decodes the GETHANDLE exchange', () => {
    expect(decodeRequest(examples.GETHANDLE_REQUEST)).toEqual({
      method: 'GETHANDLE',
      handle: '0123456789',
      frame: '000',
      version: 'CATP/1.1',
      headers: [
        { name: 'Authenticate', value: 'USER0001,secret' },
        { name: 'Schema-version', value: '2' },
      ],
      encoding: 'UTF8',
      body: '',
    });
    expect(decodeResponse(examples.GETHANDLE_RESPONSE)).toEqual({
      method: 'GETHANDLE',
      handle: 'A7K2M9Q4X1',
      frame: '001',
      version: 'CATP/1.1',
      status: 200,
      reasonPhrase: 'OK',
      headers: [],
      body: '',
    });
  });

  it('decodes a two-record SEARCH answer into typed records', () => {
    const response = decodeResponse(examples.SEARCH_STAT_RESPONSE);
    expect(headerValue(response, 'result-count')).toBe('2');
    expect(headerValue(response, 'Next-result-set-position')).toBe('0');
    const records = decodeRecords(response.body);
    expect(records).toHaveLength(2);
    const [first, second] = records;
    expect(first.slice(0, 5)).toEqual([
      { tag: '_DBNAME_', value: 'COPYA' },
      { tag: 'ID', value: '250512000101' },
      { tag: 'CRTDT', value: '20250512' },
      { tag: 'RNWDT', value: '20250512' },
      { tag: 'STAT', value: '未処理' },
    ]);
    expect(groupsOf(first, 'BIBG')).toEqual([
      {
        group: 'BIBG',
        fields: [
          { tag: 'BIBID', value: 'AN10184701' },
          { tag: 'BIBNT', value: '免疫薬理. -- Vol. 8, no. 1 (1990)-' },
          { tag: 'STDNO', value: 'ISSN=0000-0000' },
        ],
      },
    ]);
    expect(fieldValue(first, 'OSTAF')).toBe('ILL担当 TEL=000-000-0001');
    expect(groupsOf(second, 'HMLG').map((group) => fieldValue(group.fields, 'HMLID'))).toEqual(['FA012345', 'FA054321']);
    expect(fieldValue(second, 'HMLID')).toBeUndefined();
  });

  it('decodes a single record sent without delimiters', () => {
    const records = decodeRecords(decodeResponse(examples.RETRIEVE_RESPONSE).body);
    expect(records).toHaveLength(1);
    expect(fieldValue(records[0], 'ID')).toBe('250512000102');
    expect(records[0]).toHaveLength(19); // 15 fields and 4 groups: the 32 lines of the record
  });

  it('decodes the 409 answer: a reason phrase with spaces and ERROR/MESSAGE lines', () => {
    const response = decodeResponse(examples.SPC_CONFLICT_RESPONSE);
    expect(response).toMatchObject({ status: 409, reasonPhrase: 'Invalid ILL-command for current state' });
    expect(errorMessages(response.body)).toEqual(['ILL-command SEND is not valid for STAT=未処理 (RECEIVE first)']);
  });

  it('builds the SPC SEND request from typed parts, Content-Length included', () => {
    const fields: CatpRecord = [
      { tag: 'ID', value: '250512000101' },
      { tag: 'SDATE', value: '20250514' },
      {
        group: 'CHG',
        fields: [
          { tag: 'ITEM', value: 'A4' },
          { tag: 'QNT', value: '8' },
          { tag: 'UPRCE', value: '35' },
          { tag: 'CHRGE', value: '280' },
        ],
      },
      { tag: 'FEE', value: '0' },
      { tag: 'POSTG', value: '84' },
      { tag: 'SUM', value: '364' },
      { tag: 'CMMNT', value: '本日発送しました' },
    ];
    const wire = encodeRequest({
      method: 'SERVERPROCEDURECALL',
      handle: 'A7K2M9Q4X1',
      frame: '000',
      version: 'CATP/1.1',
      headers: [
        { name: 'Procedure-name', value: 'ILL' },
        { name: 'Database-names', value: 'COPYA' },
        { name: 'ILL-command', value: 'SEND' },
      ],
      encoding: 'UTF8',
      body: encodeFields(fields),
    });
    expect(wire).toBe(examples.SPC_SEND_REQUEST);
  });

  it('builds the SEARCH answer and the 409 answer from typed parts', () => {
    const records = decodeRecords(bodyOf(examples.SEARCH_STAT_RESPONSE));
    const search = encodeResponse({
      method: 'SEARCH',
      handle: 'A7K2M9Q4X1',
      frame: '001',
      version: 'CATP/1.1',
      status: 200,
      reasonPhrase: 'OK',
      headers: [
        { name: 'Database-names', value: 'COPYA' },
        { name: 'Result-count', value: '2' },
        { name: 'Number-of-records-returned', value: '2' },
        { name: 'Next-result-set-position', value: '0' },
      ],
      encoding: 'UTF8',
      body: encodeRecords(records),
    });
    expect(search).toBe(examples.SEARCH_STAT_RESPONSE);

    const conflict = encodeResponse({
      method: 'SERVERPROCEDURECALL',
      handle: 'A7K2M9Q4X1',
      frame: '000',
      version: 'CATP/1.1',
      status: 409,
      reasonPhrase: CATP_REASON_PHRASES[409],
      headers: [],
      encoding: 'UTF8',
      body: encodeErrorBody(409, ['ILL-command SEND is not valid for STAT=未処理 (RECEIVE first)']),
    });
    expect(conflict).toBe(examples.SPC_CONFLICT_RESPONSE);
  });
});

describe('CATP codec: tolerance (nacsis-catp.md §2.4)', () => {
  it('reads a request as the ruby client sends it: LF, no space, headers out of order, no final empty line', () => {
    const wire = 'GETHANDLE 0123456789 000 CATP/1.1 000 REQUEST\nAuthenticate: u,p\nContent-Length: 0\nEncoding:UTF8\nSchema-version: 2\n';
    expect(decodeRequest(wire)).toEqual({
      method: 'GETHANDLE',
      handle: '0123456789',
      frame: '000',
      version: 'CATP/1.1',
      headers: [
        { name: 'Authenticate', value: 'u,p' },
        { name: 'Schema-version', value: '2' },
      ],
      encoding: 'UTF8',
      body: '',
    });
  });

  it('takes the body to the end, ignoring a Content-Length in characters and stripping one trailing LF', () => {
    const wire = 'SEARCH A7K2M9Q4X1 001 CATP/1.1 000 REQUEST\nDatabase-names: BOOK\nContent-Length: 13\nEncoding: UTF8\n\nTITLEKEY="新潟"\n';
    expect(decodeRequest(wire).body).toBe('TITLEKEY="新潟"');
  });

  it('matches header names ignoring case and emits them canonically', () => {
    const request = decodeRequest('RELEASEHANDLE A7K2M9Q4X1 000 CATP/1.1 000 REQUEST\r\nDATABASE-NAMES:COPYO\r\ncontent-length:0\r\nX-Extra: kept\r\n\r\n');
    expect(request.headers).toEqual([
      { name: 'Database-names', value: 'COPYO' },
      { name: 'X-Extra', value: 'kept' },
    ]);
    expect(headerValue(request, 'x-extra')).toBe('kept');
    expect(encodeRequest(request)).toBe('RELEASEHANDLE A7K2M9Q4X1 000 CATP/1.1 000 REQUEST\r\nDatabase-names: COPYO\r\nX-Extra: kept\r\nContent-Length: 0\r\n\r\n');
  });

  it('reads SPC’s Database-name as Database-names', () => {
    const request = decodeRequest('SERVERPROCEDURECALL A7K2M9Q4X1 000 CATP/1.1 000 REQUEST\nProcedure-name: ILL\nDatabase-name: LOANO\nILL-command: RENEW\n\nID=1');
    expect(headerValue(request, 'Database-names')).toBe('LOANO');
    expect(encodeRequest(request)).toContain('\r\nDatabase-names: LOANO\r\n');
  });

  it('reads a response with LF line endings and spaces after the colons', () => {
    const response = decodeResponse('SEARCH A7K2M9Q4X1 001 CATP/1.1 200 OK\nResult-count: 1\nContent-Length: 10\nEncoding: UTF8\n\nID=1\nSTAT=確認\n');
    expect(headerValue(response, 'Result-count')).toBe('1');
    expect(decodeRecords(response.body)).toEqual([
      [
        { tag: 'ID', value: '1' },
        { tag: 'STAT', value: '確認' },
      ],
    ]);
  });

  it('keeps a head line that is not "Name: value" apart (the ruby client reads GETHANDLE\'s second line as the supported methods)', () => {
    const response = decodeResponse('GETHANDLE A7K2M9Q4X1 001 CATP/1.1 200 OK\r\nGETHANDLE RELEASEHANDLE SEARCH RETRIEVE SERVERPROCEDURECALL\r\nContent-Length:0\r\n\r\n');
    expect(response).toMatchObject({ handle: 'A7K2M9Q4X1', frame: '001', status: 200, headers: [], otherLines: ['GETHANDLE RELEASEHANDLE SEARCH RETRIEVE SERVERPROCEDURECALL'], body: '' });
    expect(decodeResponse('RELEASEHANDLE A7K2M9Q4X1 000 CATP/1.1 200 OK\r\n\r\n')).not.toHaveProperty('otherLines');
  });

  it('reads a status line with no reason phrase', () => {
    expect(decodeResponse('RELEASEHANDLE A7K2M9Q4X1 000 CATP/1.1 200\r\n\r\n')).toMatchObject({ status: 200, reasonPhrase: '' });
  });

  it('splits a field on the first "=" only', () => {
    expect(decodeRecords('STDNO=ISBN=4417004684\r\nCMMNT=a=b')).toEqual([
      [
        { tag: 'STDNO', value: 'ISBN=4417004684' },
        { tag: 'CMMNT', value: 'a=b' },
      ],
    ]);
  });

  it('accepts a Multi-record without its close delimiter, with trailing spaces and empty lines', () => {
    expect(decodeRecords('--NACSIS-CATP \nID=1\n\n--NACSIS-CATP\nID=2\n')).toEqual([[{ tag: 'ID', value: '1' }], [{ tag: 'ID', value: '2' }]]);
  });

  it('accepts one record in Multi-record form and ignores what follows the close delimiter', () => {
    expect(decodeRecords('--NACSIS-CATP\r\nID=1\r\n--NACSIS-CATP--\r\n\r\n')).toEqual([[{ tag: 'ID', value: '1' }]]);
  });

  it('reads an empty body as no record', () => {
    expect(decodeRecords('')).toEqual([]);
    expect(decodeRecords('\r\n')).toEqual([]);
    expect(encodeRecords([])).toBe('');
  });

  it('round-trips delete fields and group deletes', () => {
    const record: CatpRecord = [{ tag: 'ID', value: '250512000101' }, { tag: 'OLDF', value: '' }, { group: 'CHG', fields: [] }];
    const body = encodeFields(record);
    expect(body).toBe('ID=250512000101\r\nOLDF=\r\n<CHG>\r\n</CHG>');
    expect(decodeRecords(body)).toEqual([record]);
  });

  it('collects repeated fields', () => {
    expect(fieldValues(decodeRecords('MESSAGE=a\nERROR=422\nMESSAGE=b')[0], 'MESSAGE')).toEqual(['a', 'b']);
  });

  /** What each decoder refuses: the test's title, the decoder, and the cases as [what the text has, the text]. */
  const refusals: [string, (text: string) => unknown, [string, string][]][] = [
    [
      'refuses %s',
      decodeRequest,
      [
        ['an empty message', ''],
        ['a message starting with an empty line', '\r\nGETHANDLE 0123456789 000 CATP/1.1 000 REQUEST\r\n\r\n'],
        ['a short request line', 'GETHANDLE 0123456789 000 CATP/1.1\r\n\r\n'],
        ['a request code other than 000', 'GETHANDLE 0123456789 000 CATP/1.1 200 REQUEST\r\n\r\n'],
        ['a handle that is not 10 characters', 'RELEASEHANDLE ABC 000 CATP/1.1 000 REQUEST\r\n\r\n'],
        ['a frame that is not 3 digits', 'RELEASEHANDLE A7K2M9Q4X1 00 CATP/1.1 000 REQUEST\r\n\r\n'],
        ['an unknown protocol', 'RELEASEHANDLE A7K2M9Q4X1 000 HTTP/1.1 000 REQUEST\r\n\r\n'],
        ['a lower-case method', 'search A7K2M9Q4X1 000 CATP/1.1 000 REQUEST\r\n\r\n'],
        ['a header line without a colon', 'RELEASEHANDLE A7K2M9Q4X1 000 CATP/1.1 000 REQUEST\r\nContent-Length 0\r\n\r\n'],
        ['a Content-Length that is not a number', 'RELEASEHANDLE A7K2M9Q4X1 000 CATP/1.1 000 REQUEST\r\nContent-Length: zero\r\n\r\n'],
      ],
    ],
    [
      'refuses a response with %s',
      decodeResponse,
      [
        ['a status code that is not 3 digits', 'GETHANDLE A7K2M9Q4X1 001 CATP/1.1 20 OK\r\n\r\n'],
        ['a request line', 'GETHANDLE A7K2M9Q4X1 001 CATP/1.1\r\n\r\n'],
        ['HTML', '<html><body>Bad Gateway</body></html>'],
      ],
    ],
    [
      'refuses records with %s',
      decodeRecords,
      [
        ['a line without "="', 'ID=1\nSTAT'],
        ['an empty tag', '=value'],
        ['an unclosed group', '<BIBG>\nBIBID=1'],
        ['a nested group', '<BIBG>\n<HMLG>\n</HMLG>\n</BIBG>'],
        ['a close without its open', 'ID=1\n</BIBG>'],
        ['a mismatched close', '<BIBG>\nBIBID=1\n</HMLG>'],
        ['data before the first delimiter', 'ID=0\n--NACSIS-CATP\nID=1\n--NACSIS-CATP--'],
      ],
    ],
  ];
  for (const [title, decode, cases] of refusals) {
    it.each(cases)(title, (_case, text) => {
      expect(() => decode(text)).toThrow(CatpSyntaxError);
    });
  }

  it('refuses to write a line break into a value, a tag or a header', () => {
    expect(() => encodeFields([{ tag: 'CMMNT', value: 'a\r\nSTAT=確認' }])).toThrow(CatpSyntaxError);
    expect(() => encodeRecords([[{ tag: 'BAD TAG', value: '1' }]])).toThrow(CatpSyntaxError);
    expect(() => encodeRecords([[{ group: 'BAD>', fields: [] }]])).toThrow(CatpSyntaxError);
    const request = decodeRequest(examples.RELEASEHANDLE_REQUEST);
    expect(() => encodeRequest({ ...request, headers: [{ name: 'Authenticate', value: 'u,p\r\nX: y' }] })).toThrow(CatpSyntaxError);
    expect(() => encodeRequest({ ...request, headers: [{ name: 'Bad Name', value: 'x' }] })).toThrow(CatpSyntaxError);
    expect(() => encodeRequest({ ...request, frame: '1' })).toThrow(CatpSyntaxError);
    const response = decodeResponse(examples.RELEASEHANDLE_RESPONSE);
    expect(() => encodeResponse({ ...response, reasonPhrase: 'OK\r\n' })).toThrow(CatpSyntaxError);
    expect(() => encodeResponse({ ...response, status: 2000 })).toThrow(CatpSyntaxError);
  });

  it('finds no error messages in a body that is not in ERROR/MESSAGE form', () => {
    expect(errorMessages('')).toEqual([]);
    expect(errorMessages('<p>Server Error</p>')).toEqual([]);
  });
});

describe('CATP status classes (nacsis-catp.md §5)', () => {
  it.each([
    [200, 'OK'],
    [201, 'OK'],
    [300, 'OK'],
    [401, 'AUTHENTICATION'],
    [420, 'HANDLE_EXPIRED'],
    [409, 'STATE_CONFLICT'],
    [400, 'PERMANENT'],
    [403, 'PERMANENT'],
    [404, 'PERMANENT'],
    [405, 'PERMANENT'],
    [422, 'PERMANENT'],
    [500, 'TRANSIENT'],
    [503, 'TRANSIENT'],
    [100, 'PERMANENT'],
    [600, 'PERMANENT'],
  ] as const)('%i is %s', (status, expected) => {
    expect(classifyStatus(status)).toBe(expected);
  });

  it('has the reason phrases of the status table', () => {
    expect(CATP_REASON_PHRASES).toEqual({
      200: 'OK',
      300: 'Warning',
      400: 'Bad Request',
      401: 'Authentication Failed',
      403: 'Forbidden',
      404: 'Not Found',
      405: 'Method Not Allowed',
      409: 'Invalid ILL-command for current state',
      420: 'Invalid Handle',
      422: 'Validation Error',
      500: 'Server Error',
      503: 'Service Unavailable',
    });
  });
});

describe('searchTerm', () => {
  it('quotes the value', () => {
    expect(searchTerm('ID', '250512000102')).toBe('ID="250512000102"');
    expect(searchTerm('RNWDT', '20250512')).toBe('RNWDT="20250512"');
    expect(searchTerm('RNWDT', '202505', { prefix: true })).toBe('RNWDT="202505*"');
    expect(searchTerm('ONO', 'a*', { prefix: true })).toBe('ONO="a\\**"');
    expect(searchTerm('STAT', '未処理')).toBe('STAT="未処理"');
  });

  it('escapes quotes, asterisks and backslashes', () => {
    expect(searchTerm('ONO', 'a"b*c\\d')).toBe('ONO="a\\"b\\*c\\\\d"');
  });

  it('refuses a key that is not a tag and a value with a line break', () => {
    expect(() => searchTerm('ID OR 1', 'x')).toThrow(CatpSyntaxError);
    expect(() => searchTerm('ID', 'x\ny')).toThrow(CatpSyntaxError);
  });
});
