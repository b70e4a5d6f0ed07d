import { INestApplication } from '@nestjs/common';
import { Client } from 'pg';
import { eventually, jsonClient, TEST_ADMIN_KEY } from '@illbridge/testing';
import { createActionPushApp } from '../apps/action-push/src/main';
import { PushSettings } from '../apps/action-push/src/push-settings';
import { ImportSettings } from '../apps/import-worker/src/import-settings';
import { NACSIS_LIBRARIES, NacsisSyncWorld, startNacsisSyncWorld } from './support/nacsis-fixtures';
import { daysAgo } from './support/runs';
import { JsonClient, urlOf } from './support/stack';

const { US, TOKYO, KYOTO } = NACSIS_LIBRARIES;
const SERIAL = { bibId: 'AN10184701', title: '免疫薬理', issn: '0000-0000' };
/** What NACSIS requires of an ORDER besides the bibliographic data and the candidates (nacsis-catp.md §8). */
const ORDER_FIELDS = { accounting: 'pb', copyType: '電子複写', staff: 'ILL担当 TEL=000-000-0001', address: '〒000-0001 見本市2-2 見本大学図書館' };

/** Creating a borrowing request in ILL Bridge, locating its lenders in NACSIS-CAT, ordering it in NACSIS-ILL and the
 *  sync that follows: action-push (API and push worker), profile-config, the import worker and the CATP simulator. */
describe('borrowing requests created here and ordered in NACSIS-ILL (end to end)', () => {
  let world: NacsisSyncWorld;
  let push: INestApplication;
  let pg: Client;
  let simApi: JsonClient;
  let pushApi: JsonClient;
  let profileId: string;

  /** action-push (its API, and its push worker unless `settings` say otherwise), in place of the one before. */
  const startPush = async (settings = new PushSettings({ backoffBaseMs: 20, backoffCapMs: 200, httpTimeoutMs: 3000, leaseMs: 10_000, sweepIntervalMs: 500 })) => {
    push = await createActionPushApp(world.config, settings);
    await push.listen(0, '127.0.0.1');
    pushApi = jsonClient(await urlOf(push), TEST_ADMIN_KEY);
  };
  const simRecordsWithOno = async (ono: string) => (await simApi('GET', `/_sim/nacsis/records?participant=${US.participantId}`)).body.records.filter((r: any) => r.fields.ONO === ono);
  const row = async (id: string) => (await pg.query('SELECT * FROM rs_request WHERE id = $1', [id])).rows[0];
  const outbound = async (id: string) => (await pushApi('GET', `/api/requests/${id}/outbound-actions`)).body;
  const create = async (body: Record<string, unknown>, headers: Record<string, string> = {}) => pushApi('POST', '/api/borrowing-requests', body, headers);
  const article = (extra: Record<string, unknown> = {}) => ({
    profileId,
    format: 'COPY',
    title: SERIAL.title,
    author: '日本免疫学会',
    year: '1994',
    volume: '12',
    issue: '3',
    pages: '45-52',
    articleTitle: 'Sample article',
    issn: SERIAL.issn,
    bibId: SERIAL.bibId,
    requesterId: 'P-0042',
    requesterName: '佐藤 花子',
    pickupLibraryCode: 'MAIN',
    nacsis: ORDER_FIELDS,
    ...extra,
  });
  const orderSent = (id: string) =>
    eventually(async () => {
      const [action] = await outbound(id);
      return action?.state === 'SENT' ? action : null;
    }, 20_000, 'the ORDER to be sent');

  beforeAll(async () => {
    world = await startNacsisSyncWorld({ participants: [TOKYO, KYOTO], worker: new ImportSettings({ httpTimeoutMs: 3000, retry: { attempts: 2, baseDelayMs: 20, maxDelayMs: 100 } }) });
    ({ pg, simApi } = world);
    await startPush();
    const holdings = [
      { participantId: US.participantId, location: '本館', volumes: ['1-20'] },
      { participantId: TOKYO.participantId, location: '総合図', volumes: ['1-20'], callNumber: '490.1||Y' },
      { participantId: KYOTO.participantId, volumes: ['8-12'] },
    ];
    expect((await simApi('POST', '/_sim/nacsis/holdings', { ...SERIAL, holdings })).status).toBe(201);
    profileId = (await world.createNacsisProfile({ code: 'NACSIS_BORROW', name: 'NACSIS borrowing', active: true, harvestStartDate: daysAgo(10) })).id;
  });

  afterAll(async () => {
    await push?.close();
    await world?.close();
  });

  it('lists every problem of a request in one 400', async () => {
    const lenders = [TOKYO, KYOTO, TOKYO, US, KYOTO, TOKYO].map((p) => ({ participantId: p.participantId }));
    const shape = await create({ format: 'BOOK', title: '', bibId: 'nope', pickupLibraryCode: 'MAIN', lenders });
    expect(shape.status).toBe(400);
    expect(shape.body.code).toBe('VALIDATION_FAILED');
    expect(shape.body.message).toEqual(
      expect.arrayContaining(['format must be COPY or LOAN', 'title must not be empty', expect.stringContaining('bibId must be a NACSIS-CAT ID'), 'lenders may name at most 5 candidate lenders']),
    );
    const meaning = await create(article({ pickupLibraryCode: 'NOWHERE', lenders: [{ participantId: TOKYO.participantId }, { participantId: TOKYO.participantId }, { participantId: US.participantId }] }));
    expect(meaning.status).toBe(400);
    expect(meaning.body.message).toEqual([
      `lenders must name each library once (${TOKYO.participantId} more than once)`,
      `lenders must not name our own library (${US.participantId})`,
      'pickupLibraryCode "NOWHERE" is not a library',
    ]);
    expect((await pg.query('SELECT count(*)::int AS n FROM rs_request')).rows[0].n).toBe(0);
  });

  it('locates the lenders of a title by BIBID or ISSN, leaving our own library out', async () => {
    const byBibId = await pushApi('GET', `/api/nacsis/holdings?profileId=${profileId}&bibId=${SERIAL.bibId}`);
    expect(byBibId.status).toBe(200);
    expect(byBibId.body.bibliographies).toEqual([{ bibId: SERIAL.bibId, title: SERIAL.title, database: 'SERIAL' }]);
    expect(byBibId.body.holdings).toEqual([
      { bibId: SERIAL.bibId, participantId: TOKYO.participantId, name: TOKYO.name, location: '総合図', volumes: ['1-20'], callNumber: '490.1||Y', registrationNumber: null },
      { bibId: SERIAL.bibId, participantId: KYOTO.participantId, name: KYOTO.name, location: null, volumes: ['8-12'], callNumber: null, registrationNumber: null },
    ]);
    const byIssn = await pushApi('GET', `/api/nacsis/holdings?profileId=${profileId}&issn=${SERIAL.issn}`);
    expect(byIssn.body.holdings.map((h: any) => h.participantId)).toEqual([TOKYO.participantId, KYOTO.participantId]);
    const none = await pushApi('GET', `/api/nacsis/holdings?profileId=${profileId}&bibId=BN99999999`);
    expect(none.body.holdings).toEqual([]);
    const wrong = await pushApi('GET', `/api/nacsis/holdings?bibId=${SERIAL.bibId}&isbn=4417004684`);
    expect(wrong.status).toBe(400);
    expect(wrong.body.message).toEqual(['profileId is required', 'exactly one of bibId, isbn, issn is required']);
  });

  it('creates, orders (ONO, candidates in order, 未処理), and the sync after the lender ships updates the same request', async () => {
    const found = await pushApi('GET', `/api/nacsis/holdings?profileId=${profileId}&bibId=${SERIAL.bibId}`);
    const lenders = found.body.holdings.map((h: any) => ({ participantId: h.participantId, name: h.name, location: h.location ?? undefined, volume: '12' }));
    const created = await create(article({ lenders, note: '至急お願いします' }));
    expect(created.status).toBe(201);
    const request = created.body;
    expect(request).toMatchObject({ status: 'CREATED_BORROWING_REQUEST', system: 'NACSIS', direction: 'BORROWING', profileId, partners: [TOKYO.participantId, KYOTO.participantId] });
    expect(request.requestNumber).toMatch(/^ILB-\d{6}$/);
    expect(request.externalId).toBe(request.requestNumber);
    const events = (await pg.query('SELECT type, message FROM request_event WHERE request_id = $1', [request.id])).rows;
    expect(events).toEqual([{ type: 'CREATED', message: `Created in ILL Bridge as ${request.requestNumber}` }]);

    const ordered = await pushApi('POST', `/api/borrowing-requests/${request.id}/order`, {});
    expect(ordered.status).toBe(202);
    expect(ordered.body.action).toMatchObject({ action: 'ORDER', nacsisCommand: 'ORDER', seq: 1 });
    await orderSent(request.id);
    const [record] = await simRecordsWithOno(request.requestNumber);
    expect(record).toMatchObject({ stat: '未処理', lenderId: TOKYO.participantId, borrowerId: US.participantId });
    expect(record.candidates.map((c: any) => c.HMLID)).toEqual([TOKYO.participantId, KYOTO.participantId]);
    expect(record.fields).toMatchObject({ ACCT: 'pb', TYPE: '電子複写', VLNO: '12(3)', PAGE: '45-52', CLNT: '佐藤 花子' });
    expect(record.groups.BIBG[0]).toMatchObject({ BIBID: SERIAL.bibId, STDNO: `ISSN=${SERIAL.issn}` });
    const sent = await row(request.id);
    expect(sent).toMatchObject({ external_id: record.id, status: 'REQUEST_SENT_TO_PARTNER', external_system_status: '未処理', partner_code: TOKYO.participantId, sync_state: 'IN_SYNC', request_number: request.requestNumber });

    // The lender (driven through the simulator) accepts and ships; the next sync updates our request.
    for (const body of [{ command: 'RECEIVE' }, { command: 'SEND', fields: { SDATE: '20261120', SUM: '300' } }]) {
      expect((await simApi('POST', `/_sim/nacsis/records/${record.id}/act`, { as: TOKYO.participantId, ...body })).status).toBe(200);
    }
    const run = await world.runNow(profileId);
    expect(run.state).toBe('COMPLETED_SUCCESSFULLY');
    const mine = (await pg.query(`SELECT * FROM rs_request WHERE direction = 'BORROWING' AND (request_number = $1 OR external_id = $2 OR external_ref = $1)`, [request.requestNumber, record.id])).rows;
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ id: request.id, external_id: record.id, status: 'SHIPPED_PHYSICALLY', external_system_status: '発送', requester_id: 'P-0042', requester_name: '佐藤 花子' });
  });

  it('an ORDER whose answer is lost makes exactly one NACSIS record, adopted by ONO', async () => {
    const created = await create(article({ lenders: [{ participantId: KYOTO.participantId }] }));
    expect(created.status).toBe(201);
    const { id, requestNumber } = created.body;
    await simApi('DELETE', '/_sim/nacsis/calls');
    expect((await simApi('POST', '/_sim/nacsis/faults', { dropAnswerAfterApplyNext: 1 })).status).toBe(200);
    expect((await pushApi('POST', `/api/borrowing-requests/${id}/order`, {})).status).toBe(202);
    const action = await orderSent(id);
    expect(action.attempts).toBe(1);
    const records = await simRecordsWithOno(requestNumber);
    expect(records).toHaveLength(1);
    expect(await row(id)).toMatchObject({ external_id: records[0].id, status: 'REQUEST_SENT_TO_PARTNER', partner_code: KYOTO.participantId });
    const calls = (await simApi('GET', '/_sim/nacsis/calls')).body.calls;
    expect(calls.filter((c: any) => c.illCommand === 'ORDER')).toHaveLength(1);
    const messages = (await pg.query(`SELECT message FROM request_event WHERE request_id = $1 AND type = 'ACTION_PUSHED'`, [id])).rows;
    expect(messages).toEqual([{ message: 'ORDER (#1) pushed: NACSIS ORDER → 未処理 (found on the record after an interrupted attempt)' }]);
  });

  it('an ORDER NACSIS refuses for a missing field ends FAILED with the reason on the request', async () => {
    const { copyType: _none, ...withoutType } = ORDER_FIELDS;
    const created = await create(article({ nacsis: withoutType, lenders: [{ participantId: TOKYO.participantId }] }));
    expect(created.status).toBe(201);
    expect((await pushApi('POST', `/api/borrowing-requests/${created.body.id}/order`, {})).status).toBe(202);
    const failed = await eventually(async () => {
      const [action] = await outbound(created.body.id);
      return action?.state === 'FAILED' ? action : null;
    }, 20_000, 'the ORDER to be refused');
    expect(failed.lastError).toMatch(/TYPE/);
    const after = await row(created.body.id);
    expect(after).toMatchObject({ status: 'CREATED_BORROWING_REQUEST', sync_state: 'PUSH_FAILED', external_id: created.body.requestNumber, external_system_status: null });
    expect(after.sync_error).toContain('ORDER (#1, NACSIS ORDER) refused');
    expect(after.sync_error).toMatch(/TYPE/);
    expect(await simRecordsWithOno(created.body.requestNumber)).toEqual([]);
    const again = await pushApi('POST', `/api/borrowing-requests/${created.body.id}/order`, {});
    expect(again.status).toBe(409);
    expect(again.body.message).toEqual(['NACSIS Action Not Allowed: ORDER #1 was refused; retry or discard it first']);
    // Discarded, then ordered again with the copy type: NACSIS takes it.
    expect((await pushApi('POST', `/api/outbound-actions/${failed.id}/discard`)).status).toBe(200);
    expect((await pushApi('POST', `/api/borrowing-requests/${created.body.id}/order`, { nacsis: { copyType: '電子複写' } })).status).toBe(202);
    await eventually(async () => (await outbound(created.body.id)).find((a: any) => a.seq === 2 && a.state === 'SENT'), 20_000, 'the second ORDER to be sent');
    expect(await simRecordsWithOno(created.body.requestNumber)).toHaveLength(1);
    expect(await row(created.body.id)).toMatchObject({ status: 'REQUEST_SENT_TO_PARTNER', sync_state: 'IN_SYNC', sync_error: null });
  });

  it('a sync that meets an ORDER NACSIS carried out but we never heard of links the request by ONO; the resend then adopts the record', async () => {
    // The API alone takes the ORDER; no worker pushes it yet.
    await push.close();
    await startPush(new PushSettings({ worker: false }));
    const created = await create(article({ lenders: [{ participantId: KYOTO.participantId }] }));
    const { id, requestNumber } = created.body;
    expect((await pushApi('POST', `/api/borrowing-requests/${id}/order`, {})).status).toBe(202);
    const [action] = (await pg.query('SELECT id, fields FROM outbound_action WHERE request_id = $1', [id])).rows;
    // NACSIS carried the ORDER out and the worker died during the call: the action is SENDING, its outcome unknown.
    const { HMLG, BIBG, CMMNT: _comment, ...plain } = action.fields;
    const draft = await simApi('POST', '/_sim/nacsis/records', { as: US.participantId, candidates: [KYOTO.participantId], stat: '準備中' });
    const applied = await simApi('POST', `/_sim/nacsis/records/${draft.body.id}/act`, { as: US.participantId, command: 'ORDER', fields: plain, groups: { HMLG, BIBG } });
    expect(applied.body).toMatchObject({ stat: '未処理', fields: { ONO: requestNumber } });
    await pg.query(`UPDATE outbound_action SET state = 'SENDING' WHERE id = $1`, [action.id]);

    expect((await world.runNow(profileId)).state).toBe('COMPLETED_SUCCESSFULLY');
    const linked = (await pg.query(`SELECT * FROM rs_request WHERE request_number = $1 OR external_id = $2`, [requestNumber, applied.body.id])).rows;
    expect(linked).toHaveLength(1);
    // The ORDER is still to be pushed: the sync keeps the local status (it never rewinds a PUSH_PENDING request), and
    // the push's adoption of the record moves it on.
    expect(linked[0]).toMatchObject({ id, external_id: applied.body.id, external_system_status: '未処理', status: 'CREATED_BORROWING_REQUEST', sync_state: 'PUSH_PENDING' });

    // A worker again: it finds the record by ONO instead of ordering a second time.
    await push.close();
    await simApi('DELETE', '/_sim/nacsis/calls');
    await startPush();
    const sent = await orderSent(id);
    expect(sent.attempts).toBe(0);
    expect(await simRecordsWithOno(requestNumber)).toHaveLength(1);
    expect((await simApi('GET', '/_sim/nacsis/calls')).body.calls.filter((c: any) => c.illCommand === 'ORDER')).toEqual([]);
    expect(await row(id)).toMatchObject({ external_id: applied.body.id, status: 'REQUEST_SENT_TO_PARTNER', sync_state: 'IN_SYNC' });
  });

  it('a discovery-system request sent twice with one Idempotency-Key is one request, ordered later through a chosen profile', async () => {
    const { profileId: _profile, nacsis: _nacsis, ...discovery } = article();
    const key = { 'Idempotency-Key': 'discovery-4711' };
    const first = await create(discovery, key);
    const second = await create(discovery, key);
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body.id).toBe(first.body.id);
    expect(first.body.profileId).toBeNull();
    expect((await pg.query('SELECT count(*)::int AS n FROM rs_request WHERE title = $1 AND profile_id IS NULL', [SERIAL.title])).rows[0].n).toBe(1);
    const other = await create({ ...discovery, title: 'Another title' }, key);
    expect(other.status).toBe(409);

    const noProfile = await pushApi('POST', `/api/borrowing-requests/${first.body.id}/order`, {});
    expect(noProfile.status).toBe(400);
    expect(noProfile.body.message).toEqual(['profileId is required: the request has no NACSIS-ILL profile to order through', 'at least one candidate lender is needed to order (lenders)']);
    const ordered = await pushApi('POST', `/api/borrowing-requests/${first.body.id}/order`, { profileId, lenders: [{ participantId: TOKYO.participantId }], nacsis: ORDER_FIELDS }, { 'Idempotency-Key': 'order-4711' });
    expect(ordered.status).toBe(202);
    const repeat = await pushApi('POST', `/api/borrowing-requests/${first.body.id}/order`, { profileId }, { 'Idempotency-Key': 'order-4711' });
    expect(repeat.status).toBe(202);
    expect(repeat.body.action.id).toBe(ordered.body.action.id);
    await orderSent(first.body.id);
    expect(await simRecordsWithOno(first.body.requestNumber)).toHaveLength(1);
    expect(await row(first.body.id)).toMatchObject({ profile_id: profileId, status: 'REQUEST_SENT_TO_PARTNER', partner_code: TOKYO.participantId });
    expect(await outbound(first.body.id)).toHaveLength(1);
    // The audit: one CREATE and one ORDER; the repeats took nothing and are not audited again.
    const audited = await pg.query(`SELECT action, after->>'action' AS what FROM audit_event WHERE entity_type = 'request' AND entity_id = $1 ORDER BY id`, [first.body.id]);
    expect(audited.rows).toEqual([
      { action: 'CREATE', what: null },
      { action: 'ACTION', what: 'ORDER' },
    ]);
  });
});
