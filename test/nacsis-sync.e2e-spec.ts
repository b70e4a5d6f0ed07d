import { Client } from 'pg';
import { ImportSettings } from '../apps/import-worker/src/import-settings';
import { NACSIS_CLOCK_MARGIN_MS } from '../apps/import-worker/src/nacsis/nacsis-importer';
import { CatpRelay } from './support/catp-relay';
import { NACSIS_LIBRARIES, NacsisSyncWorld, startNacsisSyncWorld } from './support/nacsis-fixtures';
import { daysAgo, japanDay } from './support/runs';
import { JsonClient } from './support/stack';

/** Us and two partner libraries. */
const { US, TOKYO, KYOTO } = NACSIS_LIBRARIES;
/** Our participant id as the relay rewrites it into one record: a library of ours nobody mapped. */
const UNMAPPED_ID = 'FA099999';
const UNMAPPED_ONO = 'UNMAPPED-1';

/** The NACSIS-ILL synchronisation end to end: profile-config and the import worker (real BullMQ,
 *  Postgres, Redis) against the CATP simulator over HTTP. */
describe('NACSIS-ILL synchronisation (end to end)', () => {
  let world: NacsisSyncWorld;
  let relay: CatpRelay;
  let pg: Client;
  let api: JsonClient;
  let simApi: JsonClient;
  let profileId: string;
  /** NACSIS record ids by our name for them. */
  const ids: Record<string, string> = {};
  /** Local requests that existed before the first sync. */
  const local: Record<string, string> = {};
  let firstRunId: string;

  const runNow = () => world.runNow(profileId);
  const requests = async () => (await pg.query(`SELECT * FROM rs_request WHERE profile_id = $1 ORDER BY external_id`, [profileId])).rows;
  const request = async (name: string, direction: 'BORROWING' | 'LENDING') => {
    const { rows } = await pg.query(`SELECT * FROM rs_request WHERE profile_id = $1 AND direction = $2 AND external_id = $3`, [profileId, direction, ids[name]]);
    expect(rows).toHaveLength(1);
    return rows[0];
  };
  const seed = async (name: string, body: Record<string, unknown>) => {
    const created = await world.addRecord(body);
    ids[name] = created.id;
    return created;
  };
  /** A draft ordered with these fields: fields given when creating a record come in addition to the
   *  generated ones, while an ORDER's fields replace them (our own ONO, our bibliographic data). */
  const seedOrdered = async (name: string, body: { as: string; candidates: string[]; service?: string; fields: Record<string, string>; groups?: Record<string, unknown> }) => {
    const { fields, groups, ...draft } = body;
    await seed(name, { ...draft, stat: '準備中' });
    const ordered = await act(name, { as: body.as, command: 'ORDER', fields, groups });
    expect(ordered.stat).toBe('未処理');
    return ordered;
  };
  const act = async (name: string, body: Record<string, unknown>) => {
    const done = await simApi('POST', `/_sim/nacsis/records/${ids[name]}/act`, body);
    expect(done.status).toBe(200);
    return done.body;
  };
  const insertLocal = async (externalId: string, externalRef: string | null, title: string) => {
    const { rows } = await pg.query(
      `INSERT INTO rs_request (profile_id, system, direction, external_id, external_ref, status, owner_library_code, pickup_library_code, title)
       VALUES ($1, 'NACSIS', 'BORROWING', $2, $3, 'CREATED_BORROWING_REQUEST', 'MAIN', 'MAIN', $4) RETURNING id`,
      [profileId, externalId, externalRef, title],
    );
    return rows[0].id as string;
  };

  beforeAll(async () => {
    world = await startNacsisSyncWorld({ participants: [TOKYO, KYOTO], worker: new ImportSettings({ httpTimeoutMs: 1500, retry: { attempts: 3, baseDelayMs: 20, maxDelayMs: 100 }, batchSize: 2 }) });
    ({ pg, api, simApi } = world);
    // The records with ONO=UNMAPPED-1 name a library of ours that nobody mapped.
    relay = new CatpRelay(world.sim.url, (block) => (block.includes(`ONO=${UNMAPPED_ONO}`) ? block.replace(`OMLID=${US.participantId}`, `OMLID=${UNMAPPED_ID}`) : block));
    await relay.open();
    world.onClose(() => relay.close());
    for (const partner of [TOKYO, KYOTO]) await world.addPartner(partner.participantId, partner.name, 'NACSIS');
    profileId = (await world.createNacsisProfile({ code: 'NACSIS_E2E', name: 'NACSIS e2e', baseUrl: `${relay.url}/nacsis/catp`, active: true, harvestStartDate: daysAgo(30) })).id;

    // Our borrowing (OMLID = us).
    await seedOrdered('ordered', {
      as: US.participantId,
      candidates: [TOKYO.participantId, KYOTO.participantId],
      fields: { ONO: 'B-0001', CLNT: '山田太郎', CLNTP: '文学部' },
      groups: { BIBG: [{ BIBNT: '史学雑誌 / 史学会編. -- 東京 : 史学会, 1889-', STDNO: 'ISSN=0018-2478' }] },
    });
    await seed('inquiry', { as: US.participantId, candidates: [TOKYO.participantId], stat: '照会' });
    await seedOrdered('byOno', { as: US.participantId, candidates: [KYOTO.participantId], fields: { ONO: 'LOCAL-42' }, groups: { BIBG: [{ BIBNT: '国語学 / 国語学会編' }] } });
    await seedOrdered('byId', { as: US.participantId, service: 'LOAN', candidates: [KYOTO.participantId], fields: { ONO: 'B-0004' }, groups: { BIBG: [{ BIBNT: '日本語の歴史' }] } });
    await seedOrdered('unmapped', { as: US.participantId, candidates: [TOKYO.participantId], fields: { ONO: UNMAPPED_ONO } });
    // Our lending (others ORDER naming us as candidate).
    await seed('lendCopy', { as: TOKYO.participantId, candidates: [US.participantId, KYOTO.participantId] });
    await seed('lendLoan', { as: KYOTO.participantId, service: 'LOAN', candidates: [US.participantId, TOKYO.participantId] });
    await seed('lendAccepted', { as: TOKYO.participantId, candidates: [US.participantId], stat: '処理中' });
    // Requests we knew before NACSIS did: one by our own number, one already by the NACSIS ID.
    local.byOno = await insertLocal('LOCAL-42', 'LOCAL-42', 'ローカルで作成');
    local.byId = await insertLocal(ids.byId, null, 'ローカルの題名');
  });

  afterAll(() => world?.close());

  it('the first sync imports borrowing and lending, fails the unmapped record alone, and reports both sides', async () => {
    await simApi('DELETE', '/_sim/nacsis/calls');
    const run = await runNow();
    firstRunId = run.id;
    expect(run.state).toBe('COMPLETED_WITH_ERRORS');
    expect(run.counters).toEqual({
      totalRecordsProcessed: 8,
      borrowingProcessed: 5,
      borrowingSucceeded: 4,
      borrowingFailed: 1,
      lendingProcessed: 3,
      lendingSucceeded: 3,
      lendingFailed: 0,
      created: 5,
      updated: 2,
      unchanged: 0,
    });
    expect(run.window_from).toBe(daysAgo(30));
    expect(run.window_to).toBe(japanDay()); // NACSIS's today (RNWDT is the day in Japan)

    expect(await request('ordered', 'BORROWING')).toMatchObject({
      status: 'REQUEST_SENT_TO_PARTNER',
      external_system_status: '未処理',
      external_ref: 'B-0001',
      format: 'COPY',
      partner_code: TOKYO.participantId,
      partners: [TOKYO.participantId, KYOTO.participantId],
      requester_name: '山田太郎 (文学部)',
      issn: '0018-2478',
      pickup_library_code: 'MAIN',
      closed: false,
    });
    expect(await request('inquiry', 'BORROWING')).toMatchObject({ status: 'CONDITIONAL', external_system_status: '照会' });
    expect(await request('lendCopy', 'LENDING')).toMatchObject({
      status: 'CREATED_LENDING_REQUEST',
      external_system_status: '未処理',
      format: 'COPY',
      requester_name: TOKYO.name,
      requester_id: TOKYO.participantId,
      partner_code: TOKYO.participantId,
      pickup_library_code: 'MAIN',
    });
    expect(await request('lendLoan', 'LENDING')).toMatchObject({ status: 'CREATED_LENDING_REQUEST', external_system_status: '未処理', format: 'LOAN', requester_name: KYOTO.name });
    expect(await request('lendAccepted', 'LENDING')).toMatchObject({ status: 'BEING_PROCESSED', external_system_status: '処理中' });

    const failed = (await pg.query(`SELECT * FROM record_event WHERE job_run_id = $1 AND outcome = 'FAILED'`, [run.id])).rows;
    expect(failed).toEqual([expect.objectContaining({ external_id: ids.unmapped, direction: 'BORROWING', reason_code: 'LIBRARY_NOT_MAPPED' })]);
    expect(failed[0].message).toContain(`"${UNMAPPED_ID}"`);
    expect((await requests()).map((r) => r.external_id)).not.toContain(ids.unmapped);

    // Under one handle, released at the end; the databases paged with RETRIEVE (batch size 2).
    const calls = (await simApi('GET', '/_sim/nacsis/calls')).body.calls as any[];
    expect(calls[0].method).toBe('GETHANDLE');
    expect(calls.at(-1).method).toBe('RELEASEHANDLE');
    expect(calls.filter((c) => c.method === 'GETHANDLE')).toHaveLength(1);
    expect(calls.filter((c) => c.method === 'RETRIEVE').length).toBeGreaterThanOrEqual(5);
  });

  it('enriches the requests known locally instead of creating duplicates', async () => {
    const byOno = (await pg.query('SELECT * FROM rs_request WHERE id = $1', [local.byOno])).rows[0];
    expect(byOno).toMatchObject({ external_id: ids.byOno, external_ref: 'LOCAL-42', status: 'REQUEST_SENT_TO_PARTNER', external_system_status: '未処理', title: '国語学', partner_code: KYOTO.participantId });
    const byId = (await pg.query('SELECT * FROM rs_request WHERE id = $1', [local.byId])).rows[0];
    expect(byId).toMatchObject({ external_id: ids.byId, external_ref: 'B-0004', status: 'REQUEST_SENT_TO_PARTNER', title: '日本語の歴史', format: 'LOAN' });
    const all = await requests();
    expect(all).toHaveLength(7);
    expect(all.filter((r) => r.external_ref === 'LOCAL-42')).toHaveLength(1);
    expect(all.filter((r) => r.external_id === ids.byId)).toHaveLength(1);
    const outcomes = (await pg.query(`SELECT external_id, outcome FROM record_event WHERE job_run_id = $1 AND outcome = 'UPDATED' ORDER BY external_id`, [firstRunId])).rows;
    expect(outcomes.map((o) => o.external_id).sort()).toEqual([ids.byOno, ids.byId].sort());
  });

  it("a second sync over unchanged data creates nothing and continues from the cursor: the day in Japan the last run's search began", async () => {
    const before = await requests();
    const run = await runNow();
    expect(run.counters).toMatchObject({ created: 0, updated: 0, unchanged: 7, borrowingFailed: 1, lendingProcessed: 3 });
    expect(run.window_from).toBe(japanDay(NACSIS_CLOCK_MARGIN_MS));
    const after = await requests();
    expect(after.map((r) => [r.id, r.status, r.updated_at.getTime()])).toEqual(before.map((r) => [r.id, r.status, r.updated_at.getTime()]));
  });

  it("shows the partner's RECEIVE + SEND as 発送 / SHIPPED_PHYSICALLY, and a STAT without local match keeps the local status", async () => {
    await act('ordered', { as: TOKYO.participantId, command: 'RECEIVE' });
    await act('ordered', { as: TOKYO.participantId, command: 'SEND', fields: { SDATE: daysAgo(0).replaceAll('-', ''), SUM: '400' }, comment: '本日発送しました' });
    await act('inquiry', { as: US.participantId, command: 'ANSWER', comment: '了解しました' });
    const run = await runNow();
    expect(run.counters).toMatchObject({ created: 0, updated: 2 });
    expect(await request('ordered', 'BORROWING')).toMatchObject({ status: 'SHIPPED_PHYSICALLY', external_system_status: '発送', note: '本日発送しました' });
    const inquiry = await request('inquiry', 'BORROWING');
    expect(inquiry).toMatchObject({ status: 'CONDITIONAL', external_system_status: '回答待' });
    const events = (await pg.query(`SELECT type, from_status, to_status, external_system_status, message FROM request_event WHERE request_id = $1 ORDER BY id`, [inquiry.id])).rows;
    expect(events.at(-1)).toMatchObject({ type: 'STATUS_CHANGED', from_status: 'CONDITIONAL', to_status: 'CONDITIONAL', external_system_status: '回答待' });
    expect(events.at(-1).message).toContain('local status kept');
  });

  it('a lending request we refused becomes REJECTED once the record moved on to the next candidate', async () => {
    await act('lendLoan', { as: US.participantId, command: 'RECEIVE' });
    await act('lendLoan', { as: US.participantId, command: 'PARDON', comment: '貸出中のため謝絶します' });
    expect((await simApi('GET', `/_sim/nacsis/records/${ids.lendLoan}`)).body.lenderId).toBe(TOKYO.participantId);
    const run = await runNow();
    const rejected = await request('lendLoan', 'LENDING');
    expect(rejected).toMatchObject({ status: 'REJECTED', closed: true });
    const events = (await pg.query(`SELECT type, from_status, to_status, message FROM request_event WHERE request_id = $1 ORDER BY id`, [rejected.id])).rows;
    expect(events.at(-1)).toEqual({ type: 'STATUS_CHANGED', from_status: 'CREATED_LENDING_REQUEST', to_status: 'REJECTED', message: 'moved on to the next candidate' });
    const recordEvent = (await pg.query(`SELECT outcome, request_id FROM record_event WHERE job_run_id = $1 AND external_id = $2`, [run.id, ids.lendLoan])).rows;
    expect(recordEvent).toEqual([{ outcome: 'UPDATED', request_id: rejected.id }]);
    expect(run.counters).toMatchObject({ updated: 1, lendingProcessed: 3, created: 0 });
    // The other open lending requests are still ours and stay as they are.
    expect(await request('lendCopy', 'LENDING')).toMatchObject({ status: 'CREATED_LENDING_REQUEST', closed: false });

    // Closed: the next sync does not look for it again.
    const next = await runNow();
    expect(next.counters).toMatchObject({ updated: 0, created: 0, lendingProcessed: 2 });
    expect(await request('lendLoan', 'LENDING')).toMatchObject({ status: 'REJECTED', closed: true });
  });

  it('retries CATP 503 answers and completes', async () => {
    await simApi('POST', '/_sim/nacsis/faults', { catpFailNext: 2, catpStatus: 503 });
    const run = await runNow();
    expect(run.state).toBe('COMPLETED_WITH_ERRORS'); // only the unmapped record
    expect(run.counters).toMatchObject({ created: 0, borrowingFailed: 1 });
  });

  it('fails the run with EXTERNAL_SYSTEM_UNAVAILABLE when NACSIS keeps answering 503', async () => {
    await simApi('POST', '/_sim/nacsis/faults', { catpFailNext: 100, catpStatus: 503 });
    const run = await runNow();
    await simApi('POST', '/_sim/nacsis/faults', { catpFailNext: 0 });
    expect(run.state).toBe('FAILED');
    expect(run.error_code).toBe('EXTERNAL_SYSTEM_UNAVAILABLE');
    expect(run.error).toMatch(/after 3 attempts/);
  });

  it('fails the run with AUTHENTICATION_FAILED on wrong credentials, without retrying', async () => {
    expect((await api('PATCH', `/api/integration-profiles/${profileId}`, { authentication: { enabled: true, userId: US.userId, password: 'wrong' } })).status).toBe(200);
    await simApi('DELETE', '/_sim/nacsis/calls');
    const run = await runNow();
    expect(run.state).toBe('FAILED');
    expect(run.error_code).toBe('AUTHENTICATION_FAILED');
    const calls = (await simApi('GET', '/_sim/nacsis/calls')).body.calls as any[];
    expect(calls.map((c) => c.method)).toEqual(['GETHANDLE']);
    expect((await api('PATCH', `/api/integration-profiles/${profileId}`, { authentication: { enabled: true, userId: US.userId, password: US.password } })).status).toBe(200);
    expect((await runNow()).state).toBe('COMPLETED_WITH_ERRORS');
  });
});
