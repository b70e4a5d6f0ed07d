import { INestApplication } from '@nestjs/common';
import { eventually, jsonClient, TEST_ADMIN_KEY } from '@illbridge/testing';
import { createActionPushApp } from '../apps/action-push/src/main';
import { PushSettings } from '../apps/action-push/src/push-settings';
import { createImportWorkerApp } from '../apps/import-worker/src/main';
import { ImportSettings } from '../apps/import-worker/src/import-settings';
import { createProfileConfigApp } from '../apps/profile-config/src/main';
import { createReportingApp } from '../apps/reporting/src/main';
import { NacsisWorld, PARTNER, Seeded, startNacsisWorld, US } from './support/nacsis-fixtures';
import { runProfileNow } from './support/runs';
import { urlOf } from './support/stack';

/** The NACSIS sync reconciles instead of rewinding (issue 13, item 5), end to end: action-push (its worker giving up
 *  after 2 attempts), profile-config's run now, the import worker and reporting against the CATP simulator. A sync
 *  leaves alone the local status of a request whose actions are still being pushed; for a request whose push
 *  failed it compares NACSIS's record with the failed action and records a RECONCILED event saying which side was
 *  right: NACSIS shows the action (it got through, the answer was lost) → SENT and IN_SYNC; NACSIS differs → the
 *  request stays PUSH_FAILED. */
describe('NACSIS sync reconciles with pushes (end to end)', () => {
  let world: NacsisWorld;
  const apps: INestApplication[] = [];
  let admin: ReturnType<typeof jsonClient>;
  let push: ReturnType<typeof jsonClient>;
  let reports: ReturnType<typeof jsonClient>;

  const started = async (app: INestApplication) => {
    apps.push(app);
    await app.listen(0, '127.0.0.1');
    return jsonClient(await urlOf(app), TEST_ADMIN_KEY);
  };
  const sync = async () => {
    const run = await runProfileNow(admin, world.pg, world.profileId);
    expect({ state: run.state, error: run.error }).toEqual({ state: 'COMPLETED_SUCCESSFULLY', error: null });
    return run;
  };
  const detail = async (seeded: Seeded) => {
    const answer = await reports('GET', `/api/requests/${seeded.requestId}`);
    expect(answer.status).toBe(200);
    return answer.body;
  };
  const outbound = async (seeded: Seeded) => (await push('GET', `/api/requests/${seeded.requestId}/outbound-actions`)).body as any[];
  const accept = async (seeded: Seeded) => {
    const answer = await push('POST', `/api/requests/${seeded.requestId}/actions`, { action: 'ACCEPT' });
    expect(answer.status).toBe(202);
    return answer.body;
  };
  /** ACCEPT taken while NACSIS fails twice: the worker gives its push up (PUSH_MAX_ATTEMPTS 2). */
  const failedAccept = async (seeded: Seeded) => {
    expect((await world.simApi('POST', '/_sim/faults/nacsis', { failNext: 2, failStatus: 503 })).status).toBe(200);
    const taken = await accept(seeded);
    await eventually(async () => (await outbound(seeded))[0]?.state === 'FAILED', 20_000, 'the push to be given up');
    expect((await world.simApi('DELETE', '/_sim/faults/nacsis')).status).toBe(200);
    expect(await detail(seeded)).toMatchObject({ syncState: 'PUSH_FAILED', status: taken.request.status });
    return taken;
  };
  const reconciled = (request: any) => request.events.filter((e: any) => e.type === 'RECONCILED');

  beforeAll(async () => {
    world = await startNacsisWorld();
    admin = await started(await createProfileConfigApp(world.config));
    push = await started(await createActionPushApp(world.config, new PushSettings({ maxAttempts: 2, backoffBaseMs: 20, backoffCapMs: 600_000, sweepIntervalMs: 0, httpTimeoutMs: 2000 })));
    reports = await started(await createReportingApp(world.config));
    const worker = await createImportWorkerApp(world.config, new ImportSettings({ httpTimeoutMs: 2000, retry: { attempts: 3, baseDelayMs: 20, maxDelayMs: 100 } }));
    apps.push(worker);
    await worker.init();
    expect((await admin('POST', '/api/libraries', { code: 'MAIN', name: '本館', resourceSharing: true })).status).toBe(201);
    expect((await admin('POST', '/api/partners', { code: PARTNER, name: '相手大学図書館', system: 'NACSIS' })).status).toBe(201);
    expect((await admin('PUT', `/api/integration-profiles/${world.profileId}/library-mappings`, [{ libraryCode: 'MAIN', externalLibraryCode: US }])).status).toBe(200);
    await world.pg.query(`UPDATE integration_profile SET harvest_start_date = '2026-11-20' WHERE id = $1`, [world.profileId]);
  });

  afterAll(async () => {
    for (const app of apps.reverse()) await app.close();
    await world?.close();
  });

  it('(a) leaves the local status of a request whose action is still being pushed, and still updates NACSIS status and data', async () => {
    const seeded = await world.seed('LENDING', '未処理');
    const before = await detail(seeded);
    // The first attempt is answered 503 "retry in 10 minutes": the ACCEPT waits, PENDING, for its next attempt.
    expect((await world.simApi('POST', '/_sim/faults/nacsis', { failNext: 1, failStatus: 503, retryAfterSeconds: 600 })).status).toBe(200);
    const taken = await accept(seeded);
    expect(taken.request.status).not.toBe(before.status);
    await eventually(async () => (await outbound(seeded))[0]?.attempts === 1, 20_000, 'the first attempt to fail');
    expect((await world.simApi('DELETE', '/_sim/faults/nacsis')).status).toBe(200);

    await sync();
    const after = await detail(seeded);
    // NACSIS still shows the record before our ACCEPT: the sync does not rewind the status ACCEPT set.
    expect(after).toMatchObject({ status: taken.request.status, syncState: 'PUSH_PENDING', externalSystemStatus: '未処理' });
    expect(after.title).not.toBe('Seeded');
    expect(after.title).toBeTruthy();
    expect((await outbound(seeded)).map((a) => [a.action, a.state])).toEqual([['ACCEPT', 'PENDING']]);
    expect(reconciled(after)).toEqual([]);
  });

  it('(b) a failed push that NACSIS carried out after all: the action SENT, the request IN_SYNC, a RECONCILED event', async () => {
    const seeded = await world.seed('LENDING', '未処理');
    const taken = await failedAccept(seeded);
    // Our RECEIVE reached NACSIS, only the answer was lost.
    expect((await world.simApi('POST', `/_sim/nacsis/records/${seeded.recordId}/act`, { as: US, command: 'RECEIVE' })).body.stat).toBe('処理中');

    await sync();
    const after = await detail(seeded);
    expect(after).toMatchObject({ syncState: 'IN_SYNC', syncError: null, externalSystemStatus: '処理中', status: taken.request.status });
    expect((await outbound(seeded)).map((a) => [a.action, a.state])).toEqual([['ACCEPT', 'SENT']]);
    const events = reconciled(after);
    expect(events).toHaveLength(1);
    expect(events[0].message).toMatch(/^Reconciled with NACSIS: ACCEPT \(#1, NACSIS RECEIVE\) is on the NACSIS record \(STAT 処理中\).*the local side was right; the action is marked SENT$/);
    // The next action is judged on what NACSIS has, and pushed.
    const ship = await push('POST', `/api/requests/${seeded.requestId}/actions`, { action: 'SHIP', fields: { charges: [{ item: 'A4', quantity: 1, unitPrice: 30 }], postage: 84 } });
    expect(ship.status).toBe(202);
    await eventually(async () => (await outbound(seeded)).every((a) => a.state === 'SENT'), 20_000, 'SHIP to be pushed');
    expect((await world.history(seeded.recordId)).slice(-2)).toEqual(['RECEIVE:US', 'SEND:US']);
  });

  it('(c) a failed push NACSIS never saw: RECONCILED says NACSIS differs, the request stays PUSH_FAILED, once per NACSIS state', async () => {
    const seeded = await world.seed('LENDING', '未処理');
    const taken = await failedAccept(seeded);

    await sync();
    let after = await detail(seeded);
    expect(after).toMatchObject({ syncState: 'PUSH_FAILED', externalSystemStatus: '未処理', status: taken.request.status });
    expect((await outbound(seeded)).map((a) => [a.action, a.state])).toEqual([['ACCEPT', 'FAILED']]);
    expect(reconciled(after).map((e: any) => e.message)).toEqual([
      `Reconciled with NACSIS: NACSIS differs: ACCEPT (#1, NACSIS RECEIVE) is not on the NACSIS record (STAT 未処理; the action leads to 処理中), so NACSIS is right and the local status ${taken.request.status} is ahead of it; the push stays FAILED until an operator retries or discards it`,
    ]);

    // The same NACSIS state is not judged again at the next sync.
    await sync();
    after = await detail(seeded);
    expect(reconciled(after)).toHaveLength(1);
    expect(after.syncState).toBe('PUSH_FAILED');

    // The operator retries: pushed now, and IN_SYNC.
    const [failed] = await outbound(seeded);
    expect((await push('POST', `/api/outbound-actions/${failed.id}/retry`)).status).toBe(200);
    await eventually(async () => (await outbound(seeded))[0].state === 'SENT', 20_000, 'the retried ACCEPT to be pushed');
    expect(await detail(seeded)).toMatchObject({ syncState: 'IN_SYNC', externalSystemStatus: '処理中' });
  });
});
