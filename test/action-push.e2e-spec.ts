import { INestApplication } from '@nestjs/common';
import { Queue } from 'bullmq';
import { Client } from 'pg';
import { AppConfig, SecretBox } from '@illbridge/common';
import { CatpClient, nacsisDatabaseOf } from '@illbridge/connectors/nacsis';
import type { CatpHandle } from '@illbridge/connectors/nacsis';
import { QUEUE } from '@illbridge/queues';
import { mapNacsisStatus } from '@illbridge/workflow';
import { createTestDatabase, eventually, jsonClient, TEST_ADMIN_KEY, TestDatabase, testConfig, wipeQueuePrefix } from '@illbridge/testing';
import { createActionPushApp } from '../apps/action-push/src/main';
import { PushSettings } from '../apps/action-push/src/push-settings';
import { PushStore } from '../apps/action-push/src/push-store';
import { RunningSimulator, startSimulator } from '../apps/ill-simulator/src/simulator';
import { urlOf } from './support/stack';

/** action-push end to end: the HTTP API and the real push worker (BullMQ, Postgres, Redis) against
 *  the NACSIS-ILL simulator over CATP. Requests are seeded in Postgres the way the import leaves them:
 *  the NACSIS record's ID as external_id, its STAT as externalSystemStatus, the record as raw. */
describe('action-push (end to end)', () => {
  const US = 'FA100001';
  const PARTNER = 'FA200002';
  const US_LOGIN = { userId: 'us-user', password: 'us-password' };
  const TODAY = '2026-11-22';
  const fastPush = (overrides: Partial<PushSettings> = {}) =>
    new PushSettings({ backoffBaseMs: 20, backoffCapMs: 200, httpTimeoutMs: 3000, leaseMs: 10_000, sweepIntervalMs: 500, concurrency: 8, ...overrides });

  let db: TestDatabase;
  let config: AppConfig;
  let sim: RunningSimulator;
  let pg: Client;
  let simApi: ReturnType<typeof jsonClient>;
  let api: ReturnType<typeof jsonClient>;
  let app: INestApplication | undefined;
  let baseUrl: string;
  let profileId: string;
  let catp: CatpClient;
  let catpHandle: CatpHandle;

  type Direction = 'BORROWING' | 'LENDING';
  interface Seeded {
    requestId: string;
    recordId: string;
  }

  /** A NACSIS record in the simulator and the request the import would have made of it. */
  const seed = async (direction: Direction, stat: string, service: 'COPY' | 'LOAN' = 'COPY'): Promise<Seeded> => {
    const borrower = direction === 'BORROWING' ? US : PARTNER;
    const lender = direction === 'BORROWING' ? PARTNER : US;
    const created = await simApi('POST', '/_sim/nacsis/records', { as: borrower, candidates: [lender], service, stat });
    expect(created.status).toBe(201);
    const recordId: string = created.body.id;
    const page = await catp.retrieve(catpHandle, nacsisDatabaseOf(direction, service), [recordId], 1, 1);
    expect(page.records).toHaveLength(1);
    const status = mapNacsisStatus(stat, direction) ?? (direction === 'BORROWING' ? 'REQUEST_SENT_TO_PARTNER' : 'BEING_PROCESSED');
    const { rows } = await pg.query(
      `INSERT INTO rs_request (profile_id, system, direction, external_id, status, external_system_status, partner_code, owner_library_code, format, title, raw)
       VALUES ($1, 'NACSIS', $2, $3, $4, $5, $6, 'MAIN', $7, 'Seeded', $8) RETURNING id`,
      [profileId, direction, recordId, status, stat, direction === 'BORROWING' ? PARTNER : PARTNER, service, JSON.stringify(page.records[0])],
    );
    return { requestId: rows[0].id, recordId };
  };

  /** What the next import would bring: the record as NACSIS has it now. */
  const reimport = async ({ requestId, recordId }: Seeded, direction: Direction) => {
    const page = await catp.retrieve(catpHandle, nacsisDatabaseOf(direction, 'COPY'), [recordId], 1, 1);
    const stat = page.records[0].find((e: any) => e.tag === 'STAT') as any;
    await pg.query('UPDATE rs_request SET raw = $2, external_system_status = $3 WHERE id = $1', [requestId, JSON.stringify(page.records[0]), stat.value]);
  };

  const take = (requestId: string, body: unknown) => api('POST', `/api/requests/${requestId}/actions`, body);
  const simRecord = async (recordId: string) => (await simApi('GET', `/_sim/nacsis/records/${recordId}`)).body;
  const history = async (recordId: string) => (await simRecord(recordId)).history.map((h: any) => `${h.command}:${h.participantId === US ? 'US' : 'P'}`);
  const spcCalls = async (recordId: string) =>
    ((await simApi('GET', '/_sim/nacsis/calls')).body.calls as any[])
      .filter((c) => c.method === 'SERVERPROCEDURECALL' && c.id === recordId)
      .map((c) => `${c.illCommand}:${c.catpStatus ?? `HTTP ${c.httpStatus}`}`);
  const actionsOf = async (requestId: string) => (await pg.query('SELECT * FROM outbound_action WHERE request_id = $1 ORDER BY seq', [requestId])).rows;
  const requestRow = async (requestId: string) => (await pg.query('SELECT * FROM rs_request WHERE id = $1', [requestId])).rows[0];
  const settled = (requestId: string, timeoutMs = 20_000) =>
    eventually(
      async () => {
        const actions = await actionsOf(requestId);
        const request = await requestRow(requestId);
        return actions.every((a) => !['PENDING', 'SENDING'].includes(a.state)) && request.sync_state !== 'PUSH_PENDING' ? { actions, request } : null;
      },
      timeoutMs,
      `request ${requestId} to settle`,
    );
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  const startApp = async (settings: PushSettings) => {
    const started = await createActionPushApp(config, settings);
    await started.listen(0, '127.0.0.1');
    return started;
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    config = testConfig(db.url);
    sim = await startSimulator({ logLevels: false });
    simApi = jsonClient(sim.url);
    pg = new Client({ connectionString: db.url });
    await pg.connect();
    expect((await simApi('POST', '/_sim/nacsis/participants', { participantId: US, name: '架空大学附属図書館', ...US_LOGIN })).status).toBe(201);
    expect((await simApi('POST', '/_sim/nacsis/participants', { participantId: PARTNER, name: '相手大学図書館' })).status).toBe(201);
    expect((await simApi('POST', '/_sim/nacsis/settings', { today: TODAY.replaceAll('-', '') })).status).toBe(200);
    const secret = new SecretBox(config.secretsKey).encrypt(US_LOGIN.password);
    const { rows } = await pg.query(
      `INSERT INTO integration_profile (code, name, system, base_url, library_code, resource_sharing_library_code, auth_enabled, auth_user_id, secret_enc, version)
       VALUES ('NACSIS_E2E', 'NACSIS e2e', 'NACSIS', $1, $2, 'MAIN', true, $3, $4, 1) RETURNING id`,
      [`${sim.url}/nacsis/catp`, US, US_LOGIN.userId, secret],
    );
    profileId = rows[0].id;
    catp = new CatpClient({ baseUrl: `${sim.url}/nacsis/catp`, timeoutMs: 5000 });
    catpHandle = await catp.getHandle(US_LOGIN.userId, US_LOGIN.password);
  });

  afterAll(async () => {
    await app?.close();
    await sim?.close();
    await pg?.end();
    if (config) await wipeQueuePrefix(config.redisUrl, config.queuePrefix);
    await db?.drop();
  });

  describe('nothing is lost when Redis is wiped', () => {
    it('actions taken while no worker runs are pushed by the next worker at start-up, though the queue was wiped', async () => {
      const lending = await seed('LENDING', '未処理');
      const apiOnly = await startApp(fastPush({ worker: false }));
      try {
        const client = jsonClient(await urlOf(apiOnly), TEST_ADMIN_KEY);
        expect((await client('POST', `/api/requests/${lending.requestId}/actions`, { action: 'ACCEPT' })).status).toBe(202);
        await sleep(300);
        expect((await actionsOf(lending.requestId)).map((a) => a.state)).toEqual(['PENDING']);
        expect(await spcCalls(lending.recordId)).toEqual([]);
      } finally {
        await apiOnly.close();
      }
      await wipeQueuePrefix(config.redisUrl, config.queuePrefix);

      // The sweep is off: only the start-up recovery can ring.
      const worker = await startApp(fastPush({ sweepIntervalMs: 0 }));
      try {
        const { actions, request } = await settled(lending.requestId);
        expect(actions.map((a) => a.state)).toEqual(['SENT']);
        expect(request).toMatchObject({ sync_state: 'IN_SYNC', external_system_status: '処理中', status: 'BEING_PROCESSED' });
        expect(await spcCalls(lending.recordId)).toEqual(['RECEIVE:200']);
      } finally {
        await worker.close();
      }
    });
  });

  describe('with the push worker running', () => {
    let shipped: Seeded;
    let received: Seeded;

    beforeAll(async () => {
      app = await startApp(fastPush());
      baseUrl = await urlOf(app);
      api = jsonClient(baseUrl, TEST_ADMIN_KEY);
    });

    it('lender: ACCEPT then SHIP of a new lending request reaches 発送, with SUM computed', async () => {
      shipped = await seed('LENDING', '未処理');
      const before = await api('GET', `/api/requests/${shipped.requestId}/actions`);
      expect(before.status).toBe(200);
      expect(before.body).toMatchObject({ allowed: ['ACCEPT'], externalSystemStatus: '未処理', pending: [] });

      const accepted = await take(shipped.requestId, { action: 'ACCEPT' });
      expect(accepted.status).toBe(202);
      expect(accepted.body.action).toMatchObject({ seq: 1, action: 'ACCEPT', nacsisCommand: 'RECEIVE', state: 'PENDING', attempts: 0 });
      expect(accepted.body.request).toMatchObject({ id: shipped.requestId, status: 'BEING_PROCESSED', externalSystemStatus: '未処理', syncState: 'PUSH_PENDING' });

      const ship = await take(shipped.requestId, {
        action: 'SHIP',
        note: '本日発送しました',
        fields: { shipDate: TODAY, charges: [{ item: 'A4', quantity: 8, unitPrice: 35 }], fee: 0, postage: 84 },
      });
      expect(ship.status).toBe(202);
      expect(ship.body.action).toMatchObject({ seq: 2, action: 'SHIP', nacsisCommand: 'SEND', fromExternalStatus: '処理中', toExternalStatus: '発送' });
      expect(ship.body.action.fields).toEqual({ SDATE: '20261122', CHG: [{ ITEM: 'A4', QNT: '8', UPRCE: '35', CHRGE: '280' }], FEE: '0', POSTG: '84', SUM: '364', CMMNT: '本日発送しました' });
      expect(ship.body.request.status).toBe('SHIPPED_PHYSICALLY');

      const { actions, request } = await settled(shipped.requestId);
      expect(actions.map((a) => [a.seq, a.action, a.state, a.attempts])).toEqual([
        [1, 'ACCEPT', 'SENT', 1],
        [2, 'SHIP', 'SENT', 1],
      ]);
      expect(request).toMatchObject({ sync_state: 'IN_SYNC', external_system_status: '発送', status: 'SHIPPED_PHYSICALLY', push_lease_owner: null });
      const record = await simRecord(shipped.recordId);
      expect(record.stat).toBe('発送');
      expect(record.fields).toMatchObject({ SDATE: '20261122', SUM: '364', POSTG: '84' });
      expect(record.history.at(-1)).toEqual({ command: 'SEND', participantId: US, comment: '本日発送しました' });
      expect(await history(shipped.recordId)).toEqual(['ORDER:P', 'RECEIVE:US', 'SEND:US']);
      expect(await spcCalls(shipped.recordId)).toEqual(['RECEIVE:200', 'SEND:200']);

      const events = (await pg.query('SELECT type FROM request_event WHERE request_id = $1 ORDER BY id', [shipped.requestId])).rows.map((e) => e.type);
      expect(events).toEqual(['ACTION_REQUESTED', 'ACTION_REQUESTED', 'ACTION_PUSHED', 'ACTION_PUSHED']);
      const after = await api('GET', `/api/requests/${shipped.requestId}/actions`);
      expect(after.body).toMatchObject({ allowed: ['CALLBACK'], externalSystemStatus: '発送', pending: [] });
      const listed = await api('GET', `/api/requests/${shipped.requestId}/outbound-actions`);
      expect(listed.body.map((a: any) => [a.seq, a.state])).toEqual([
        [1, 'SENT'],
        [2, 'SENT'],
      ]);
      expect(listed.body[0]).toEqual(expect.objectContaining({ id: expect.any(String), requestId: shipped.requestId, lastError: null, sentAt: expect.any(String), createdAt: expect.any(String) }));
      const metrics = await fetch(`${baseUrl}/metrics`).then((r) => r.text());
      expect(metrics).toMatch(/illbridge_push_attempts_total\{result="sent"\} [1-9]/);
      expect(metrics).toContain('illbridge_queue_jobs');
    });

    it('SHIP before ACCEPT is refused with NACSIS_ACTION_NOT_ALLOWED, and nothing changes or is sent', async () => {
      const fresh = await seed('LENDING', '未処理');
      const before = await requestRow(fresh.requestId);
      const refused = await take(fresh.requestId, { action: 'SHIP', fields: { postage: 84 } });
      expect(refused.status).toBe(409);
      expect(refused.body).toMatchObject({
        code: 'NACSIS_ACTION_NOT_ALLOWED',
        message: ['NACSIS Action Not Allowed: SHIP is not allowed while the request is 未処理 (allowed: ACCEPT)'],
        allowed: ['ACCEPT'],
      });
      // An action the other side takes, and an action of the local workflow only, are refused the same way.
      const wrongSide = await take(fresh.requestId, { action: 'RECEIVE' });
      expect(wrongSide.status).toBe(409);
      expect(wrongSide.body.code).toBe('NACSIS_ACTION_NOT_ALLOWED');
      const local = await take(fresh.requestId, { action: 'COMPLETE' });
      expect(local.body).toMatchObject({ code: 'NACSIS_ACTION_NOT_ALLOWED', allowed: ['ACCEPT'] });
      await sleep(300);
      expect(await actionsOf(fresh.requestId)).toEqual([]);
      expect(await requestRow(fresh.requestId)).toEqual(before);
      expect(await spcCalls(fresh.recordId)).toEqual([]);
      expect((await pg.query('SELECT count(*)::int AS n FROM request_event WHERE request_id = $1', [fresh.requestId])).rows[0].n).toBe(0);
    });

    it('answers 400 listing every problem of the body, before judging the state', async () => {
      const loan = await seed('LENDING', '未処理', 'LOAN');
      const noDueDate = await take(loan.requestId, { action: 'SHIP', fields: { shipDate: '2026-13-01', charges: [{ item: 'A4', quantity: 0, unitPrice: 35 }] } });
      expect(noDueDate.status).toBe(400);
      expect(noDueDate.body).toMatchObject({ code: 'VALIDATION_FAILED' });
      expect(noDueDate.body.message).toEqual([
        'fields.shipDate must be a date YYYY-MM-DD',
        'fields.dueDate is required to ship a loan',
        'fields.charges[0].quantity must be a whole number of at least 1',
      ]);
      const noNote = await take(loan.requestId, { action: 'REJECT' });
      expect(noNote.status).toBe(400);
      expect(noNote.body.message).toEqual(['note is required for REJECT']);
      const unknown = await take(loan.requestId, { action: 'ACCEPT', urgent: true });
      expect(unknown.status).toBe(400);
      expect(unknown.body.message).toEqual(['property urgent should not exist']);
      expect((await api('POST', '/api/requests/00000000-0000-4000-8000-000000000000/actions', { action: 'ACCEPT' })).status).toBe(404);
      expect((await jsonClient(baseUrl)('POST', `/api/requests/${loan.requestId}/actions`, { action: 'ACCEPT' })).status).toBe(401);
      expect(await actionsOf(loan.requestId)).toEqual([]);
    });

    it('borrower: ACCEPT then RECEIVE taken back to back (before the first is pushed) both succeed, in order', async () => {
      received = await seed('BORROWING', '発送');
      // NACSIS slow enough that the ACCEPT is still on its way while the RECEIVE is taken and checked (on a busy machine too).
      await simApi('POST', '/_sim/faults/nacsis', { latencyMs: 1500 });
      try {
        const accept = await take(received.requestId, { action: 'ACCEPT' });
        const receive = await take(received.requestId, { action: 'RECEIVE' });
        expect(accept.status).toBe(202);
        expect(receive.status).toBe(202);
        expect(receive.body.action).toMatchObject({ seq: 2, nacsisCommand: 'OK', fromExternalStatus: '到着処理中', toExternalStatus: '確認' });
        // Judged on the projected state: the first action had not reached NACSIS yet.
        expect((await actionsOf(received.requestId))[0].state).not.toBe('SENT');
        expect(receive.body.request).toMatchObject({ externalSystemStatus: '発送', status: 'REQUEST_COMPLETED' });
        const pending = await api('GET', `/api/requests/${received.requestId}/actions`);
        expect(pending.body.pending.map((a: any) => a.action)).toEqual(['ACCEPT', 'RECEIVE']);
        expect(pending.body).toMatchObject({ projectedStatus: '確認', allowed: ['CALLBACK'] });
      } finally {
        await simApi('POST', '/_sim/faults/nacsis', { latencyMs: 0 });
      }
      const { actions, request } = await settled(received.requestId);
      expect(actions.map((a) => a.state)).toEqual(['SENT', 'SENT']);
      expect(request).toMatchObject({ sync_state: 'IN_SYNC', external_system_status: '確認', status: 'REQUEST_COMPLETED' });
      expect(await spcCalls(received.recordId)).toEqual(['RECEIVE:200', 'OK:200']);
      expect(await history(received.recordId)).toEqual(['ORDER:US', 'RECEIVE:P', 'SEND:P', 'RECEIVE:US', 'OK:US']);
    });

    it("borrower CALLBACK of its own last command reverts both sides", async () => {
      const callback = await take(received.requestId, { action: 'CALLBACK' });
      expect(callback.status).toBe(202);
      expect(callback.body.action).toMatchObject({ nacsisCommand: 'CALLBACK', fromExternalStatus: '確認', toExternalStatus: '到着処理中' });
      expect(callback.body.request.status).toBe('PHYSICALLY_RECEIVED_BY_LIBRARY');
      const { request } = await settled(received.requestId);
      expect(request).toMatchObject({ sync_state: 'IN_SYNC', external_system_status: '到着処理中', status: 'PHYSICALLY_RECEIVED_BY_LIBRARY' });
      expect((await simRecord(received.recordId)).stat).toBe('到着処理中');
      expect(await history(received.recordId)).toEqual(['ORDER:US', 'RECEIVE:P', 'SEND:P', 'RECEIVE:US', 'OK:US', 'CALLBACK:US']);
      // Called back already: the last command is the CALLBACK, and 到着処理中 has nothing to call back.
      const again = await take(received.requestId, { action: 'CALLBACK' });
      expect(again.status).toBe(409);
      expect(again.body.message).toEqual(['NACSIS Action Not Allowed: CALLBACK is not allowed while the request is 到着処理中 (allowed: RECEIVE, CLAIM)']);
    });

    it('a CALLBACK after the partner acted: pushed on stale knowledge it is refused by NACSIS and holds the queue until discarded; once known, it is refused at once', async () => {
      // The borrower receives what we shipped; we do not know yet (no import since).
      const acted = await simApi('POST', `/_sim/nacsis/records/${shipped.recordId}/act`, { as: PARTNER, command: 'RECEIVE' });
      expect(acted.status).toBe(200);
      await simApi('DELETE', '/_sim/nacsis/calls');

      const callback = await take(shipped.requestId, { action: 'CALLBACK' });
      expect(callback.status).toBe(202);
      const failed = await settled(shipped.requestId);
      expect(failed.actions.map((a) => [a.action, a.state])).toEqual([
        ['ACCEPT', 'SENT'],
        ['SHIP', 'SENT'],
        ['CALLBACK', 'FAILED'],
      ]);
      expect(failed.actions[2].last_error).toMatch(/409/);
      expect(failed.request.sync_state).toBe('PUSH_FAILED');
      expect(failed.request.sync_error).toMatch(/^CALLBACK \(#3, NACSIS CALLBACK\) refused: .*409/);
      expect(await spcCalls(shipped.recordId)).toEqual(['CALLBACK:409']);

      // The queue is held: a later action is accepted (judged after the failed one) but waits.
      const ship = await take(shipped.requestId, { action: 'SHIP', fields: { postage: 100 } });
      expect(ship.status).toBe(202);
      await sleep(1200);
      expect((await actionsOf(shipped.requestId)).map((a) => a.state)).toEqual(['SENT', 'SENT', 'FAILED', 'PENDING']);
      expect(await spcCalls(shipped.recordId)).toEqual(['CALLBACK:409']);
      expect((await requestRow(shipped.requestId)).sync_state).toBe('PUSH_FAILED');

      // Only a FAILED action can be retried or discarded.
      const pendingId = (await actionsOf(shipped.requestId))[3].id;
      expect((await api('POST', `/api/outbound-actions/${pendingId}/discard`)).status).toBe(409);

      // Discarding the CALLBACK lets the held SHIP go on: NACSIS refuses it too (the item has arrived).
      const discarded = await api('POST', `/api/outbound-actions/${failed.actions[2].id}/discard`);
      expect(discarded.status).toBe(200);
      expect(discarded.body).toMatchObject({ state: 'DISCARDED', action: 'CALLBACK' });
      const next = await settled(shipped.requestId);
      expect(next.actions.map((a) => a.state)).toEqual(['SENT', 'SENT', 'DISCARDED', 'FAILED']);
      expect(await spcCalls(shipped.recordId)).toEqual(['CALLBACK:409', 'SEND:409']);
      const last = await api('POST', `/api/outbound-actions/${next.actions[3].id}/discard`);
      expect(last.status).toBe(200);
      const request = await requestRow(shipped.requestId);
      expect(request).toMatchObject({ sync_state: 'IN_SYNC', sync_error: null, status: 'SHIPPED_PHYSICALLY' });
      expect(await history(shipped.recordId)).toEqual(['ORDER:P', 'RECEIVE:US', 'SEND:US', 'RECEIVE:P']);

      // Once the import has brought the partner's step, CALLBACK is refused at once.
      await reimport(shipped, 'LENDING');
      const refused = await take(shipped.requestId, { action: 'CALLBACK' });
      expect(refused.status).toBe(409);
      expect(refused.body).toMatchObject({
        code: 'NACSIS_ACTION_NOT_ALLOWED',
        message: ['NACSIS Action Not Allowed: CALLBACK is not allowed while the request is 到着処理中 (allowed: none)'],
        allowed: [],
      });
    });

    it('a refused push holds the request until an operator retries it; then the held actions follow in order', async () => {
      const borrowing = await seed('BORROWING', '発送');
      // The lender calls its shipment back before our ACCEPT reaches NACSIS.
      expect((await simApi('POST', `/_sim/nacsis/records/${borrowing.recordId}/act`, { as: PARTNER, command: 'CALLBACK' })).status).toBe(200);
      expect((await take(borrowing.requestId, { action: 'ACCEPT' })).status).toBe(202);
      const held = await settled(borrowing.requestId);
      expect(held.actions.map((a) => a.state)).toEqual(['FAILED']);
      expect(held.request.sync_state).toBe('PUSH_FAILED');
      const events = (await pg.query(`SELECT type, message FROM request_event WHERE request_id = $1 ORDER BY id`, [borrowing.requestId])).rows;
      expect(events.map((e) => e.type)).toEqual(['ACTION_REQUESTED', 'ACTION_FAILED']);

      expect((await take(borrowing.requestId, { action: 'RECEIVE' })).status).toBe(202);
      await sleep(1000);
      expect((await actionsOf(borrowing.requestId)).map((a) => a.state)).toEqual(['FAILED', 'PENDING']);

      // The lender ships again; the operator retries.
      expect((await simApi('POST', `/_sim/nacsis/records/${borrowing.recordId}/act`, { as: PARTNER, command: 'SEND', fields: { SDATE: '20261122', SUM: '0' } })).status).toBe(200);
      const retried = await api('POST', `/api/outbound-actions/${held.actions[0].id}/retry`);
      expect(retried.status).toBe(200);
      expect(retried.body).toMatchObject({ state: 'PENDING', attempts: 1 });
      const { actions, request } = await settled(borrowing.requestId);
      expect(actions.map((a) => [a.action, a.state, a.attempts])).toEqual([
        ['ACCEPT', 'SENT', 2],
        ['RECEIVE', 'SENT', 1],
      ]);
      expect(request).toMatchObject({ sync_state: 'IN_SYNC', external_system_status: '確認', status: 'REQUEST_COMPLETED' });
      expect(await spcCalls(borrowing.recordId)).toEqual(['RECEIVE:409', 'RECEIVE:200', 'OK:200']);
      expect((await api('POST', `/api/outbound-actions/${actions[0].id}/retry`)).status).toBe(409);
    });

    it('a repeated POST with the same Idempotency-Key answers the first answer and takes no second action', async () => {
      const fresh = await seed('LENDING', '未処理');
      const post = async (key: string, body: unknown) => {
        const res = await fetch(`${baseUrl}/api/requests/${fresh.requestId}/actions`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${TEST_ADMIN_KEY}`, 'Idempotency-Key': key },
          body: JSON.stringify(body),
        });
        return { status: res.status, body: (await res.json()) as any };
      };
      const first = await post('accept-once', { action: 'ACCEPT' });
      const second = await post('accept-once', { action: 'ACCEPT' });
      expect(first.status).toBe(202);
      expect(second.status).toBe(202);
      expect(second.body.action.id).toBe(first.body.action.id);
      expect(second.body.action.seq).toBe(1);
      await settled(fresh.requestId);
      // Even after the push, when ACCEPT would no longer be allowed.
      const third = await post('accept-once', { action: 'ACCEPT' });
      expect(third.status).toBe(202);
      expect(third.body.action).toMatchObject({ id: first.body.action.id, state: 'SENT' });
      expect((await post('accept-once', { action: 'REJECT', note: 'x' })).status).toBe(409);
      expect(await actionsOf(fresh.requestId)).toHaveLength(1);
      expect(await spcCalls(fresh.recordId)).toEqual(['RECEIVE:200']);
    });

    it('an action left SENDING by a dead worker whose command had reached NACSIS is marked SENT without sending it again', async () => {
      const fresh = await seed('LENDING', '未処理');
      // The dead worker's call got through (we act as ourselves on the simulator's control route)…
      expect((await simApi('POST', `/_sim/nacsis/records/${fresh.recordId}/act`, { as: US, command: 'RECEIVE' })).status).toBe(200);
      // …but it died before recording the outcome: the action is SENDING, its lease has run out.
      await pg.query(
        `INSERT INTO outbound_action (request_id, seq, action, nacsis_command, from_external_status, to_external_status, state, attempts, fields)
         VALUES ($1, 1, 'ACCEPT', 'RECEIVE', '未処理', '処理中', 'SENDING', 0, '{}')`,
        [fresh.requestId],
      );
      await pg.query(`UPDATE rs_request SET sync_state = 'PUSH_PENDING', push_lease_until = now() - interval '1 second', push_lease_owner = 'dead-worker' WHERE id = $1`, [fresh.requestId]);
      // No doorbell: the sweep finds it.
      const { actions, request } = await settled(fresh.requestId);
      expect(actions.map((a) => [a.state, a.attempts])).toEqual([['SENT', 0]]);
      expect(request).toMatchObject({ sync_state: 'IN_SYNC', external_system_status: '処理中', status: 'BEING_PROCESSED' });
      expect(await spcCalls(fresh.recordId)).toEqual([]);
      expect(await history(fresh.recordId)).toEqual(['ORDER:P', 'RECEIVE:US']);
    });

    it("an action's sent report event is on the report-events queue before its SENT is committed: a worker killed in between loses nothing", async () => {
      const fresh = await seed('LENDING', '未処理');
      const events = new Queue(QUEUE.REPORT_EVENTS, { connection: { host: '127.0.0.1', port: 6379 }, prefix: config.queuePrefix });
      const store = app!.get(PushStore);
      const markSent = store.markSent.bind(store);
      const queuedAtCommit: unknown[] = [];
      const spy = jest.spyOn(store, 'markSent').mockImplementation(async (input) => {
        const job = await events.getJob(`push_${input.action.id}_sent`);
        queuedAtCommit.push(job ? job.data : null);
        return markSent(input);
      });
      try {
        expect((await take(fresh.requestId, { action: 'ACCEPT' })).status).toBe(202);
        const { actions } = await settled(fresh.requestId);
        expect(actions.map((a) => a.state)).toEqual(['SENT']);
        expect(queuedAtCommit).toEqual([{ type: 'push', id: `push:${actions[0].id}:sent`, requestId: fresh.requestId, actionId: actions[0].id, result: 'sent' }]);
      } finally {
        spy.mockRestore();
        await events.close();
      }
    });

    it('Libris requests follow the local workflow: the status changes, nothing is pushed', async () => {
      const { rows } = await pg.query(
        `INSERT INTO rs_request (system, direction, external_id, status, external_system_status, owner_library_code, format)
         VALUES ('LIBRIS', 'BORROWING', 'Hig-1', 'SHIPPED_PHYSICALLY', 'Levererad', 'MAIN', 'LOAN') RETURNING id`,
      );
      const id = rows[0].id;
      expect((await api('GET', `/api/requests/${id}/actions`)).body).toEqual({ allowed: ['RECEIVE'], externalSystemStatus: 'Levererad', pending: [] });
      const refused = await take(id, { action: 'RETURN' });
      expect(refused.status).toBe(409);
      expect(refused.body).toMatchObject({ code: 'ACTION_NOT_ALLOWED', allowed: ['RECEIVE'], message: ['Action Not Allowed: RETURN is not allowed while the request is SHIPPED_PHYSICALLY (allowed: RECEIVE)'] });
      const done = await take(id, { action: 'RECEIVE', note: 'Arrived' });
      expect(done.status).toBe(202);
      expect(done.body.action).toMatchObject({ id: null, seq: null, action: 'RECEIVE', nacsisCommand: null, state: 'SENT', local: true, note: 'Arrived' });
      expect(done.body.request).toMatchObject({ status: 'PHYSICALLY_RECEIVED_BY_LIBRARY', syncState: 'IN_SYNC' });
      expect(await actionsOf(id)).toEqual([]);
      expect((await pg.query(`SELECT type, from_status, to_status FROM request_event WHERE request_id = $1`, [id])).rows).toEqual([
        { type: 'ACTION_REQUESTED', from_status: 'SHIPPED_PHYSICALLY', to_status: 'PHYSICALLY_RECEIVED_BY_LIBRARY' },
      ]);
    });

    it('many actions over many requests, with ~30% of NACSIS calls failing, all end SENT, in order, none twice', async () => {
      const lending: Seeded[] = [];
      const borrowing: Seeded[] = [];
      for (let i = 0; i < 10; i++) {
        lending.push(await seed('LENDING', '未処理'));
        borrowing.push(await seed('BORROWING', '発送'));
      }
      await simApi('DELETE', '/_sim/nacsis/calls');
      await simApi('POST', '/_sim/faults/nacsis', { failShare: 0.3, failStatus: 503, seed: 7, latencyMs: 40 });
      try {
        await Promise.all([
          ...lending.map(async ({ requestId }) => {
            expect((await take(requestId, { action: 'ACCEPT' })).status).toBe(202);
            expect((await take(requestId, { action: 'SHIP', fields: { charges: [{ item: 'A4', quantity: 2, unitPrice: 30 }] } })).status).toBe(202);
          }),
          ...borrowing.map(async ({ requestId }) => {
            expect((await take(requestId, { action: 'ACCEPT' })).status).toBe(202);
            expect((await take(requestId, { action: 'RECEIVE' })).status).toBe(202);
          }),
        ]);
        await eventually(
          async () => {
            const { rows } = await pg.query(`SELECT count(*)::int AS n FROM outbound_action WHERE request_id = ANY($1) AND state = 'SENT'`, [[...lending, ...borrowing].map((s) => s.requestId)]);
            return rows[0].n === 40;
          },
          60_000,
          'all 40 actions to be SENT',
        );
      } finally {
        await simApi('DELETE', '/_sim/faults/nacsis');
      }
      const faults = await simApi('GET', '/_sim/faults/nacsis');
      expect(faults.status).toBe(200);
      const calls = (await simApi('GET', '/_sim/nacsis/calls')).body.calls as any[];
      expect(calls.filter((c) => c.httpStatus === 503).length).toBeGreaterThan(5);

      for (const seeded of lending) {
        expect(await history(seeded.recordId)).toEqual(['ORDER:P', 'RECEIVE:US', 'SEND:US']);
        expect((await spcCalls(seeded.recordId)).filter((c) => c.endsWith(':200'))).toEqual(['RECEIVE:200', 'SEND:200']);
        expect((await simRecord(seeded.recordId)).fields.SUM).toBe('60');
        expect(await requestRow(seeded.requestId)).toMatchObject({ sync_state: 'IN_SYNC', external_system_status: '発送' });
      }
      for (const seeded of borrowing) {
        expect(await history(seeded.recordId)).toEqual(['ORDER:US', 'RECEIVE:P', 'SEND:P', 'RECEIVE:US', 'OK:US']);
        expect((await spcCalls(seeded.recordId)).filter((c) => c.endsWith(':200'))).toEqual(['RECEIVE:200', 'OK:200']);
        expect(await requestRow(seeded.requestId)).toMatchObject({ sync_state: 'IN_SYNC', external_system_status: '確認' });
      }
      const metrics = await fetch(`${baseUrl}/metrics`).then((r) => r.text());
      expect(metrics).toMatch(/illbridge_push_attempts_total\{result="transient"\} [1-9]/);
    }, 90_000);

    /** A loan shipped to us, its ACCEPT then the bulk RECEIVE: both SENT in that order, NACSIS called once for each. */
    const expectReceivedAfterAccept = async (s: Seeded) => {
      const { actions, request } = await settled(s.requestId);
      expect(actions.map((a) => [a.seq, a.action, a.state])).toEqual([
        [1, 'ACCEPT', 'SENT'],
        [2, 'RECEIVE', 'SENT'],
      ]);
      expect(request).toMatchObject({ sync_state: 'IN_SYNC', external_system_status: '確認' });
      expect(await spcCalls(s.recordId)).toEqual(['RECEIVE:200', 'OK:200']);
    };

    it('bulk RECEIVE over 5 requests of which 1 is not allowed: 4 accepted, 1 refused with the reason, each pushed after its earlier action; a repeat takes nothing twice', async () => {
      const shippedToUs = await Promise.all([0, 1, 2, 3].map(() => seed('BORROWING', '発送')));
      const notYet = await seed('BORROWING', '未処理');
      const requestIds = [shippedToUs[0], shippedToUs[1], notYet, shippedToUs[2], shippedToUs[3]].map((s) => s.requestId);
      await simApi('POST', '/_sim/faults/nacsis', { latencyMs: 200 });
      const bulkWithKey = async (key: string) => {
        const res = await fetch(`${baseUrl}/api/actions/bulk`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${TEST_ADMIN_KEY}`, 'Idempotency-Key': key },
          body: JSON.stringify({ action: 'RECEIVE', requestIds }),
        });
        return { status: res.status, body: (await res.json()) as any };
      };
      let bulk: Awaited<ReturnType<typeof bulkWithKey>>;
      try {
        // Each loan already has an ACCEPT waiting to be pushed: the bulk RECEIVE must come after it.
        for (const s of shippedToUs) expect((await take(s.requestId, { action: 'ACCEPT' })).status).toBe(202);
        bulk = await bulkWithKey('bulk-receive-1');
      } finally {
        await simApi('POST', '/_sim/faults/nacsis', { latencyMs: 0 });
      }
      expect(bulk.status).toBe(200);
      expect(bulk.body).toMatchObject({ action: 'RECEIVE', accepted: 4, refused: 1 });
      expect(bulk.body.results.map((r: any) => [r.requestId, r.result, r.status])).toEqual([
        [requestIds[0], 'ACCEPTED', 202],
        [requestIds[1], 'ACCEPTED', 202],
        [requestIds[2], 'REFUSED', 409],
        [requestIds[3], 'ACCEPTED', 202],
        [requestIds[4], 'ACCEPTED', 202],
      ]);
      expect(bulk.body.results[2].error).toEqual({
        code: 'NACSIS_ACTION_NOT_ALLOWED',
        message: ['NACSIS Action Not Allowed: RECEIVE is not allowed while the request is 未処理 (allowed: CALLBACK)'],
        allowed: ['CALLBACK'],
        externalSystemStatus: '未処理',
        projectedStatus: '未処理',
      });
      for (const r of bulk.body.results.filter((r: any) => r.result === 'ACCEPTED')) {
        expect(r.action).toMatchObject({ seq: 2, action: 'RECEIVE', nacsisCommand: 'OK', fromExternalStatus: '到着処理中', toExternalStatus: '確認' });
        expect(r.request).toMatchObject({ id: r.requestId, status: 'REQUEST_COMPLETED' });
      }
      for (const s of shippedToUs) {
        await expectReceivedAfterAccept(s);
      }
      expect(await actionsOf(notYet.requestId)).toEqual([]);
      expect(await spcCalls(notYet.recordId)).toEqual([]);

      // The same key again: the accepted ones answer their first answer; nothing new is recorded or pushed.
      const again = await bulkWithKey('bulk-receive-1');
      expect(again.status).toBe(200);
      expect(again.body.results.map((r: any) => r.action?.id ?? r.error.code)).toEqual(bulk.body.results.map((r: any) => r.action?.id ?? r.error.code));
      for (const s of shippedToUs) expect((await actionsOf(s.requestId)).length).toBe(2);
    });

    it('bulk RECEIVE over NACSIS requests, a Libris request and an unknown one: each answered in the order given, the NACSIS ones pushed, the Libris one by its local workflow', async () => {
      const nacsis = await Promise.all([0, 1, 2].map(() => seed('BORROWING', '発送')));
      for (const s of nacsis) expect((await take(s.requestId, { action: 'ACCEPT' })).status).toBe(202);
      const { rows } = await pg.query(
        `INSERT INTO rs_request (system, direction, external_id, status, external_system_status, owner_library_code, format)
         VALUES ('LIBRIS', 'BORROWING', 'Hig-bulk', 'SHIPPED_PHYSICALLY', 'Levererad', 'MAIN', 'LOAN') RETURNING id`,
      );
      const libris: string = rows[0].id;
      const unknown = '00000000-0000-4000-8000-000000000000';
      const requestIds = [nacsis[0].requestId, libris, nacsis[1].requestId, unknown, nacsis[2].requestId];
      const bulk = await api('POST', '/api/actions/bulk', { action: 'RECEIVE', requestIds });
      expect(bulk.status).toBe(200);
      expect(bulk.body).toMatchObject({ action: 'RECEIVE', accepted: 4, refused: 1 });
      expect(bulk.body.results.map((r: any) => [r.requestId, r.result, r.status, r.action?.local ?? r.action?.seq ?? r.error?.code])).toEqual([
        [requestIds[0], 'ACCEPTED', 202, 2],
        [libris, 'ACCEPTED', 202, true],
        [requestIds[2], 'ACCEPTED', 202, 2],
        [unknown, 'REFUSED', 404, 'NOT_FOUND'],
        [requestIds[4], 'ACCEPTED', 202, 2],
      ]);
      expect(bulk.body.results[1].request).toMatchObject({ id: libris, status: 'PHYSICALLY_RECEIVED_BY_LIBRARY' });
      expect(await actionsOf(libris)).toEqual([]);
      for (const s of nacsis) {
        await expectReceivedAfterAccept(s);
        // One ACTION_REQUESTED per action taken, in the order taken.
        const events = (await pg.query(`SELECT type, data->>'action' AS action FROM request_event WHERE request_id = $1 AND type = 'ACTION_REQUESTED' ORDER BY id`, [s.requestId])).rows;
        expect(events).toEqual([
          { type: 'ACTION_REQUESTED', action: 'ACCEPT' },
          { type: 'ACTION_REQUESTED', action: 'RECEIVE' },
        ]);
      }
    });

    it('bulk: 400 listing every problem of the body; a viewer key is refused', async () => {
      const one = await seed('LENDING', '未処理');
      const bad = await api('POST', '/api/actions/bulk', { action: 'TELEPORT', requestIds: [one.requestId, one.requestId, 'nope'] });
      expect(bad.status).toBe(400);
      expect(bad.body.code).toBe('VALIDATION_FAILED');
      expect(bad.body.message).toEqual(
        expect.arrayContaining([
          expect.stringContaining('action must be one of'),
          'requestIds must not name a request twice',
          'each value in requestIds must be a request id (UUID)',
        ]),
      );
      const empty = await api('POST', '/api/actions/bulk', { action: 'ACCEPT', requestIds: [] });
      expect(empty.status).toBe(400);
      expect(empty.body.message).toEqual(['requestIds must contain at least 1 elements']);
      expect((await jsonClient(baseUrl)('POST', '/api/actions/bulk', { action: 'ACCEPT', requestIds: [one.requestId] })).status).toBe(401);
      expect(await actionsOf(one.requestId)).toEqual([]);
    });
  });
});
