import { randomBytes } from 'crypto';
import { resolve } from 'path';
import { Queue } from 'bullmq';
import { AppConfig } from '@illbridge/common';
import { createTestDatabase, eventually, jsonClient, TEST_ADMIN_KEY, TestDatabase, testConfig, wipeQueuePrefix } from '@illbridge/testing';
import { QUEUE, redisOptions, schedulerIdFor } from '@illbridge/queues';
import { RunningService } from '../../scripts/lib/services';
import { faultServices } from '../faults/fault-services';

const LOG_DIR = resolve(__dirname, '..', '..', 'test-artifacts', 'security-keys');

/** Issue 22, items 4, 6 and 7: API keys across services and the queue dashboard, with the services as processes
 *  (the bound of the key cache is proven in libs/common/src/auth.int-spec.ts). */
describe('security: API keys and the queue dashboard (issue 22)', () => {
  const services = faultServices(LOG_DIR);
  let db: TestDatabase;
  let config: AppConfig;
  let admin: RunningService;
  let reporting: RunningService;
  let actions: RunningService;
  let api: ReturnType<typeof jsonClient>;
  const BOOTSTRAP = `bootstrap-${randomBytes(12).toString('hex')}`;

  beforeAll(async () => {
    db = await createTestDatabase();
    config = testConfig(db.url, { bootstrapAdminKey: BOOTSTRAP });
    [admin, reporting, actions] = await Promise.all([
      services.spawn('profile-config', config, {}),
      services.spawn('reporting', config, {}),
      services.spawn('action-push', config, {}),
    ]);
    api = jsonClient(admin.url, BOOTSTRAP);
  }, 120_000);

  afterAll(async () => {
    await services.killAll();
    if (config) await wipeQueuePrefix(config.redisUrl, config.queuePrefix);
    await db?.drop();
  });

  it('item 6: a revoked key is refused by reporting and action-push within a second, though they had just let it in', async () => {
    const { key, id } = (await api('POST', '/api/api-keys', { name: 'leaving soon', role: 'operator' })).body;
    const onReporting = jsonClient(reporting.url, key);
    const onActions = jsonClient(actions.url, key);
    // Both services know the key (and cache it).
    expect((await onReporting('GET', '/api/jobs')).status).toBe(200);
    expect((await onActions('GET', '/api/requests/00000000-0000-4000-8000-000000000000/actions')).status).not.toBe(401);

    expect((await api('DELETE', `/api/api-keys/${id}`)).status).toBe(204);
    const revokedAt = Date.now();
    await eventually(async () => (await onReporting('GET', '/api/jobs')).status === 401 && (await onActions('GET', '/api/requests/00000000-0000-4000-8000-000000000000/actions')).status === 401, 5_000, 'the key to be refused');
    expect(Date.now() - revokedAt).toBeLessThan(1000);
  });

  it('item 7: a revoked bootstrap key stays revoked after the services restart with the same BOOTSTRAP_ADMIN_KEY', async () => {
    const next = (await api('POST', '/api/api-keys', { name: 'the real admin', role: 'admin' })).body;
    const nextApi = jsonClient(admin.url, next.key);
    const bootstrap = ((await nextApi('GET', '/api/api-keys')).body as any[]).find((k) => k.name === 'bootstrap admin');
    expect(bootstrap).toBeDefined();
    expect((await nextApi('DELETE', `/api/api-keys/${bootstrap.id}`)).status).toBe(204);
    expect((await api('GET', '/api/libraries')).status).toBe(401);
    expect(((await nextApi('GET', '/api/api-keys')).body as any[]).map((k) => k.name)).not.toContain('bootstrap admin');

    await admin.stop();
    admin = await services.spawn('profile-config', config, {});
    await reporting.stop();
    reporting = await services.spawn('reporting', config, {});
    expect((await jsonClient(admin.url, BOOTSTRAP)('GET', '/api/libraries')).status).toBe(401);
    expect((await jsonClient(reporting.url, BOOTSTRAP)('GET', '/api/jobs')).status).toBe(401);
    expect((await jsonClient(admin.url, next.key)('GET', '/api/libraries')).status).toBe(200);
    // Deleting it again: it is gone.
    expect((await jsonClient(admin.url, next.key)('DELETE', `/api/api-keys/${bootstrap.id}`)).status).toBe(404);
    // A new BOOTSTRAP_ADMIN_KEY value (a rotation) is an admin key again.
    const rotated = `bootstrap-${randomBytes(12).toString('hex')}`;
    await admin.stop();
    admin = await services.spawn('profile-config', { ...config, bootstrapAdminKey: rotated }, {});
    expect((await jsonClient(admin.url, rotated)('GET', '/api/api-keys')).status).toBe(200);
    api = jsonClient(admin.url, rotated);
  }, 120_000);

  it('item 4: the queue dashboard is read-only for an operator (no schedule edit, delete or run); an admin may act', async () => {
    const adminKey = (await api('POST', '/api/api-keys', { name: 'dash admin', role: 'admin' })).body.key;
    const operatorKey = (await api('POST', '/api/api-keys', { name: 'dash operator', role: 'operator' })).body.key;
    await api('POST', '/api/libraries', { code: 'MAIN', name: 'Main', resourceSharing: true });
    const profile = await api('POST', '/api/integration-profiles', {
      code: 'DAILY', name: 'Daily', integrationType: 'RESOURCE_SHARING', system: 'LIBRIS', baseUrl: 'https://iller.libris.kb.se/librisfjarrlan/api',
      libraryCode: 'Hig', resourceSharingLibraryCode: 'MAIN', authentication: { enabled: true, apiKey: 'k' }, harvestStartDate: '2026-01-01',
      schedule: { type: 'DAILY', time: '02:30', timezone: 'Europe/Stockholm' }, active: true,
    });
    expect(profile.status).toBe(201);
    const schedulerId = schedulerIdFor(profile.body.id);
    const queue = new Queue(QUEUE.IMPORT, { connection: redisOptions(config.redisUrl, 'producer'), prefix: config.queuePrefix });
    try {
      const scheduled = await eventually(() => queue.getJobScheduler(schedulerId), 10_000, 'the schedule');
      const dashboard = (key: string) => (method: string, path: string, body?: unknown) =>
        fetch(`${reporting.url}/queues/api${path}`, {
          method,
          headers: { Authorization: `Basic ${Buffer.from(`anyone:${key}`).toString('base64')}`, 'Content-Type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      const asOperator = dashboard(operatorKey);
      const queues: any = await (await asOperator('GET', '/queues')).json();
      expect(queues.queues.length).toBeGreaterThan(0);
      expect(queues.queues.every((q: any) => q.readOnlyMode === true)).toBe(true);

      const path = `/queues/${QUEUE.IMPORT}/job-schedulers/${encodeURIComponent(schedulerId)}`;
      expect((await asOperator('PATCH', path, { every: 3000 })).status).toBe(405);
      expect((await asOperator('PUT', `${path}/run`)).status).toBe(405);
      expect((await asOperator('PUT', `${path}/remove`)).status).toBe(405);
      expect((await asOperator('PUT', `/queues/${QUEUE.IMPORT}/pause`)).status).toBe(405);
      await asOperator('PUT', '/queues/pause'); // "pause all" skips read-only queues
      // Nothing changed.
      expect(await queue.getJobScheduler(schedulerId)).toMatchObject({ pattern: scheduled.pattern, tz: scheduled.tz });
      expect(await queue.isPaused()).toBe(false);

      const asAdmin = dashboard(adminKey);
      expect((((await (await asAdmin('GET', '/queues')).json()) as any).queues as any[]).every((q) => q.readOnlyMode === false)).toBe(true);
      expect((await asAdmin('PUT', `/queues/${QUEUE.IMPORT}/pause`)).status).toBe(200);
      expect(await queue.isPaused()).toBe(true);
      expect((await asAdmin('PUT', `/queues/${QUEUE.IMPORT}/resume`)).status).toBe(200);
      // Viewers do not get in at all.
      const viewerKey = (await api('POST', '/api/api-keys', { name: 'dash viewer', role: 'viewer' })).body.key;
      expect((await dashboard(viewerKey)('GET', '/queues')).status).toBe(403);
    } finally {
      await queue.close();
    }
  });
});
