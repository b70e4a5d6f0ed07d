import { INestApplication } from '@nestjs/common';
import { Client } from 'pg';
import { AppConfig } from '@illbridge/common';
import { createTestDatabase, jsonClient, TEST_ADMIN_KEY, TestDatabase, testConfig, wipeQueuePrefix } from '@illbridge/testing';
import { createActionPushApp } from '../apps/action-push/src/main';
import { PushSettings } from '../apps/action-push/src/push-settings';
import { createProfileConfigApp } from '../apps/profile-config/src/main';
import { createReportingApp } from '../apps/reporting/src/main';
import { consoleSettings } from '../apps/reporting/src/console/console-settings';
import { urlOf } from './support/stack';

/** Who did what: an operator's action shows the operator key's name in the request history and in /api/audit;
 *  a profile change shows the changed fields before → after with the password masked. */
describe('audit (end to end)', () => {
  const FIRST_PASSWORD = 'first-nacsis-password-4f3e';
  const SECOND_PASSWORD = 'second-nacsis-password-9a8b';
  let db: TestDatabase;
  let config: AppConfig;
  const apps: INestApplication[] = [];
  let pg: Client;
  let admin: ReturnType<typeof jsonClient>;
  let reportingAdmin: ReturnType<typeof jsonClient>;
  let pushUrl: string;
  let reportingUrl: string;
  const listen = async (app: INestApplication) => {
    apps.push(app);
    await app.listen(0, '127.0.0.1');
    return urlOf(app);
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    config = testConfig(db.url);
    admin = jsonClient(await listen(await createProfileConfigApp(config)), TEST_ADMIN_KEY);
    pushUrl = await listen(await createActionPushApp(config, new PushSettings({ worker: false, sweepIntervalMs: 0 })));
    reportingUrl = await listen(await createReportingApp(config, consoleSettings({})));
    reportingAdmin = jsonClient(reportingUrl, TEST_ADMIN_KEY);
    pg = new Client({ connectionString: db.url });
    await pg.connect();
  });

  afterAll(async () => {
    await pg?.end();
    for (const app of apps) await app.close();
    await wipeQueuePrefix(config.redisUrl, config.queuePrefix);
    await db?.drop();
  });

  it('shows a profile change before → after, the password masked, with the admin key as actor', async () => {
    expect((await admin('POST', '/api/libraries', { code: 'MAIN', name: 'Main', resourceSharing: true })).status).toBe(201);
    const created = await admin('POST', '/api/integration-profiles', {
      code: 'NACSIS_A', name: 'NACSIS before', integrationType: 'RESOURCE_SHARING', system: 'NACSIS', baseUrl: 'http://127.0.0.1:9/catp',
      libraryCode: 'FA012345', resourceSharingLibraryCode: 'MAIN', harvestStartDate: '2026-01-01', schedule: { type: 'NOT_SCHEDULED' },
      authentication: { enabled: true, userId: 'u1', password: FIRST_PASSWORD },
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    const patched = await admin('PATCH', `/api/integration-profiles/${id}`, { name: 'NACSIS after', authentication: { enabled: true, userId: 'u2', password: SECOND_PASSWORD } });
    expect(patched.status).toBe(200);

    const trail = await reportingAdmin('GET', `/api/audit?entity=integration-profile&entityId=${id}`);
    expect(trail.status).toBe(200);
    expect(trail.body.items.map((e: any) => e.action)).toEqual(['UPDATE', 'CREATE']); // newest first
    const update = trail.body.items[0];
    expect(update.actor).toMatchObject({ keyName: 'bootstrap admin', role: 'admin' });
    // Only what changed (the job name follows the profile's name); the passwords as ***.
    expect(update.before).toEqual({ name: 'NACSIS before', jobName: 'Import resource sharing requests using profile NACSIS before', 'authentication.userId': 'u1', 'authentication.password': '***' });
    expect(update.after).toEqual({ name: 'NACSIS after', jobName: 'Import resource sharing requests using profile NACSIS after', 'authentication.userId': 'u2', 'authentication.password': '***' });
    const everything = JSON.stringify(trail.body);
    expect(everything).not.toContain(FIRST_PASSWORD);
    expect(everything).not.toContain(SECOND_PASSWORD);
  });

  it("shows the operator key's name in the request history and in /api/audit", async () => {
    const key = await admin('POST', '/api/api-keys', { name: 'Night desk operator', role: 'operator' });
    expect(key.status).toBe(201);
    const { rows } = await pg.query(
      `INSERT INTO rs_request (system, direction, external_id, status, owner_library_code, title) VALUES ('LIBRIS', 'BORROWING', 'LF-AUDIT-1', 'CREATED_BORROWING_REQUEST', 'MAIN', 'Audited') RETURNING id`,
    );
    const requestId = rows[0].id;
    const operator = jsonClient(pushUrl, key.body.key);
    const send = () => operator('POST', `/api/requests/${requestId}/actions`, { action: 'SEND', note: 'sent by post' }, { 'Idempotency-Key': 'audit-send-1' });
    const first = await send();
    expect(first.status).toBe(202);
    // The same click sent again (a lost answer): the first answer, nothing taken, and nothing more in the audit below.
    const repeat = await send();
    expect([repeat.status, repeat.body.action.id]).toEqual([202, first.body.action.id]);

    const detail = await jsonClient(reportingUrl, key.body.key)('GET', `/api/requests/${requestId}`);
    expect(detail.status).toBe(200);
    const staffEvent = detail.body.events.find((e: any) => e.type === 'ACTION_REQUESTED');
    expect(staffEvent.actor).toEqual({ keyId: key.body.id, keyName: 'Night desk operator' });

    const byActor = await reportingAdmin('GET', `/api/audit?actor=${encodeURIComponent('Night desk operator')}`);
    expect(byActor.body.total).toBe(1);
    expect(byActor.body.items[0]).toMatchObject({
      actor: { keyId: key.body.id, keyName: 'Night desk operator', role: 'operator' },
      action: 'ACTION',
      entity: { type: 'request', id: requestId },
      after: { action: 'SEND', note: 'sent by post', status: 'REQUEST_SENT_TO_PARTNER' },
    });
    expect((await reportingAdmin('GET', `/api/audit?actor=${key.body.id}&entity=request`)).body.total).toBe(1);
    // The key's creation is audited too, its secret masked.
    const keyEvent = (await reportingAdmin('GET', `/api/audit?entity=api-key&entityId=${key.body.id}`)).body.items[0];
    expect(keyEvent).toMatchObject({ action: 'CREATE', after: { name: 'Night desk operator', role: 'operator', key: '***' } });
    expect(JSON.stringify(keyEvent)).not.toContain(key.body.key);
  });

  it('filters by time, pages as every list does, and is for admins only', async () => {
    const all = await reportingAdmin('GET', '/api/audit?limit=2');
    expect(all.body).toMatchObject({ limit: 2, offset: 0 });
    expect(all.body.items).toHaveLength(2);
    expect(all.body.total).toBeGreaterThanOrEqual(4);
    const second = await reportingAdmin('GET', '/api/audit?limit=2&offset=2');
    expect(second.body.items[0].id).not.toBe(all.body.items[0].id);
    expect((await reportingAdmin('GET', '/api/audit?from=2999-01-01')).body.total).toBe(0);
    expect((await reportingAdmin('GET', '/api/audit?to=2000-01-01')).body.total).toBe(0);
    const bad = await reportingAdmin('GET', '/api/audit?from=yesterday&limit=0');
    expect(bad.status).toBe(400);
    expect(bad.body.message).toEqual(expect.arrayContaining([expect.stringMatching(/^from must be an ISO 8601/), expect.stringMatching(/limit/)]));
    const operatorKey = await admin('POST', '/api/api-keys', { name: 'Another operator', role: 'operator' });
    expect((await jsonClient(reportingUrl, operatorKey.body.key)('GET', '/api/audit')).status).toBe(403);
  });
});
