import axios, { AxiosInstance } from 'axios';
import { CatpClient } from '@illbridge/connectors/nacsis/catp-client';
import type { CatpHandle } from '@illbridge/connectors/nacsis/catp-client';
import { fieldValue, groupsOf } from '@illbridge/connectors/nacsis/catp-codec';
import type { CatpRecord } from '@illbridge/connectors/nacsis/catp-codec';
import { mapNacsisRecord, nacsisRecordState } from '@illbridge/connectors/nacsis/nacsis-mapper';
import type { NacsisDatabase } from '@illbridge/connectors/nacsis/nacsis-mapper';
import { ExternalSystemError } from '@illbridge/connectors/types';
import { RunningSimulator, startSimulator } from '../simulator';

/** Us (the library using ILL Bridge) and two partner libraries. */
const US = { participantId: 'FA012345', userId: 'USER0001', password: 'secret', name: '架空大図' };
const PARTNER = { participantId: 'FA054321', userId: 'USER0002', password: 'himitsu', name: '見本大図' };
const OTHER = { participantId: 'FA067890', userId: 'USER0003', password: 'other', name: '例示大附図' };

type Row = Record<string, any>;

let simulator: RunningSimulator;
let http: AxiosInstance;
let client: CatpClient;
const handles: CatpHandle[] = [];

const field = (tag: string, value: string) => ({ tag, value });
const stat = (record: CatpRecord | null) => (record ? fieldValue(record, 'STAT') : undefined);

async function login(participant = US): Promise<CatpHandle> {
  const handle = await client.getHandle(participant.userId, participant.password);
  handles.push(handle);
  return handle;
}

async function createRecord(body: Row): Promise<Row> {
  const response = await http.post('/_sim/nacsis/records', body);
  expect(response.status).toBe(201);
  return response.data;
}

async function act(id: string, body: Row): Promise<Row> {
  const response = await http.post(`/_sim/nacsis/records/${id}/act`, body);
  expect(response.status).toBe(200);
  return response.data;
}

async function simRecord(id: string): Promise<Row> {
  const response = await http.get(`/_sim/nacsis/records/${id}`);
  expect(response.status).toBe(200);
  return response.data;
}

async function calls(): Promise<Row[]> {
  return (await http.get('/_sim/nacsis/calls')).data.calls;
}

/** The IDs a participant sees in a database (one SEARCH, records returned inline). */
/** The records renewed on 12–14 May 2025, with equality only (the simulator refuses range operators). */
const TWELFTH_ON = 'RNWDT="20250512" OR RNWDT="20250513" OR RNWDT="20250514"';

async function idsIn(handle: CatpHandle, db: NacsisDatabase, query = 'RNWDT="2*"'): Promise<string[]> {
  const result = await client.search(handle, db, query);
  expect(result.records).toHaveLength(result.resultCount);
  return result.records.map((record) => fieldValue(record, 'ID')!);
}

async function rejection(promise: Promise<unknown>): Promise<ExternalSystemError> {
  const error = await promise.then(
    () => null,
    (caught) => caught,
  );
  expect(error).toBeInstanceOf(ExternalSystemError);
  return error as ExternalSystemError;
}

/** The ORDER fields of nacsis-catp.md §8 for a copy request. */
const ORDER_FIELDS = [
  field('ACCT', 'pb'),
  field('TYPE', '電子複写'),
  { group: 'BIBG', fields: [field('BIBNT', '史学雑誌. -- 1889-'), field('STDNO', 'ISSN=0018-2478')] },
  field('VLNO', '131(4)'),
  field('PAGE', '1-20'),
  field('YEAR', '2022'),
  field('ODATE', '20250512'),
  field('OSTAF', 'ILL担当'),
  field('OADRS', '〒000-0001 見本市2-2 見本大学図書館'),
];

beforeAll(async () => {
  simulator = await startSimulator({ logLevels: false });
  http = axios.create({ baseURL: simulator.url, validateStatus: () => true, timeout: 5000 });
  client = new CatpClient({ baseUrl: `${simulator.url}/nacsis/catp`, timeoutMs: 5000 });
});

afterAll(async () => {
  await simulator.close();
});

beforeEach(async () => {
  handles.length = 0;
  expect((await http.delete('/_sim/nacsis')).status).toBe(204);
  expect((await http.delete('/_sim/faults/nacsis')).status).toBe(200);
  for (const participant of [US, PARTNER, OTHER]) expect((await http.post('/_sim/nacsis/participants', participant)).status).toBe(201);
});

describe('GETHANDLE', () => {
  it('hands out a 10-character handle and frame 001 for good credentials', async () => {
    const handle = await login();
    expect(handle.id).toMatch(/^[A-Z0-9]{10}$/);
    expect(handle.frame).toBe('001');
    expect((await calls()).at(-1)).toMatchObject({ method: 'GETHANDLE', participantId: US.participantId, catpStatus: 200, httpStatus: 200 });
  });

  it.each([
    ['a wrong password', US.userId, 'wrong'],
    ['an unknown user', 'NOBODY', US.password],
  ])('refuses %s with 401, classified AUTHENTICATION', async (_case, userId, password) => {
    const error = await rejection(client.getHandle(userId, password));
    expect(error.kind).toBe('AUTHENTICATION');
    expect(error.status).toBe(401);
  });

  it('answers a released handle with 420', async () => {
    const handle = await login();
    await client.releaseHandle(handle);
    const raw = await http.post('/nacsis/catp', `SEARCH ${handle.id} 001 CATP/1.1 000 REQUEST\r\nDatabase-names: COPYA\r\nContent-Length: 10\r\n\r\nID="1"`, {
      headers: { 'content-type': 'text/plain' },
      responseType: 'text',
    });
    expect(raw.status).toBe(200);
    expect(raw.headers['content-type']).toBe('text/plain');
    expect(raw.data).toMatch(new RegExp(`^SEARCH ${handle.id} 001 CATP/1.1 420 Invalid Handle\r\n`));
  });
});

describe('SEARCH and RETRIEVE', () => {
  it('finds by RNWDT in the caller\'s own view of a database and pages through the result set', async () => {
    const created: string[] = [];
    for (const day of ['20250510', '20250511', '20250512', '20250513', '20250514']) {
      created.push((await createRecord({ as: PARTNER.participantId, candidates: [US.participantId], created: day })).id);
    }
    // Our own borrowing and another library's lending do not show in our COPYA.
    await createRecord({ as: US.participantId, candidates: [PARTNER.participantId], created: '20250513' });
    await createRecord({ as: PARTNER.participantId, candidates: [OTHER.participantId], created: '20250513' });
    const handle = await login();

    const result = await client.search(handle, 'COPYA', TWELFTH_ON, { smallSetUpperBound: 0, largeSetLowerBound: 1 });
    expect(result).toMatchObject({ resultCount: 3, records: [], nextPosition: 1 });

    const first = await client.retrieve(handle, 'COPYA', result, 1, 2);
    expect(first.nextPosition).toBe(3);
    const second = await client.retrieve(handle, 'COPYA', result, 3, 2);
    expect(second.nextPosition).toBe(0);
    const records = [...first.records, ...second.records];
    expect(records.map((record) => fieldValue(record, 'ID'))).toEqual(created.slice(2));
    for (const record of records) {
      expect(fieldValue(record, '_DBNAME_')).toBe('COPYA');
      expect(fieldValue(record, 'RNWDT')! >= '20250512').toBe(true);
      expect(fieldValue(record, 'AMLID')).toBe(US.participantId);
      expect(nacsisRecordState(record, 'COPYA')).toMatchObject({ stat: '未処理', borrowerId: PARTNER.participantId, currentLenderIndex: 0 });
      expect(mapNacsisRecord(record, 'COPYA')).toMatchObject({ ok: true, request: { direction: 'LENDING', activePartnerCode: PARTNER.participantId } });
    }

    // Inline delivery within the small-set bound, and the medium set in between.
    expect((await client.search(handle, 'COPYA', TWELFTH_ON)).records).toHaveLength(3);
    expect((await client.search(handle, 'COPYA', TWELFTH_ON, { smallSetUpperBound: 3, largeSetLowerBound: 4 })).records).toHaveLength(3);
    expect((await client.search(handle, 'COPYA', TWELFTH_ON, { smallSetUpperBound: 2, largeSetLowerBound: 3 })).records).toHaveLength(0);
    const medium = await client.search(handle, 'COPYA', 'RNWDT="2025051*"', { smallSetUpperBound: 2, largeSetLowerBound: 10, mediumSetPresentNumber: 4 });
    expect(medium).toMatchObject({ resultCount: 5, nextPosition: 5 });
    expect(medium.records).toHaveLength(4);

    // Prefix match, boolean expressions, and our borrowing in COPYO.
    expect(await idsIn(handle, 'COPYA', 'RNWDT="2025051*" AND NOT (RNWDT="20250510" OR RNWDT="20250511")')).toEqual(created.slice(2));
    expect(await idsIn(handle, 'COPYO')).toHaveLength(1);
    expect(await idsIn(handle, 'LOANA')).toEqual([]);
  });

  it('retrieves records by id and answers zero hits with success', async () => {
    const a = await createRecord({ as: PARTNER.participantId, candidates: [US.participantId] });
    const b = await createRecord({ as: OTHER.participantId, candidates: [US.participantId] });
    const handle = await login();
    const page = await client.retrieve(handle, 'COPYA', [b.id, a.id], 1, 10);
    expect(page.records.map((record) => fieldValue(record, 'ID')).sort()).toEqual([a.id, b.id].sort());
    expect((await client.search(handle, 'COPYA', 'ID="999999999999"')).resultCount).toBe(0);
  });

  it('skips at RETRIEVE a record that left the caller\'s view after the SEARCH, and keeps the others in order', async () => {
    const a = await createRecord({ as: PARTNER.participantId, candidates: [US.participantId, OTHER.participantId], created: '20250510' });
    const b = await createRecord({ as: OTHER.participantId, candidates: [US.participantId], created: '20250511' });
    const c = await createRecord({ as: PARTNER.participantId, candidates: [US.participantId], created: '20250512' });
    const handle = await login();
    const result = await client.search(handle, 'COPYA', 'RNWDT="2025051*"', { smallSetUpperBound: 0, largeSetLowerBound: 1 });
    expect(result.resultCount).toBe(3);
    // We refuse a: it moves on to OTHER, out of our COPYA (and it never was in our COPYO).
    await act(a.id, { as: US.participantId, command: 'RECEIVE' });
    await act(a.id, { as: US.participantId, command: 'PARDON', comment: '所蔵なし' });
    const page = await client.retrieve(handle, 'COPYA', result, 1, 10);
    expect(page.records.map((record) => fieldValue(record, 'ID'))).toEqual([b.id, c.id]);
    expect(page.nextPosition).toBe(0);
    // By id (a SEARCH by ID, then a RETRIEVE): only the ones in view, in the database asked for.
    expect((await client.retrieve(handle, 'COPYA', [c.id, a.id, b.id], 1, 10)).records.map((record) => fieldValue(record, 'ID'))).toEqual([b.id, c.id]);
    expect((await client.retrieve(handle, 'LOANA', [c.id, b.id], 1, 10)).records).toEqual([]);
    const other = await login(OTHER);
    expect((await client.retrieve(other, 'COPYA', [c.id, a.id, b.id], 1, 10)).records.map((record) => fieldValue(record, 'ID'))).toEqual([a.id]);
  });

  it('answers a bad search expression with CATP 400 (PERMANENT)', async () => {
    const handle = await login();
    const error = await rejection(client.search(handle, 'COPYA', 'RNWDT=20250512'));
    expect(error).toMatchObject({ kind: 'PERMANENT', status: 400 });
  });
});

describe('SERVERPROCEDURECALL ILL', () => {
  it('makes a new lending request of an ORDER naming us as first candidate, visible in our COPYA only', async () => {
    const partner = await login(PARTNER);
    // No ID with a new ORDER (the client sends `ID=` empty): the server assigns it.
    const ordered = await client.procedureCall(
      partner,
      'COPYO',
      'ORDER',
      '',
      [...ORDER_FIELDS, { group: 'HMLG', fields: [field('HMLID', US.participantId), field('HMLNM', US.name)] }, { group: 'HMLG', fields: [field('HMLID', OTHER.participantId)] }],
      { returnedEditType: '2' },
    );
    if (!ordered) throw new Error('no record returned');
    const id = fieldValue(ordered, 'ID')!;
    expect(id).toMatch(/^\d{12}$/);
    expect(ordered).toEqual(expect.arrayContaining([field('STAT', '未処理'), field('OMLID', PARTNER.participantId), field('AMLID', US.participantId), field('_DBNAME_', 'COPYO')]));
    expect(groupsOf(ordered, 'SENDG').map((group) => group.fields)).toEqual([[field('SENDCMND', 'ORDER'), field('SENDMLID', PARTNER.participantId)]]);

    const us = await login();
    expect(await idsIn(us, 'COPYA')).toEqual([id]);
    expect(await idsIn(us, 'LOANA')).toEqual([]);
    expect(await idsIn(await login(OTHER), 'COPYA')).toEqual([]);

    // A loan made through the control route shows in LOANA, not COPYA.
    const loan = await createRecord({ as: OTHER.participantId, candidates: [US.participantId], service: 'LOAN' });
    expect(await idsIn(us, 'LOANA')).toEqual([loan.id]);
    expect(await idsIn(us, 'COPYA')).toEqual([id]);
  });

  it('refuses an ORDER without the required fields with 422', async () => {
    const handle = await login();
    const error = await rejection(client.procedureCall(handle, 'COPYO', 'ORDER', '', [{ group: 'HMLG', fields: [field('HMLID', PARTNER.participantId)] }]));
    expect(error).toMatchObject({ kind: 'PERMANENT', status: 422 });
    expect(error.message).toContain('ACCT');
    expect((await http.get('/_sim/nacsis/records')).data.count).toBe(0);
  });

  it('lets the lender RECEIVE then SEND, and the borrower sees 発送', async () => {
    const { id } = await createRecord({ as: PARTNER.participantId, candidates: [US.participantId] });
    const handle = await login();

    const received = await client.procedureCall(handle, 'COPYA', 'RECEIVE', id, [field('ADATE', '20250513'), field('ANO', 'A25-0042')], { returnedEditType: '2' });
    expect(stat(received)).toBe('処理中');
    expect(fieldValue(received!, 'ANO')).toBe('A25-0042');

    const sent = await client.procedureCall(handle, 'COPYA', 'SEND', id, [field('SDATE', '20250514'), field('POSTG', '84'), field('SUM', '364'), field('CMMNT', '本日発送しました')]);
    expect(sent).toBeNull();

    const borrowerView = (await client.search(await login(PARTNER), 'COPYO', `ID="${id}"`)).records[0];
    expect(stat(borrowerView)).toBe('発送');
    expect(fieldValue(borrowerView, 'SUM')).toBe('364');
    expect(groupsOf(borrowerView, 'SENDG').at(-1)!.fields).toEqual([field('SENDCMND', 'SEND'), field('SENDMLID', US.participantId), field('SENDCMNT', '本日発送しました')]);
    expect(await simRecord(id)).toMatchObject({ stat: '発送', lenderId: US.participantId });

    expect((await calls()).filter((call) => call.method === 'SERVERPROCEDURECALL')).toEqual([
      expect.objectContaining({ database: 'COPYA', illCommand: 'RECEIVE', id, participantId: US.participantId, catpStatus: 200 }),
      expect.objectContaining({ database: 'COPYA', illCommand: 'SEND', id, participantId: US.participantId, catpStatus: 200 }),
    ]);
  });

  it('refuses SEND before RECEIVE with 409 and changes nothing', async () => {
    const { id, rnwdt } = await createRecord({ as: PARTNER.participantId, candidates: [US.participantId], created: '20250512' });
    const handle = await login();
    const error = await rejection(client.procedureCall(handle, 'COPYA', 'SEND', id, [field('SDATE', '20250514'), field('SUM', '500')]));
    expect(error).toMatchObject({ kind: 'PERMANENT', status: 409 });
    expect(error.message).toContain('Invalid ILL-command for current state');
    expect(await simRecord(id)).toMatchObject({ stat: '未処理', rnwdt, history: [{ command: 'ORDER', participantId: PARTNER.participantId }] });
    expect((await calls()).at(-1)).toMatchObject({ illCommand: 'SEND', catpStatus: 409 });
  });

  it('refuses a command on a record of another library with 403 and an unknown ID with 404', async () => {
    const { id } = await createRecord({ as: PARTNER.participantId, candidates: [OTHER.participantId] });
    const handle = await login();
    expect(await rejection(client.procedureCall(handle, 'COPYA', 'RECEIVE', id, []))).toMatchObject({ status: 403 });
    expect(await rejection(client.procedureCall(handle, 'COPYA', 'RECEIVE', '999999999999', []))).toMatchObject({ status: 404 });
    expect(await rejection(client.procedureCall(handle, 'LOANA', 'RECEIVE', id, []))).toMatchObject({ status: 404 });
  });

  it('accepts a CALLBACK of our own last command and refuses one after the partner acted', async () => {
    // Lender side: our SEND called back.
    const shipped = await createRecord({ as: PARTNER.participantId, candidates: [US.participantId], stat: '発送' });
    expect(shipped.history.at(-1)).toMatchObject({ command: 'SEND', participantId: US.participantId });
    const handle = await login();
    expect(stat(await client.procedureCall(handle, 'COPYA', 'CALLBACK', shipped.id, [], { returnedEditType: '1' }))).toBe('処理中');

    // Borrower side: our ORDER, refused by the first candidate (PARDON moves it on): not ours to call back.
    const ordered = await createRecord({ as: US.participantId, candidates: [PARTNER.participantId, OTHER.participantId] });
    await act(ordered.id, { as: PARTNER.participantId, command: 'RECEIVE' });
    const pardoned = await act(ordered.id, { as: PARTNER.participantId, command: 'PARDON', comment: '所蔵なし' });
    expect(pardoned).toMatchObject({ stat: '未処理', lenderId: OTHER.participantId, currentLenderIndex: 1 });
    const error = await rejection(client.procedureCall(handle, 'COPYO', 'CALLBACK', ordered.id, []));
    expect(error).toMatchObject({ status: 409 });
    expect(error.message).toContain(`PARDON by ${PARTNER.participantId}`);

    // Our own fresh ORDER can be called back: a draft again, gone from the lender's view.
    const fresh = await createRecord({ as: US.participantId, candidates: [PARTNER.participantId] });
    expect(await idsIn(await login(PARTNER), 'COPYA')).toContain(fresh.id);
    expect(stat(await client.procedureCall(handle, 'COPYO', 'CALLBACK', fresh.id, [], { returnedEditType: '2' }))).toBe('準備中');
    expect(await simRecord(fresh.id)).toMatchObject({ stat: '準備中', lenderId: null });
    expect(await idsIn(await login(PARTNER), 'COPYA')).not.toContain(fresh.id);
  });

  it('refuses a command once the history holds 50 entries with 422', async () => {
    const { id } = await createRecord({ as: PARTNER.participantId, candidates: [US.participantId], stat: '処理中' });
    for (let cycle = 0; cycle < 12; cycle++) {
      await act(id, { as: US.participantId, command: 'INQUIRE', comment: `質問${cycle}` });
      await act(id, { as: PARTNER.participantId, command: 'RECEIVE' });
      await act(id, { as: PARTNER.participantId, command: 'ANSWER', comment: `回答${cycle}` });
      await act(id, { as: US.participantId, command: 'RECEIVE' });
    }
    expect((await simRecord(id)).history).toHaveLength(50);
    const error = await rejection(client.procedureCall(await login(), 'COPYA', 'SEND', id, [field('SDATE', '20250514'), field('SUM', '0')]));
    expect(error).toMatchObject({ status: 422 });
    expect(error.message).toContain('50');
  });
});

describe('handles', () => {
  it('expires every handle on request: the client gets a new one once and succeeds', async () => {
    const { id } = await createRecord({ as: PARTNER.participantId, candidates: [US.participantId] });
    const handle = await login();
    const before = handle.id;
    expect((await http.post('/_sim/nacsis/faults', { expireHandles: true })).data).toMatchObject({ expiredHandles: 1 });
    await http.delete('/_sim/nacsis/calls');

    expect(await idsIn(handle, 'COPYA')).toEqual([id]);
    expect(handle.id).not.toBe(before);
    expect((await calls()).map((call) => [call.method, call.catpStatus])).toEqual([
      ['SEARCH', 420],
      ['GETHANDLE', 200],
      ['SEARCH', 200],
    ]);
  });

  it('expires a handle after the configured idle time', async () => {
    const { id } = await createRecord({ as: PARTNER.participantId, candidates: [US.participantId] });
    const handle = await login();
    const result = await client.search(handle, 'COPYA', `ID="${id}"`, { smallSetUpperBound: 0, largeSetLowerBound: 1 });
    expect((await http.post('/_sim/nacsis/settings', { handleTtlMs: 300 })).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 400));
    // The renewed handle has no result sets: the client searches again and retrieves.
    const page = await client.retrieve(handle, 'COPYA', result, 1, 1);
    expect(page.records.map((record) => fieldValue(record, 'ID'))).toEqual([id]);
    expect((await calls()).map((call) => call.catpStatus)).toEqual([200, 200, 420, 200, 200, 200]);
  });
});

describe('faults', () => {
  it('answers CATP 503 for the next call, classified TRANSIENT, then serves again', async () => {
    const handle = await login();
    await http.post('/_sim/nacsis/faults', { catpFailNext: 1, catpStatus: 503 });
    const error = await rejection(client.search(handle, 'COPYA', 'RNWDT="20250101"'));
    expect(error).toMatchObject({ kind: 'TRANSIENT', status: 503 });
    expect((await client.search(handle, 'COPYA', 'RNWDT="20250101"')).resultCount).toBe(0);
  });

  it('answers CATP 500 as TRANSIENT too', async () => {
    await http.post('/_sim/nacsis/faults', { catpFailNext: 1, catpStatus: 500 });
    expect(await rejection(login())).toMatchObject({ kind: 'TRANSIENT', status: 500 });
  });

  it('applies the shared HTTP faults of system nacsis (HTTP 500, hangs past the timeout)', async () => {
    expect((await http.post('/_sim/faults/nacsis', { failNext: 1, failStatus: 500 })).status).toBe(200);
    expect(await rejection(login())).toMatchObject({ kind: 'TRANSIENT', status: 500 });
    await login();

    await http.post('/_sim/faults/nacsis', { hangNext: 1 });
    const impatient = new CatpClient({ baseUrl: `${simulator.url}/nacsis/catp`, timeoutMs: 200 });
    const error = await rejection(impatient.getHandle(US.userId, US.password));
    expect(error.kind).toBe('TRANSIENT');
    expect(error.message).toMatch(/timeout|ECONNABORTED/i);
    expect((await http.get('/_sim/faults/nacsis')).data.counts).toMatchObject({ failed: 1, hung: 1 });
  });

  it('answers a message it cannot read with HTTP 400', async () => {
    const response = await http.post('/nacsis/catp', 'this is not CATP', { headers: { 'content-type': 'text/plain' } });
    expect(response.status).toBe(400);
    expect((await calls()).at(-1)).toMatchObject({ method: null, catpStatus: null, httpStatus: 400 });
    expect((await http.post('/nacsis/catp', '', { headers: { 'content-type': 'text/plain' } })).status).toBe(400);
  });
});

describe('control routes', () => {
  it('acts as the partner through the state table, answering a refusal with its CATP status', async () => {
    const { id } = await createRecord({ as: US.participantId, candidates: [PARTNER.participantId] });
    const refused = await http.post(`/_sim/nacsis/records/${id}/act`, { as: PARTNER.participantId, command: 'SEND', fields: { SDATE: '20250514', SUM: '100' } });
    expect(refused.status).toBe(409);
    expect(refused.data).toMatchObject({ code: 'NACSIS_ACTION_NOT_ALLOWED', catpStatus: 409, stat: '未処理' });
    await act(id, { as: PARTNER.participantId, command: 'RECEIVE' });
    const missing = await http.post(`/_sim/nacsis/records/${id}/act`, { as: PARTNER.participantId, command: 'SEND' });
    expect(missing.status).toBe(422);
    const sent = await act(id, { as: PARTNER.participantId, command: 'SEND', fields: { SDATE: '20250514', SUM: '100' }, comment: '発送しました' });
    expect(sent).toMatchObject({ stat: '発送', fields: { SDATE: '20250514', SUM: '100' } });
    expect((await http.get('/_sim/nacsis/records', { params: { participant: PARTNER.participantId } })).data.records.map((r: Row) => r.id)).toEqual([id]);
    expect((await http.get('/_sim/nacsis/records/nope')).status).toBe(404);
  });

  it('refuses a record in a STAT the service does not have', async () => {
    const response = await http.post('/_sim/nacsis/records', { as: PARTNER.participantId, candidates: [US.participantId], service: 'COPY', stat: '借用中' });
    expect(response.status).toBe(400);
  });

  it('generates realistic Japanese records in a mix of states for both directions, the same for the same seed', async () => {
    const first = await http.post('/_sim/nacsis/generate', { ourParticipantId: US.participantId, count: 60, seed: 7 });
    expect(first.status).toBe(201);
    expect(first.data.count).toBe(60);
    expect(first.data.lending).toBeGreaterThan(10);
    expect(first.data.borrowing).toBeGreaterThan(10);
    const states = new Set(first.data.records.map((record: Row) => record.stat));
    expect(states.size).toBeGreaterThan(8);

    const handle = await login();
    let seen = 0;
    for (const db of ['COPYO', 'LOANO', 'COPYA', 'LOANA'] as const) {
      const result = await client.search(handle, db, 'RNWDT="2*"', { smallSetUpperBound: 100, largeSetLowerBound: 101 });
      seen += result.resultCount;
      for (const record of result.records) {
        expect(nacsisRecordState(record, db)).not.toBeNull();
        const mapped = mapNacsisRecord(record, db);
        expect(mapped).toMatchObject({ ok: true, warnings: [] });
        if (mapped.ok) expect(mapped.request.title).toMatch(/[\u3040-\u30ff\u4e00-\u9fff]/);
        expect(fieldValue(record, db.endsWith('A') ? 'OMLNM' : 'AMLNM') ?? '').toMatch(/図書館|メディアセンター|^$/);
      }
    }
    // Every record is ours to see, except drafts and records whose last lender passed them on.
    expect(seen).toBeGreaterThan(45);

    await http.delete('/_sim/nacsis');
    await http.post('/_sim/nacsis/participants', US);
    const again = await http.post('/_sim/nacsis/generate', { ourParticipantId: US.participantId, count: 60, seed: 7 });
    const strip = (records: Row[]) => records.map(({ crtdt: _c, rnwdt: _r, ...rest }) => rest);
    expect(strip(again.data.records)).toEqual(strip(first.data.records));
  });
});

describe('as strict as the real server is known to be', () => {
  const rawCatp = (text: string) => http.post('/nacsis/catp', text, { headers: { 'content-type': 'text/plain' }, responseType: 'text' });

  it('returns at most a page (retrievePageSize, default 100) whatever RETRIEVE asks, with the next position', async () => {
    await http.post('/_sim/nacsis/generate', { ourParticipantId: US.participantId, count: 400, seed: 5 });
    const handle = await login();
    const result = await client.search(handle, 'COPYA,LOANA,COPYO,LOANO', 'RNWDT="2*"', { smallSetUpperBound: 0, largeSetLowerBound: 1 });
    expect(result.resultCount).toBeGreaterThan(150);
    const page = await client.retrieve(handle, 'COPYA', result, 1, 500);
    expect(page.records).toHaveLength(100);
    expect(page.nextPosition).toBe(101);
    expect((await http.post('/_sim/nacsis/settings', { retrievePageSize: 30 })).data).toMatchObject({ retrievePageSize: 30 });
    const smaller = await client.retrieve(handle, 'COPYA', result, 101, 500);
    expect(smaller).toMatchObject({ nextPosition: 131 });
    expect(smaller.records).toHaveLength(30);
  });

  it('refuses a range operator with the bad-request error, and logs the refusal', async () => {
    const handle = await login();
    await http.delete('/_sim/nacsis/calls');
    for (const query of ['RNWDT>="20250512"', 'RNWDT="20250512" OR RNWDT<"20250101"']) {
      const error = await rejection(client.search(handle, 'COPYA', query));
      expect(error).toMatchObject({ kind: 'PERMANENT', status: 400 });
      expect(error.message).toMatch(/bad search expression: the range operator (>=|<) is not supported \(RNWDT\)/);
    }
    await expect(client.search(handle, 'COPYA', 'RNWDT="20250512" OR RNWDT="202505*"')).resolves.toMatchObject({ resultCount: 0 });
    const logged = await calls();
    expect(logged.map((call) => [call.method, call.catpStatus, call.query])).toEqual([
      ['SEARCH', 400, 'RNWDT>="20250512"'],
      ['SEARCH', 400, 'RNWDT="20250512" OR RNWDT<"20250101"'],
      ['SEARCH', 200, 'RNWDT="20250512" OR RNWDT="202505*"'],
    ]);
    expect(logged[0].refusal).toMatch(/^bad search expression: the range operator >= is not supported/);
    expect(logged[2].refusal).toBeNull();
    // A test may switch them on, to see what a client would do with a server that takes them.
    expect((await http.post('/_sim/nacsis/settings', { rangeOperators: true })).data).toMatchObject({ rangeOperators: true });
    await expect(client.search(handle, 'COPYA', 'RNWDT>="20250512"')).resolves.toMatchObject({ resultCount: 0 });
  });

  it('logs every refusal with its reason: an unreadable message, a refused handle, a refused login', async () => {
    await rawCatp('not CATP at all');
    await rawCatp('SEARCH ZZZZZZZZZZ 001 CATP/1.1 000 REQUEST\r\nDatabase-names: COPYA\r\n\r\nID="1"');
    await rejection(client.getHandle(US.userId, 'wrong'));
    expect((await calls()).map((call) => [call.httpStatus, call.catpStatus, call.refusal])).toEqual([
      [400, null, 'not a request line: "not CATP at all"'],
      [200, 420, 'handle is unknown, released or expired (ZZZZZZZZZZ)'],
      [200, 401, 'user id or password refused'],
    ]);
  });

  it('sends a GETHANDLE line that is not "Name: value" when asked, which the client reads', async () => {
    await http.post('/_sim/nacsis/settings', { getHandleExtraLine: 'GETHANDLE RELEASEHANDLE SEARCH RETRIEVE SERVERPROCEDURECALL' });
    const raw = await rawCatp(`GETHANDLE 0123456789 000 CATP/1.1 000 REQUEST\r\nAuthenticate: ${US.userId},${US.password}\r\n\r\n`);
    expect(raw.data).toMatch(/^GETHANDLE [A-Z0-9]{10} 001 CATP\/1\.1 200 OK\r\nGETHANDLE RELEASEHANDLE SEARCH RETRIEVE SERVERPROCEDURECALL\r\nContent-Length:0\r\n\r\n$/);
    const handle = await login();
    expect(handle.id).toMatch(/^[A-Z0-9]{10}$/);
  });

  it('answers a refused handle with the configured code; the client renews it once all the same', async () => {
    await http.post('/_sim/nacsis/settings', { invalidHandle: { status: 400, reasonPhrase: 'Bad Request', message: 'invalid handle' } });
    const { id } = await createRecord({ as: PARTNER.participantId, candidates: [US.participantId] });
    const handle = await login();
    await http.post('/_sim/nacsis/faults', { expireHandles: true });
    await http.delete('/_sim/nacsis/calls');
    expect(await idsIn(handle, 'COPYA', `ID="${id}"`)).toEqual([id]);
    expect((await calls()).map((call) => [call.method, call.catpStatus])).toEqual([
      ['SEARCH', 400],
      ['GETHANDLE', 200],
      ['SEARCH', 200],
    ]);
  });

  it('expires every handle before the Nth call from now, and empties the next N RETRIEVE pages', async () => {
    await http.post('/_sim/nacsis/generate', { ourParticipantId: US.participantId, count: 40, seed: 2 });
    const handle = await login();
    const result = await client.search(handle, 'COPYA,LOANA,COPYO,LOANO', 'RNWDT="2*"', { smallSetUpperBound: 0, largeSetLowerBound: 1 });
    expect((await http.post('/_sim/nacsis/faults', { emptyRetrieveNext: 1 })).data).toMatchObject({ emptyRetrieveNext: 1 });
    expect(await client.retrieve(handle, 'COPYA', result, 1, 10)).toEqual({ records: [], nextPosition: 11 });
    expect((await client.retrieve(handle, 'COPYA', result, 11, 10)).records.length).toBeGreaterThan(0);

    await http.post('/_sim/nacsis/faults', { expireHandlesAfter: 2 });
    await http.delete('/_sim/nacsis/calls');
    await client.retrieve(handle, 'COPYA', result, 1, 1); // call 1: served
    await client.retrieve(handle, 'COPYA', result, 1, 1); // call 2: the handle expired just before it
    expect((await calls()).map((call) => [call.method, call.catpStatus])).toEqual([
      ['RETRIEVE', 200],
      ['RETRIEVE', 420],
      ['GETHANDLE', 200],
      ['SEARCH', 200],
      ['RETRIEVE', 200],
    ]);
  });

  it('refuses bad settings, listing every problem', async () => {
    const response = await http.post('/_sim/nacsis/settings', { retrievePageSize: 0, rangeOperators: 'yes', invalidHandle: { status: 200, reasonPhrase: 'x' } });
    expect(response.status).toBe(400);
    expect(response.data.message).toEqual(
      expect.arrayContaining(['retrievePageSize must not be less than 1', 'rangeOperators must be a boolean value', 'invalidHandle.status must not be less than 300']),
    );
  });
});
