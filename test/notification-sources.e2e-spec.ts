import { INestApplication } from '@nestjs/common';
import { NotificationSettings, verifySignature } from '@illbridge/notifications';
import { eventually, jsonClient, TEST_ADMIN_KEY } from '@illbridge/testing';
import { createActionPushApp } from '../apps/action-push/src/main';
import { PushSettings } from '../apps/action-push/src/push-settings';
import { buildScenario } from '../apps/ill-simulator/src/netpunkt/netpunkt-scenarios';
import { createProfileConfigApp } from '../apps/profile-config/src/main';
import { createReportingApp } from '../apps/reporting/src/main';
import { consoleSettings } from '../apps/reporting/src/console/console-settings';
import { NacsisWorld, PARTNER, startNacsisWorld } from './support/nacsis-fixtures';
import { startWebhookReceiver, WebhookReceiver } from './support/receivers';
import { urlOf } from './support/stack';

/** The other places that raise notifications, end to end: a push NACSIS-ILL refuses (action-push's drainer) and
 *  Netpunkt receipts refused for a reason other than a wrong password (profile-config), told to a global webhook. */
describe('notification sources (end to end)', () => {
  const PASSWORD = 'netpunkt-shared-secret';
  const OUR_ISIL = 'DK-820010';
  let world: NacsisWorld;
  let admin: INestApplication;
  let push: INestApplication;
  let reporting: INestApplication;
  let receiver: WebhookReceiver;
  let api: ReturnType<typeof jsonClient>;
  let pushApi: ReturnType<typeof jsonClient>;
  let receiptEndpoint: string;
  let secret: string;
  const told = (type: string) =>
    receiver.received
      .filter((h) => h.headers['x-illbridge-event'] === type)
      .map((h) => {
        expect(verifySignature(h.body, secret, String(h.headers['x-illbridge-signature']))).toBe(true);
        return JSON.parse(h.body);
      });
  const postReceipt = async (xml: string) => {
    const res = await fetch(receiptEndpoint, { method: 'POST', headers: { 'Content-Type': 'text/xml; charset=utf-8' }, body: xml });
    return /<(?:\w+:)?receiptStatus>([^<]+)</.exec(await res.text())?.[1];
  };

  beforeAll(async () => {
    world = await startNacsisWorld();
    receiver = await startWebhookReceiver();
    admin = await createProfileConfigApp(world.config);
    await admin.listen(0, '127.0.0.1');
    push = await createActionPushApp(world.config, new PushSettings({ backoffBaseMs: 20, backoffCapMs: 200, httpTimeoutMs: 3000, sweepIntervalMs: 500 }));
    await push.listen(0, '127.0.0.1');
    reporting = await createReportingApp(world.config, consoleSettings(), new NotificationSettings({ attempts: 3, backoffBaseMs: 50, backoffCapMs: 200, staleCheckEveryMs: 0 }));
    await reporting.listen(0, '127.0.0.1');
    api = jsonClient(await urlOf(admin), TEST_ADMIN_KEY);
    pushApi = jsonClient(await urlOf(push), TEST_ADMIN_KEY);
    receiptEndpoint = `${await urlOf(admin)}/netpunkt/receipt`;
    const hook = await api('POST', '/api/notification-subscribers', { profileId: null, channel: 'WEBHOOK', name: 'everything', url: `${receiver.url}/hooks/all` });
    expect(hook.status).toBe(201);
    secret = hook.body.secret;
  });

  afterAll(async () => {
    await push?.close();
    await reporting?.close();
    await admin?.close();
    await receiver?.close();
    await world?.close();
  });

  it('a push NACSIS-ILL refuses raises PUSH_FAILED for its profile', async () => {
    const borrowing = await world.seed('BORROWING', '発送');
    // The lender calls its shipment back before our ACCEPT reaches NACSIS: NACSIS refuses the ACCEPT.
    expect((await world.simApi('POST', `/_sim/nacsis/records/${borrowing.recordId}/act`, { as: PARTNER, command: 'CALLBACK' })).status).toBe(200);
    expect((await pushApi('POST', `/api/requests/${borrowing.requestId}/actions`, { action: 'ACCEPT' })).status).toBe(202);
    const [event] = await eventually(async () => told('PUSH_FAILED').length > 0 && told('PUSH_FAILED'), 20_000, 'PUSH_FAILED');
    const [action] = await world.actionsOf(borrowing.requestId);
    expect(action.state).toBe('FAILED');
    expect(event).toMatchObject({
      id: `push-failed:${action.id}:1`,
      profile: { id: world.profileId, code: 'NACSIS_E2E', system: 'NACSIS' },
      data: { requestId: borrowing.requestId, actionId: action.id, action: 'ACCEPT', seq: 1 },
    });
    expect(event.summary).toContain('refused by NACSIS-ILL');
    expect((await world.requestRow(borrowing.requestId)).sync_state).toBe('PUSH_FAILED');

    // An operator retries it; NACSIS refuses it again: told again, as a failure of its own.
    expect((await pushApi('POST', `/api/outbound-actions/${action.id}/retry`)).status).toBe(200);
    const again = await eventually(async () => told('PUSH_FAILED').length > 1 && told('PUSH_FAILED'), 20_000, 'a second PUSH_FAILED');
    const [retried] = await world.actionsOf(borrowing.requestId);
    expect([retried.state, retried.attempts]).toEqual(['FAILED', 2]);
    expect(again.map((e: any) => e.id)).toEqual([`push-failed:${action.id}:1`, `push-failed:${action.id}:2`]);
    expect(again[1].data).toMatchObject({ actionId: action.id, action: 'ACCEPT', seq: 1 });
  });

  it('Netpunkt receipts refused for an unmapped pickup or an unknown requester are told; a wrong password is not', async () => {
    expect([201, 409]).toContain((await api('POST', '/api/libraries', { code: 'MAIN', name: 'Hovedbiblioteket', resourceSharing: true })).status);
    const profile = await api('POST', '/api/integration-profiles', {
      code: 'NETPUNKT', name: 'Netpunkt', integrationType: 'RESOURCE_SHARING', system: 'NETPUNKT', libraryCode: OUR_ISIL,
      resourceSharingLibraryCode: 'MAIN', authentication: { enabled: true, password: PASSWORD },
    });
    expect(profile.status).toBe(201);
    expect((await api('PUT', `/api/integration-profiles/${profile.body.id}/library-mappings`, [{ libraryCode: 'MAIN', externalLibraryCode: OUR_ISIL }])).status).toBe(200);
    const params = { password: PASSWORD, requesterId: OUR_ISIL, pickUpAgencyId: OUR_ISIL, responderId: 'DK-710100' };
    expect(await postReceipt(buildScenario('wrong-password', params).xml)).toBe('fatal_internal_error');
    const unmapped = buildScenario('minimal', { ...params, pickUpAgencyId: 'DK-899999' });
    expect(await postReceipt(unmapped.xml)).toBe('fatal_internal_error');
    const stranger = buildScenario('minimal', { ...params, requesterId: 'DK-800000', pickUpAgencyId: 'DK-800001' });
    expect(await postReceipt(stranger.xml)).toBe('fatal_internal_error');
    const events = await eventually(async () => told('NETPUNKT_RECEIPT_REFUSED').length >= 2 && told('NETPUNKT_RECEIPT_REFUSED'), 10_000, 'two refusals told');
    await new Promise((r) => setTimeout(r, 500));
    expect(told('NETPUNKT_RECEIPT_REFUSED')).toHaveLength(2);
    const byOrder = Object.fromEntries(events.map((e: any) => [e.data.orderId, e]));
    expect(byOrder[unmapped.orderId]).toMatchObject({ profile: { code: 'NETPUNKT' }, data: { reason: expect.stringContaining('Pickup agency DK-899999 is not mapped in profile NETPUNKT') } });
    expect(byOrder[stranger.orderId]).toMatchObject({ profile: null, data: { reason: expect.stringContaining('no active Netpunkt profile for requester DK-800000') } });
  });
});
