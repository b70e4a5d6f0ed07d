import { createServer } from 'http';
import type { IncomingMessage, Server, ServerResponse } from 'http';
import type { AddressInfo } from 'net';
import { ExternalSystemError } from '../types';
import { CatpClient } from './catp-client';
import type { CatpHandle, CatpResultSet } from './catp-client';
import { decodeRequest, encodeErrorBody, encodeRecords, fieldValue } from './catp-codec';
import * as examples from './fixtures/catp-examples';

/** What the test server answers to one request: a CATP response (HTTP 200), or a raw HTTP answer. */
type Answer = string | { httpStatus: number; body?: string; headers?: Record<string, string>; delayMs?: number };

let server: Server;
let baseUrl: string;
let answers: Answer[];
let received: string[];

function catp(method: string, handle: string, frame: string, status: number, phrase: string, options: { headers?: string[]; body?: string } = {}): string {
  const body = options.body ?? '';
  const head = [`${method} ${handle} ${frame} CATP/1.1 ${status} ${phrase}`, ...(options.headers ?? []), `Content-Length:${Buffer.byteLength(body)}`];
  if (body) head.push('Encoding:UTF8');
  return head.map((line) => `${line}\r\n`).join('') + '\r\n' + body;
}

function refusal(method: string, status: number, phrase: string, message: string): string {
  return catp(method, 'A7K2M9Q4X1', '000', status, phrase, { body: encodeErrorBody(status, [message]) });
}

const SEARCH_ONE_HIT = catp('SEARCH', 'A7K2M9Q4X1', '001', 200, 'OK', {
  headers: ['Database-names:COPYO', 'Result-count:1', 'Number-of-records-returned:1', 'Next-result-set-position:0'],
  body: encodeRecords([[{ tag: 'ID', value: '250512000101' }]]),
});

function reply(response: ServerResponse, answer: Answer | undefined): void {
  if (answer === undefined) {
    response.writeHead(500).end('no scripted answer');
  } else if (typeof answer === 'string') {
    response.writeHead(200, { 'Content-Type': 'text/plain' }).end(Buffer.from(answer, 'utf8'));
  } else {
    const send = () => response.writeHead(answer.httpStatus, answer.headers).end(answer.body ?? '');
    if (answer.delayMs) setTimeout(send, answer.delayMs).unref();
    else send();
  }
}

beforeAll(async () => {
  server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push(Buffer.concat(chunks).toString('utf8'));
      reply(response, answers.shift());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  answers = [];
  received = [];
});

const client = () => new CatpClient({ baseUrl, timeoutMs: 2000 });

async function connected(): Promise<{ catpClient: CatpClient; handle: CatpHandle }> {
  answers.push(examples.GETHANDLE_RESPONSE);
  const catpClient = client();
  const handle = await catpClient.getHandle('USER0001', 'secret');
  received = [];
  return { catpClient, handle };
}

async function failure(promise: Promise<unknown>): Promise<ExternalSystemError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ExternalSystemError);
  return error as ExternalSystemError;
}

describe('CatpClient: the exchanges of nacsis-catp.md §7', () => {
  it('GETHANDLE sends the §7.1 request and keeps the password out of the handle', async () => {
    answers.push(examples.GETHANDLE_RESPONSE);
    const handle = await client().getHandle('USER0001', 'secret');
    expect(received).toEqual([examples.GETHANDLE_REQUEST]);
    expect(handle).toEqual({ id: 'A7K2M9Q4X1', frame: '001' });
    expect(JSON.stringify(handle)).not.toContain('secret');
  });

  it('SEARCH sends the §7.2 request and returns the records that came with the answer', async () => {
    const { catpClient, handle } = await connected();
    answers.push(examples.SEARCH_STAT_RESPONSE);
    const result = await catpClient.search(handle, 'COPYA', 'STAT="未処理"', { mediumSetElementSet: '1' });
    expect(received).toEqual([examples.SEARCH_STAT_REQUEST]);
    expect(result).toMatchObject({ frame: '001', query: 'STAT="未処理"', editType: '2', resultCount: 2, nextPosition: 0 });
    expect(result.records.map((record) => fieldValue(record, 'ID'))).toEqual(['250512000101', '250512000102']);
  });

  it('SEARCH asks for detailed records by default', async () => {
    const { catpClient, handle } = await connected();
    answers.push(catp('SEARCH', 'A7K2M9Q4X1', '001', 200, 'OK', { headers: ['Result-count:0', 'Number-of-records-returned:0', 'Next-result-set-position:0'] }));
    const result = await catpClient.search(handle, 'LOANO', 'RNWDT="20250512"');
    expect(decodeRequest(received[0]).headers).toEqual([
      { name: 'Database-names', value: 'LOANO' },
      { name: 'Small-set-element-set-names', value: '2' },
      { name: 'Medium-set-element-set-names', value: '2' },
      { name: 'Small-set-upper-bound', value: '50' },
      { name: 'Large-set-lower-bound', value: '200' },
      { name: 'Medium-set-present-number', value: '50' },
    ]);
    expect(result).toMatchObject({ resultCount: 0, records: [], nextPosition: 0 });
  });

  it('RETRIEVE by id sends the §7.3 SEARCH into the frame, then the §7.3 RETRIEVE', async () => {
    answers.push(examples.SEARCH_ID_RESPONSE, examples.RETRIEVE_RESPONSE);
    const page = await client().retrieve({ id: 'A7K2M9Q4X1', frame: '002' }, 'COPYA', ['250512000102'], 1, 1);
    expect(received).toEqual([examples.SEARCH_ID_REQUEST, examples.RETRIEVE_REQUEST]);
    expect(page.nextPosition).toBe(0);
    expect(page.records.map((record) => fieldValue(record, 'STAT'))).toEqual(['未処理']);
  });

  it('RETRIEVE of no ids asks nothing', async () => {
    await expect(client().retrieve({ id: 'A7K2M9Q4X1', frame: '001' }, 'COPYA', [], 1, 50)).resolves.toEqual({ records: [], nextPosition: 0 });
    expect(received).toEqual([]);
  });

  it('RETRIEVE pages through a result set', async () => {
    const { catpClient, handle } = await connected();
    answers.push(catp('SEARCH', 'A7K2M9Q4X1', '001', 200, 'OK', { headers: ['Result-count:300', 'Number-of-records-returned:0', 'Next-result-set-position:1'] }));
    const resultSet = await catpClient.search(handle, 'COPYO', 'RNWDT="20250512"');
    expect(resultSet).toMatchObject({ resultCount: 300, records: [], nextPosition: 1 });
    answers.push(catp('RETRIEVE', 'A7K2M9Q4X1', '001', 200, 'OK', { headers: ['Number-of-records-returned:1', 'Next-result-set-position:2'], body: 'ID=1\r\n' }));
    const page = await catpClient.retrieve(handle, 'COPYO', resultSet, 1, 1);
    expect(page).toEqual({ records: [[{ tag: 'ID', value: '1' }]], nextPosition: 2 });
    expect(received[1]).toBe('RETRIEVE A7K2M9Q4X1 001 CATP/1.1 000 REQUEST\r\nResult-set-start-position: 1\r\nNumber-of-records-requested: 1\r\nContent-Length: 0\r\n\r\n');
  });

  it('SPC RECEIVE sends the §7.4 request and returns the updated record', async () => {
    const { catpClient, handle } = await connected();
    answers.push(examples.SPC_RECEIVE_RESPONSE);
    const fields = [
      { tag: 'ADATE', value: '20250513' },
      { tag: 'ANO', value: 'A25-0042' },
      { tag: 'ASTAF', value: '複写担当' },
    ];
    const record = await catpClient.procedureCall(handle, 'COPYA', 'RECEIVE', '250512000101', fields, { returnedEditType: '2' });
    expect(received).toEqual([examples.SPC_RECEIVE_REQUEST]);
    expect(fieldValue(record!, 'STAT')).toBe('処理中');
  });

  it('SPC SEND sends the §7.5 request; no record comes back without a Returned-edit-type', async () => {
    const { catpClient, handle } = await connected();
    answers.push(examples.SPC_SEND_RESPONSE);
    const fields = [
      { tag: 'SDATE', value: '20250514' },
      { group: 'CHG', fields: [{ tag: 'ITEM', value: 'A4' }, { tag: 'QNT', value: '8' }, { tag: 'UPRCE', value: '35' }, { tag: 'CHRGE', value: '280' }] },
      { tag: 'FEE', value: '0' },
      { tag: 'POSTG', value: '84' },
      { tag: 'SUM', value: '364' },
      { tag: 'CMMNT', value: '本日発送しました' },
    ];
    await expect(catpClient.procedureCall(handle, 'COPYA', 'SEND', '250512000101', fields)).resolves.toBeNull();
    expect(received).toEqual([examples.SPC_SEND_REQUEST]);
  });

  it('a state conflict (§7.6) is a permanent refusal carrying NACSIS’s message', async () => {
    const { catpClient, handle } = await connected();
    answers.push(examples.SPC_CONFLICT_RESPONSE);
    const error = await failure(catpClient.procedureCall(handle, 'COPYA', 'SEND', '250512000102', [{ tag: 'SDATE', value: '20250514' }, { tag: 'SUM', value: '500' }]));
    expect(received).toEqual([examples.SPC_CONFLICT_REQUEST]);
    expect(error).toMatchObject({
      kind: 'PERMANENT',
      status: 409,
      message: 'NACSIS SERVERPROCEDURECALL SEND answered 409 Invalid ILL-command for current state: ILL-command SEND is not valid for STAT=未処理 (RECEIVE first)',
    });
  });

  it('RELEASEHANDLE sends the §7.7 request', async () => {
    const { catpClient, handle } = await connected();
    answers.push(examples.RELEASEHANDLE_RESPONSE);
    await catpClient.releaseHandle(handle);
    expect(received).toEqual([examples.RELEASEHANDLE_REQUEST]);
  });

  it('takes a 300 warning as success', async () => {
    const { catpClient, handle } = await connected();
    answers.push(catp('SERVERPROCEDURECALL', 'A7K2M9Q4X1', '000', 300, 'Warning', { body: encodeErrorBody(300, ['ALDF ignored']) }));
    await expect(catpClient.procedureCall(handle, 'COPYA', 'RECEIVE', '250512000101', [])).resolves.toBeDefined();
  });
});

describe('CatpClient: GETHANDLE answers', () => {
  it('reads a GETHANDLE answer with a second line that is not "Name: value" (the ruby client\'s "supported methods")', async () => {
    answers.push('GETHANDLE A7K2M9Q4X1 001 CATP/1.1 200 OK\r\nGETHANDLE RELEASEHANDLE SEARCH RETRIEVE SERVERPROCEDURECALL\r\nContent-Length:0\r\n\r\n');
    await expect(client().getHandle('USER0001', 'secret')).resolves.toEqual({ id: 'A7K2M9Q4X1', frame: '001' });
  });
});

describe('CatpClient: refused handles, whatever the code', () => {
  it.each([
    [400, 'Bad Request', 'invalid handle'],
    [500, 'Server Error', 'ハンドルが無効です'],
    [404, 'Handle Not Found', 'no such session'],
  ])('takes a %i answer that speaks of the handle for an expired one: one new GETHANDLE, one retry', async (status, phrase, message) => {
    const { catpClient, handle } = await connected();
    answers.push(refusal('SEARCH', status, phrase, message), catp('GETHANDLE', 'B8L3N0R5Y2', '001', 200, 'OK'), SEARCH_ONE_HIT);
    await expect(catpClient.search(handle, 'COPYO', 'ID="250512000101"')).resolves.toMatchObject({ resultCount: 1 });
    expect(handle.id).toBe('B8L3N0R5Y2');
    expect(received.map((text) => decodeRequest(text).method)).toEqual(['SEARCH', 'GETHANDLE', 'SEARCH']);
  });

  it('renews once only: the same refusal again is thrown with its own code', async () => {
    const { catpClient, handle } = await connected();
    answers.push(refusal('SEARCH', 400, 'Bad Request', 'invalid handle'), catp('GETHANDLE', 'B8L3N0R5Y2', '001', 200, 'OK'), refusal('SEARCH', 400, 'Bad Request', 'invalid handle'));
    expect(await failure(catpClient.search(handle, 'COPYO', 'ID="1"'))).toMatchObject({ status: 400, message: 'NACSIS SEARCH answered 400 Bad Request: invalid handle' });
    expect(received).toHaveLength(3);
  });

  it('does not renew on a refusal that says nothing of the handle', async () => {
    const { catpClient, handle } = await connected();
    answers.push(refusal('SEARCH', 400, 'Bad Request', 'bad search expression'));
    expect(await failure(catpClient.search(handle, 'COPYO', 'ID="1"'))).toMatchObject({ kind: 'PERMANENT', status: 400 });
    expect(received).toHaveLength(1);
  });
});

describe('CatpClient: expired handles (420)', () => {
  it('gets a new handle with the same credentials and retries once, renewing the handle in place', async () => {
    const { catpClient, handle } = await connected();
    answers.push(
      refusal('SEARCH', 420, 'Invalid Handle', 'handle expired'),
      catp('GETHANDLE', 'B8L3N0R5Y2', '001', 200, 'OK'),
      SEARCH_ONE_HIT,
    );
    const result = await catpClient.search(handle, 'COPYO', 'ID="250512000101"');
    expect(result.resultCount).toBe(1);
    expect(handle).toEqual({ id: 'B8L3N0R5Y2', frame: '001' });
    expect(received.map((text) => decodeRequest(text).handle)).toEqual(['A7K2M9Q4X1', '0123456789', 'B8L3N0R5Y2']);
    expect(received[1]).toBe(examples.GETHANDLE_REQUEST);
  });

  it('gives up after one renewal: a second 420 is transient', async () => {
    const { catpClient, handle } = await connected();
    answers.push(
      refusal('SERVERPROCEDURECALL', 420, 'Invalid Handle', 'handle expired'),
      catp('GETHANDLE', 'B8L3N0R5Y2', '001', 200, 'OK'),
      refusal('SERVERPROCEDURECALL', 420, 'Invalid Handle', 'handle expired'),
    );
    const error = await failure(catpClient.procedureCall(handle, 'COPYO', 'RECEIVE', '250512000101', []));
    expect(error).toMatchObject({ kind: 'TRANSIENT', status: 420 });
    expect(received).toHaveLength(3);
  });

  it('searches again before retrieving from a result set the expired handle held', async () => {
    const { catpClient, handle } = await connected();
    const resultSet: CatpResultSet = { frame: '003', query: 'RNWDT="20250512"', editType: '9', resultCount: 300, records: [], nextPosition: 1 };
    answers.push(
      refusal('RETRIEVE', 420, 'Invalid Handle', 'handle expired'),
      catp('GETHANDLE', 'B8L3N0R5Y2', '001', 200, 'OK'),
      catp('SEARCH', 'B8L3N0R5Y2', '003', 200, 'OK', { headers: ['Result-count:300', 'Next-result-set-position:1'] }),
      catp('RETRIEVE', 'B8L3N0R5Y2', '003', 200, 'OK', { headers: ['Next-result-set-position:52'], body: 'ID=1\r\n' }),
    );
    const page = await catpClient.retrieve(handle, 'LOANA', resultSet, 51, 1);
    expect(page.nextPosition).toBe(52);
    const [, , search, retrieve] = received.map(decodeRequest);
    expect(search).toMatchObject({ method: 'SEARCH', handle: 'B8L3N0R5Y2', frame: '003', body: 'RNWDT="20250512"' });
    expect(search.headers).toEqual([
      { name: 'Database-names', value: 'LOANA' },
      { name: 'Small-set-element-set-names', value: '9' },
      { name: 'Small-set-upper-bound', value: '0' },
      { name: 'Large-set-lower-bound', value: '1' },
    ]);
    expect(retrieve).toMatchObject({ method: 'RETRIEVE', handle: 'B8L3N0R5Y2', frame: '003' });
  });

  it('cannot renew a handle it did not open', async () => {
    answers.push(refusal('SEARCH', 420, 'Invalid Handle', 'handle expired'));
    const error = await failure(client().search({ id: 'A7K2M9Q4X1', frame: '001' }, 'COPYO', 'ID="1"'));
    expect(error).toMatchObject({ kind: 'TRANSIENT', status: 420 });
    expect(received).toHaveLength(1);
  });

  it('takes releasing an expired handle as done', async () => {
    const { catpClient, handle } = await connected();
    answers.push(refusal('RELEASEHANDLE', 420, 'Invalid Handle', 'handle expired'));
    await expect(catpClient.releaseHandle(handle)).resolves.toBeUndefined();
  });
});

describe('CatpClient: failures', () => {
  it('a refused user id or password is an authentication failure', async () => {
    answers.push(catp('GETHANDLE', '0123456789', '000', 401, 'Authentication Failed'));
    const error = await failure(client().getHandle('USER0001', 'wrong'));
    expect(error).toMatchObject({ kind: 'AUTHENTICATION', status: 401, message: 'NACSIS GETHANDLE answered 401 Authentication Failed' });
  });

  it.each([
    [403, 'Forbidden'],
    [404, 'Not Found'],
    [422, 'Validation Error'],
    [400, 'Bad Request'],
  ])('CATP %i is permanent', async (status, phrase) => {
    const { catpClient, handle } = await connected();
    answers.push(refusal('SERVERPROCEDURECALL', status, phrase, 'explained'));
    const error = await failure(catpClient.procedureCall(handle, 'LOANO', 'RENEW', '250512000101', []));
    expect(error).toMatchObject({ kind: 'PERMANENT', status, message: `NACSIS SERVERPROCEDURECALL RENEW answered ${status} ${phrase}: explained` });
  });

  it.each([
    [500, 'Server Error'],
    [503, 'Service Unavailable'],
  ])('CATP %i is transient', async (status, phrase) => {
    const { catpClient, handle } = await connected();
    answers.push(catp('SEARCH', 'A7K2M9Q4X1', '001', status, phrase));
    const error = await failure(catpClient.search(handle, 'COPYO', 'ID="1"'));
    expect(error).toMatchObject({ kind: 'TRANSIENT', status, message: `NACSIS SEARCH answered ${status} ${phrase}` });
  });

  it('an HTTP error is transient, with the server’s Retry-After', async () => {
    answers.push({ httpStatus: 503, headers: { 'Retry-After': '7' } });
    const error = await failure(client().getHandle('USER0001', 'secret'));
    expect(error).toMatchObject({ kind: 'TRANSIENT', status: 503, retryAfterMs: 7000, message: 'NACSIS GETHANDLE failed: HTTP 503' });
  });

  it('an HTTP 400 is transient too: CATP reports its verdicts in the status line', async () => {
    answers.push({ httpStatus: 400, body: 'no request line' });
    expect(await failure(client().getHandle('USER0001', 'secret'))).toMatchObject({ kind: 'TRANSIENT', status: 400 });
  });

  it('a timeout is transient', async () => {
    answers.push({ httpStatus: 200, body: examples.GETHANDLE_RESPONSE, delayMs: 1000 });
    const error = await failure(new CatpClient({ baseUrl, timeoutMs: 100 }).getHandle('USER0001', 'secret'));
    expect(error.kind).toBe('TRANSIENT');
    expect(error.message).toMatch(/^NACSIS GETHANDLE failed: timeout of 100ms exceeded/);
  });

  it('a refused connection is transient', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const error = await failure(new CatpClient({ baseUrl: `http://127.0.0.1:${port}/` }).getHandle('USER0001', 'secret'));
    expect(error).toMatchObject({ kind: 'TRANSIENT' });
    expect(error.message).toContain('ECONNREFUSED');
  });

  it.each([
    ['a body that is not CATP', '<html><body>Bad Gateway</body></html>', 'not a status line'],
    ['records that do not parse', catp('SEARCH', 'A7K2M9Q4X1', '001', 200, 'OK', { headers: ['Result-count:1'], body: '<BIBG>\r\nBIBID=1\r\n' }), '<BIBG> is not closed'],
    ['no Result-count', catp('SEARCH', 'A7K2M9Q4X1', '001', 200, 'OK', { body: 'ID=1\r\n' }), 'Result-count is missing'],
    ['a Result-count that is not a number', catp('SEARCH', 'A7K2M9Q4X1', '001', 200, 'OK', { headers: ['Result-count:many'] }), 'Result-count is "many"'],
    ['an unsupported encoding', catp('SEARCH', 'A7K2M9Q4X1', '001', 200, 'OK', { headers: ['Result-count:1'], body: 'ID=1\r\n' }).replace('Encoding:UTF8', 'Encoding:SJIS'), 'unsupported Encoding SJIS'],
  ])('%s is a malformed response', async (_case, answer, detail) => {
    const { catpClient, handle } = await connected();
    answers.push(answer);
    const error = await failure(catpClient.search(handle, 'COPYO', 'ID="1"'));
    expect(error.kind).toBe('MALFORMED_RESPONSE');
    expect(error.message).toContain(detail);
  });

  it('a value that cannot be written is refused before anything is sent', async () => {
    const { catpClient, handle } = await connected();
    const error = await failure(catpClient.procedureCall(handle, 'COPYO', 'CLAIM', '250512000101', [{ tag: 'CMMNT', value: '一行目\n二行目' }]));
    expect(error.kind).toBe('PERMANENT');
    const byId = await failure(catpClient.retrieve(handle, 'COPYO', ['1\n2'], 1, 1));
    expect(byId.kind).toBe('PERMANENT');
    expect(received).toEqual([]);
  });
});
