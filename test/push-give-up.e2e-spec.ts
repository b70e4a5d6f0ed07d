import { INestApplication } from '@nestjs/common';
import { resolve } from 'path';
import { eventually, jsonClient, serviceEnv, TEST_ADMIN_KEY } from '@illbridge/testing';
import { createReportingApp } from '../apps/reporting/src/main';
import { freePort, RunningService, startService, waitForHealth } from '../scripts/lib/services';
import { NacsisWorld, Seeded, spcCallsOf, startNacsisWorld, US, US_LOGIN } from './support/nacsis-fixtures';
import { urlOf } from './support/stack';

/** Pushes that cannot succeed stop and say so (issue 13, item 4): action-push runs as a process with small
 *  PUSH_MAX_ATTEMPTS / PUSH_GIVE_UP_AFTER_MS, the simulator keeps failing (5xx, 5xx with Retry-After, a changed
 *  password), and what a librarian and an operator check is asserted: the action FAILED with the last reason and the
 *  action behind it waiting, the request PUSH_FAILED in the request list's syncState facet, the
 *  `illbridge_push_failed_requests` gauge, and retry (or discard) once the cause is gone. */
describe('pushes that keep failing are given up (end to end)', () => {
  const MAX_ATTEMPTS = 5;
  const GIVE_UP_AFTER_MS = 2500;
  let world: NacsisWorld;
  let worker: RunningService;
  let reporting: INestApplication;
  let push: ReturnType<typeof jsonClient>;
  let reports: ReturnType<typeof jsonClient>;

  const faults = async (settings: Record<string, unknown> | null) => {
    const answer = settings ? await world.simApi('POST', '/_sim/faults/nacsis', settings) : await world.simApi('DELETE', '/_sim/faults/nacsis');
    expect(answer.status).toBe(200);
  };
  const take = async (seeded: Seeded, body: Record<string, unknown>) => {
    const answer = await push('POST', `/api/requests/${seeded.requestId}/actions`, body);
    expect({ status: answer.status, body: answer.status === 202 ? null : answer.body }).toEqual({ status: 202, body: null });
    return answer.body.action;
  };
  const outbound = async (seeded: Seeded) => {
    const answer = await push('GET', `/api/requests/${seeded.requestId}/outbound-actions`);
    expect(answer.status).toBe(200);
    return answer.body as any[];
  };
  const detail = async (seeded: Seeded) => {
    const answer = await reports('GET', `/api/requests/${seeded.requestId}`);
    expect(answer.status).toBe(200);
    return answer.body;
  };
  const failedFirst = (seeded: Seeded) =>
    eventually(async () => {
      const actions = await outbound(seeded);
      return actions[0]?.state === 'FAILED' ? actions : null;
    }, 30_000, 'the push to be given up');
  const allSent = (seeded: Seeded, count: number) =>
    eventually(async () => {
      const actions = await outbound(seeded);
      return actions.length === count && actions.every((a) => a.state === 'SENT') ? actions : null;
    }, 30_000, 'every action to be SENT');
  const failedGauge = async () => {
    const answer = await jsonClient(worker.url)('GET', '/metrics');
    expect(answer.status).toBe(200);
    const line = String(answer.body)
      .split('\n')
      .find((l) => l.startsWith('illbridge_push_failed_requests{profile="NACSIS_E2E"}'));
    return line === undefined ? undefined : Number(line.split(' ').at(-1));
  };
  const pushFailedFacet = async () => {
    const answer = await reports('GET', '/api/lending-requests?limit=1');
    expect(answer.status).toBe(200);
    return answer.body.facets.syncState.find((f: any) => f.value === 'PUSH_FAILED')?.count ?? 0;
  };

  beforeAll(async () => {
    world = await startNacsisWorld();
    const port = await freePort();
    worker = startService(
      'action-push',
      serviceEnv(world.config, {
        PUSH_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
        PUSH_GIVE_UP_AFTER_MS: String(GIVE_UP_AFTER_MS),
        PUSH_BACKOFF_MS: '20',
        PUSH_BACKOFF_CAP_MS: '1500',
        PUSH_HTTP_TIMEOUT_MS: '2000',
        PUSH_SWEEP_MS: '300',
      }),
      { port, logDir: resolve(__dirname, '..', 'test-artifacts', 'push-give-up') },
    );
    await waitForHealth(worker);
    push = jsonClient(worker.url, TEST_ADMIN_KEY);
    reporting = await createReportingApp(world.config);
    await reporting.listen(0, '127.0.0.1');
    reports = jsonClient(await urlOf(reporting), TEST_ADMIN_KEY);
  });

  afterAll(async () => {
    await world?.simApi('POST', '/_sim/nacsis/participants', { participantId: US, name: '架空大学附属図書館', ...US_LOGIN }).catch(() => undefined);
    await reporting?.close();
    await worker?.stop();
    await world?.close();
  });

  it(`gives up after PUSH_MAX_ATTEMPTS (${MAX_ATTEMPTS}) failed attempts, holds the action behind it, shows it, and a retry pushes both`, async () => {
    const seeded = await world.seed('LENDING', '未処理');
    expect(await failedGauge()).toBe(0);
    await faults({ failShare: 1, failStatus: 503 });
    await take(seeded, { action: 'ACCEPT' });
    await take(seeded, { action: 'SHIP', fields: { charges: [{ item: 'A4', quantity: 2, unitPrice: 30 }], postage: 84 } });

    const [accept, ship] = await failedFirst(seeded);
    expect(accept).toMatchObject({ action: 'ACCEPT', state: 'FAILED', attempts: MAX_ATTEMPTS });
    expect(accept.lastError).toMatch(/HTTP 503/);
    expect(ship).toMatchObject({ action: 'SHIP', state: 'PENDING', attempts: 0 });
    const request = await detail(seeded);
    expect(request.syncState).toBe('PUSH_FAILED');
    expect(request.syncError).toMatch(new RegExp(`^ACCEPT \\(#1, NACSIS RECEIVE\\) given up after ${MAX_ATTEMPTS} attempts \\(PUSH_MAX_ATTEMPTS ${MAX_ATTEMPTS}\\): .*HTTP 503`));
    expect(request.events.filter((e: any) => e.type === 'ACTION_FAILED').map((e: any) => e.message)).toEqual([request.syncError]);
    expect(await pushFailedFacet()).toBe(1);
    expect(await failedGauge()).toBe(1);

    // Given up means given up: the sweeps (every 300 ms) do not try again, and SHIP waits behind ACCEPT.
    const calls = (await world.calls()).length;
    await new Promise((r) => setTimeout(r, 1500));
    expect((await world.calls()).length).toBe(calls);
    expect((await outbound(seeded)).map((a) => a.state)).toEqual(['FAILED', 'PENDING']);

    await faults(null);
    const retried = await push('POST', `/api/outbound-actions/${accept.id}/retry`);
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({ state: 'PENDING', attempts: MAX_ATTEMPTS });
    await allSent(seeded, 2);
    expect(await detail(seeded)).toMatchObject({ syncState: 'IN_SYNC', syncError: null, externalSystemStatus: '発送' });
    expect((await world.history(seeded.recordId)).slice(-2)).toEqual(['RECEIVE:US', 'SEND:US']);
    expect(spcCallsOf(await world.calls(), seeded.recordId).filter((c) => c.endsWith(':200'))).toEqual(['RECEIVE:200', 'SEND:200']);
    expect(await pushFailedFacet()).toBe(0);
    expect(await failedGauge()).toBe(0);
  });

  it(`gives up PUSH_GIVE_UP_AFTER_MS (${GIVE_UP_AFTER_MS} ms) after the first attempt, before the attempts run out; a discard releases the request`, async () => {
    const seeded = await world.seed('LENDING', '未処理');
    const seededStatus = (await detail(seeded)).status;
    // Every answer asks to wait a second: the attempts are a second apart, so time runs out first.
    await faults({ failShare: 1, failStatus: 503, retryAfterSeconds: 1 });
    await take(seeded, { action: 'ACCEPT' });

    const [accept] = await failedFirst(seeded);
    expect(accept.attempts).toBeGreaterThanOrEqual(2);
    expect(accept.attempts).toBeLessThan(MAX_ATTEMPTS);
    expect(accept.lastError).toMatch(/HTTP 503/);
    const request = await detail(seeded);
    expect(request.syncState).toBe('PUSH_FAILED');
    expect(request.syncError).toMatch(new RegExp(`given up after ${accept.attempts} attempts over \\d+(\\.\\d)? s since the first \\(PUSH_GIVE_UP_AFTER_MS 2.5 s\\)`));
    expect(await pushFailedFacet()).toBe(1);
    expect(await failedGauge()).toBe(1);

    await faults(null);
    const discarded = await push('POST', `/api/outbound-actions/${accept.id}/discard`);
    expect(discarded.status).toBe(200);
    expect(discarded.body.state).toBe('DISCARDED');
    expect(await detail(seeded)).toMatchObject({ syncState: 'IN_SYNC', status: seededStatus, externalSystemStatus: '未処理' });
    expect((await world.history(seeded.recordId)).at(-1)).toBe('ORDER:P');
    expect(await pushFailedFacet()).toBe(0);
    expect(await failedGauge()).toBe(0);
  });

  it("stops at once when NACSIS refuses the profile's password again after a new login; a retry after the fix pushes it", async () => {
    const seeded = await world.seed('LENDING', '未処理');
    // The password was changed at NACSIS: every login with the profile's one is refused (CATP 401).
    expect((await world.simApi('POST', '/_sim/nacsis/participants', { participantId: US, name: '架空大学附属図書館', userId: US_LOGIN.userId, password: 'changed-at-nacsis' })).status).toBe(201);
    expect((await world.simApi('POST', '/_sim/nacsis/faults', { expireHandles: true })).status).toBe(200);
    await take(seeded, { action: 'ACCEPT' });

    const [accept] = await failedFirst(seeded);
    expect(accept).toMatchObject({ state: 'FAILED', attempts: 1 });
    expect(accept.lastError).toMatch(/GETHANDLE answered 401/);
    const request = await detail(seeded);
    expect(request.syncState).toBe('PUSH_FAILED');
    expect(request.syncError).toMatch(/refused the profile's user id or password again after a new login/);
    expect(await failedGauge()).toBe(1);
    expect(await pushFailedFacet()).toBe(1);

    expect((await world.simApi('POST', '/_sim/nacsis/participants', { participantId: US, name: '架空大学附属図書館', ...US_LOGIN })).status).toBe(201);
    expect((await push('POST', `/api/outbound-actions/${accept.id}/retry`)).status).toBe(200);
    await allSent(seeded, 1);
    expect(await detail(seeded)).toMatchObject({ syncState: 'IN_SYNC', externalSystemStatus: '処理中' });
    expect(await failedGauge()).toBe(0);
  });
});
