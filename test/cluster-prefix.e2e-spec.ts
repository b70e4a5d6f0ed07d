import { INestApplication } from '@nestjs/common';
import { randomBytes } from 'crypto';
import Redis from 'ioredis';
import { Client } from 'pg';
import { AppConfig, SecretBox } from '@illbridge/common';
import { CatpClient, nacsisDatabaseOf } from '@illbridge/connectors/nacsis';
import { QUEUE } from '@illbridge/queues';
import { createTestDatabase, eventually, jsonClient, TEST_ADMIN_KEY, TestDatabase, testConfig, wipeQueuePrefix } from '@illbridge/testing';
import { createActionPushApp } from '../apps/action-push/src/main';
import { PushSettings } from '../apps/action-push/src/push-settings';
import { createImportWorkerApp } from '../apps/import-worker/src/main';
import { createProfileConfigApp } from '../apps/profile-config/src/main';
import { createReportingApp } from '../apps/reporting/src/main';
import { RunningSimulator, startSimulator } from '../apps/ill-simulator/src/simulator';
import { urlOf } from './support/stack';

// ioredis' own dependency: the slot a key hashes to on a Redis Cluster (CRC16 of its {hash tag}, mod 16384).
// eslint-disable-next-line @typescript-eslint/no-var-requires
const clusterKeySlot: (key: string) => number = require('cluster-key-slot');

/** With a hash-tagged QUEUE_PREFIX (`{…}`, as a Redis Cluster needs) the four services run an import and push an
 *  action, and every key they made in Redis lies under the prefix and hashes to one cluster slot. */
describe('a Redis Cluster hash-tagged QUEUE_PREFIX (end to end)', () => {
  const US = 'FA100001';
  const PARTNER = 'FA200002';
  const US_LOGIN = { userId: 'us-user', password: 'us-password' };
  const tag = `ilbt-${randomBytes(4).toString('hex')}`;
  let db: TestDatabase;
  let config: AppConfig;
  let sim: RunningSimulator;
  let pg: Client;
  const apps: INestApplication[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    config = testConfig(db.url, { queuePrefix: `{${tag}}` });
    sim = await startSimulator({ logLevels: false });
    pg = new Client({ connectionString: db.url });
    await pg.connect();
  });

  afterAll(async () => {
    for (const app of apps.reverse()) await app.close();
    await sim?.close();
    await pg?.end();
    if (config) await wipeQueuePrefix(config.redisUrl, config.queuePrefix);
    await db?.drop();
  });

  it('keeps every key of an import and a push under the prefix, in one slot', async () => {
    const admin = await createProfileConfigApp(config);
    apps.push(admin);
    await admin.listen(0, '127.0.0.1');
    const worker = await createImportWorkerApp(config);
    apps.push(worker);
    await worker.init();
    const reporting = await createReportingApp(config);
    apps.push(reporting);
    await reporting.listen(0, '127.0.0.1');
    const push = await createActionPushApp(config, new PushSettings({ backoffBaseMs: 20, backoffCapMs: 200, sweepIntervalMs: 500 }));
    apps.push(push);
    await push.listen(0, '127.0.0.1');

    // An import (Libris), run now.
    const simApi = jsonClient(sim.url);
    const api = jsonClient(await urlOf(admin), TEST_ADMIN_KEY);
    const today = new Date().toISOString().slice(0, 10);
    await simApi('POST', '/_sim/libris/keys', { sigel: 'Hig', apiKey: 'k' });
    await simApi('POST', '/_sim/libris/generate', { sigel: 'Hig', count: 5, from: today, to: today, seed: 4, unknownSigelShare: 0 });
    await api('POST', '/api/libraries', { code: 'MAIN', name: 'Main', resourceSharing: true });
    const profile = await api('POST', '/api/integration-profiles', {
      code: 'CL', name: 'Cluster', integrationType: 'RESOURCE_SHARING', system: 'LIBRIS', baseUrl: `${sim.url}/libris/api`, libraryCode: 'Hig',
      resourceSharingLibraryCode: 'MAIN', authentication: { enabled: true, apiKey: 'k' }, harvestStartDate: today, schedule: { type: 'NOT_SCHEDULED' },
    });
    expect(profile.status).toBe(201);
    await api('PUT', `/api/integration-profiles/${profile.body.id}/library-mappings`, [{ libraryCode: 'MAIN', externalLibraryCode: 'Hig' }]);
    expect((await api('POST', `/api/integration-profiles/${profile.body.id}/run`)).status).toBe(202);
    await eventually(
      async () => (await pg.query(`SELECT 1 FROM job_run WHERE profile_id = $1 AND finished_at IS NOT NULL`, [profile.body.id])).rowCount === 1,
      30_000,
      'the import run to finish',
    );

    // A push (NACSIS ACCEPT of a lending request, seeded as the import leaves it).
    await simApi('POST', '/_sim/nacsis/participants', { participantId: US, name: 'Us', ...US_LOGIN });
    await simApi('POST', '/_sim/nacsis/participants', { participantId: PARTNER, name: 'Partner' });
    const secret = new SecretBox(config.secretsKey).encrypt(US_LOGIN.password);
    const nacsis = await pg.query(
      `INSERT INTO integration_profile (code, name, system, base_url, library_code, resource_sharing_library_code, auth_enabled, auth_user_id, secret_enc, version)
       VALUES ('NACSIS_CL', 'NACSIS', 'NACSIS', $1, $2, 'MAIN', true, $3, $4, 1) RETURNING id`,
      [`${sim.url}/nacsis/catp`, US, US_LOGIN.userId, secret],
    );
    const created = await simApi('POST', '/_sim/nacsis/records', { as: PARTNER, candidates: [US], service: 'COPY', stat: '未処理' });
    expect(created.status).toBe(201);
    const catp = new CatpClient({ baseUrl: `${sim.url}/nacsis/catp`, timeoutMs: 5000 });
    const handle = await catp.getHandle(US_LOGIN.userId, US_LOGIN.password);
    const page = await catp.retrieve(handle, nacsisDatabaseOf('LENDING', 'COPY'), [created.body.id], 1, 1);
    const request = await pg.query(
      `INSERT INTO rs_request (profile_id, system, direction, external_id, status, external_system_status, partner_code, owner_library_code, format, title, raw)
       VALUES ($1, 'NACSIS', 'LENDING', $2, 'BEING_PROCESSED', '未処理', $3, 'MAIN', 'COPY', 'Seeded', $4) RETURNING id`,
      [nacsis.rows[0].id, created.body.id, PARTNER, JSON.stringify(page.records[0])],
    );
    const pushApi = jsonClient(await urlOf(push), TEST_ADMIN_KEY);
    expect((await pushApi('POST', `/api/requests/${request.rows[0].id}/actions`, { action: 'ACCEPT' })).status).toBe(202);
    await eventually(
      async () => (await pg.query(`SELECT state FROM outbound_action WHERE request_id = $1`, [request.rows[0].id])).rows[0]?.state === 'SENT',
      30_000,
      'the ACCEPT to be SENT',
    );

    // Every key that names this run's tag: under the prefix, all in the prefix's slot.
    const redis = new Redis(config.redisUrl);
    const keys: string[] = [];
    try {
      let cursor = '0';
      do {
        const [next, found] = await redis.scan(cursor, 'MATCH', `*${tag}*`, 'COUNT', 1000);
        keys.push(...found);
        cursor = next;
      } while (cursor !== '0');
    } finally {
      redis.disconnect();
    }
    const queues = new Set(keys.map((key) => key.split(':')[1]));
    expect([...queues]).toEqual(expect.arrayContaining([QUEUE.IMPORT, QUEUE.PUSH, QUEUE.REPORT_EVENTS]));
    const slot = clusterKeySlot(`{${tag}}`);
    expect(keys.filter((key) => !key.startsWith(`{${tag}}:`))).toEqual([]);
    expect(keys.filter((key) => clusterKeySlot(key) !== slot)).toEqual([]);
  });
});
