import { INestApplication } from '@nestjs/common';
import { Client } from 'pg';
import { AppConfig } from '@illbridge/common';
import { createTestDatabase, eventually, jsonClient, TEST_ADMIN_KEY, TestDatabase, testConfig, wipeQueuePrefix } from '@illbridge/testing';
import { createImportWorkerApp } from '../apps/import-worker/src/main';
import { ImportSettings } from '../apps/import-worker/src/import-settings';
import { createProfileConfigApp } from '../apps/profile-config/src/main';
import { createReportingApp } from '../apps/reporting/src/main';
import { RunningSimulator, startSimulator } from '../apps/ill-simulator/src/simulator';

/** A profile's INTERVAL schedule really fires (a schedule minute shortened to 200 ms with SCHEDULE_MINUTE_MS, so
 *  `everyMinutes: 5` fires every second): SCHEDULED runs execute and complete, and a tick that meets the run still
 *  going is recorded in the job history as SKIPPED with JOB_ALREADY_RUNNING. */
describe('scheduled imports (end to end)', () => {
  const SIGEL = 'Hig';
  let db: TestDatabase;
  let config: AppConfig;
  let admin: INestApplication;
  let worker: INestApplication;
  let reporting: INestApplication;
  let sim: RunningSimulator;
  let pg: Client;
  let api: ReturnType<typeof jsonClient>;
  let reports: ReturnType<typeof jsonClient>;
  let simApi: ReturnType<typeof jsonClient>;
  let profileId: string;
  const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);
  const urlOf = async (app: INestApplication) => (await app.getUrl()).replace('[::1]', '127.0.0.1');
  const previous = process.env.SCHEDULE_MINUTE_MS;

  beforeAll(async () => {
    process.env.SCHEDULE_MINUTE_MS = '200';
    db = await createTestDatabase();
    config = testConfig(db.url);
    sim = await startSimulator({ logLevels: false });
    simApi = jsonClient(sim.url);
    admin = await createProfileConfigApp(config);
    await admin.listen(0, '127.0.0.1');
    reporting = await createReportingApp(config);
    await reporting.listen(0, '127.0.0.1');
    worker = await createImportWorkerApp(config, new ImportSettings({ librisMaxRequestsPerSecond: 1000, httpTimeoutMs: 5000, retry: { attempts: 2, baseDelayMs: 20, maxDelayMs: 100 } }));
    await worker.init();
    api = jsonClient(await urlOf(admin), TEST_ADMIN_KEY);
    reports = jsonClient(await urlOf(reporting), TEST_ADMIN_KEY);
    pg = new Client({ connectionString: db.url });
    await pg.connect();
    await simApi('POST', '/_sim/libris/keys', { sigel: SIGEL, apiKey: 'k' });
    expect((await simApi('POST', '/_sim/libris/generate', { sigel: SIGEL, count: 5, from: daysAgo(20), to: daysAgo(1), seed: 7, unknownSigelShare: 0 })).status).toBe(201);
    expect((await api('POST', '/api/libraries', { code: 'MAIN', name: 'Huvudbiblioteket', resourceSharing: true })).status).toBe(201);
  });

  afterAll(async () => {
    if (previous === undefined) delete process.env.SCHEDULE_MINUTE_MS;
    else process.env.SCHEDULE_MINUTE_MS = previous;
    if (profileId) await api('PATCH', `/api/integration-profiles/${profileId}`, { schedule: { type: 'NOT_SCHEDULED' } }).catch(() => undefined);
    await worker?.close();
    await reporting?.close();
    await admin?.close();
    await sim?.close();
    await pg?.end();
    if (config) await wipeQueuePrefix(config.redisUrl, config.queuePrefix);
    await db?.drop();
  });

  it('an INTERVAL schedule fires by itself: SCHEDULED runs complete, an overlapping tick is SKIPPED in the job history', async () => {
    // Each Libris call takes 700 ms, so a run outlasts the 1-second interval and the next tick meets it.
    await simApi('POST', '/_sim/faults/libris', { latencyMs: 700 });
    const created = await api('POST', '/api/integration-profiles', {
      code: 'LIBRIS_SCHEDULED',
      name: 'Libris scheduled',
      integrationType: 'RESOURCE_SHARING',
      system: 'LIBRIS',
      baseUrl: `${sim.url}/libris/api`,
      libraryCode: SIGEL,
      resourceSharingLibraryCode: 'MAIN',
      authentication: { enabled: true, apiKey: 'k' },
      harvestStartDate: daysAgo(30),
      granularity: 'DAY',
      schedule: { type: 'INTERVAL', everyMinutes: 5 },
    });
    expect(created.body).toMatchObject({ id: expect.any(String), nextRunAt: expect.any(String) });
    profileId = created.body.id;
    expect((await api('PUT', `/api/integration-profiles/${profileId}/library-mappings`, [{ libraryCode: 'MAIN', externalLibraryCode: SIGEL }])).status).toBe(200);

    const history = await eventually(
      async () => {
        const res = await reports('GET', `/api/integration-profiles/${profileId}/job-history`);
        const runs = (res.body.items ?? []) as any[];
        return runs.some((r) => r.state === 'SKIPPED') && runs.some((r) => r.trigger === 'SCHEDULED' && r.state === 'COMPLETED_SUCCESSFULLY') ? runs : null;
      },
      30_000,
      'a scheduled run to complete and a tick to be skipped',
    );
    // Nobody asked for a run: every run came from the schedule.
    expect(history.every((r) => r.trigger === 'SCHEDULED')).toBe(true);
    const skipped = history.find((r) => r.state === 'SKIPPED');
    const report = await reports('GET', `/api/jobs/${skipped.id}`);
    expect(report.body.error).toMatchObject({ code: 'JOB_ALREADY_RUNNING' });
    expect(JSON.stringify(report.body.error)).toContain('LIBRIS_SCHEDULED');
    const { rows } = await pg.query(`SELECT count(*)::int AS n FROM rs_request WHERE profile_id = $1`, [profileId]);
    expect(rows[0].n).toBe(5);
  });
});
