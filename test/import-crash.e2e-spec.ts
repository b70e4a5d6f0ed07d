import { INestApplication } from '@nestjs/common';
import { Client } from 'pg';
import { resolve } from 'path';
import { AppConfig } from '@illbridge/common';
import { createTestDatabase, eventually, jsonClient, serviceEnv, TEST_ADMIN_KEY, TestDatabase, testConfig, wipeQueuePrefix } from '@illbridge/testing';
import { createProfileConfigApp } from '../apps/profile-config/src/main';
import { RunningSimulator, startSimulator } from '../apps/ill-simulator/src/simulator';
import { freePort, RunningService, startService, waitForHealth } from '../scripts/lib/services';
import { faultScale } from './faults/scale';

/** kill -9 of the import worker in the middle of a run: the job is retried by a new worker and the run
 *  ends as an uninterrupted run would — every request once, no duplicates, the same counters. */
describe('import worker killed mid-run (end to end)', () => {
  const SIGEL = 'Hig';
  const COUNT = faultScale(1500, 10_000);
  let db: TestDatabase;
  let config: AppConfig;
  let admin: INestApplication;
  let sim: RunningSimulator;
  let pg: Client;
  let worker: RunningService | undefined;
  const logDir = resolve(__dirname, '..', 'test-artifacts', 'import-crash');
  const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);

  const spawnWorker = async () => {
    const service = startService(
      'import-worker',
      serviceEnv(config, { IMPORT_BATCH_SIZE: '25', IMPORT_LOCK_MS: '2000' }),
      { port: await freePort(), logDir },
    );
    return service;
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    config = testConfig(db.url);
    sim = await startSimulator({ logLevels: false });
    admin = await createProfileConfigApp(config);
    await admin.listen(0, '127.0.0.1');
    pg = new Client({ connectionString: db.url });
    await pg.connect();
    const simApi = jsonClient(sim.url);
    await simApi('POST', '/_sim/libris/keys', { sigel: SIGEL, apiKey: 'k-123' });
    await simApi('POST', '/_sim/libris/generate', { sigel: SIGEL, count: COUNT, from: daysAgo(240), to: daysAgo(0), seed: 9, unknownSigelShare: 0 });
    const api = jsonClient((await admin.getUrl()).replace('[::1]', '127.0.0.1'), TEST_ADMIN_KEY);
    await api('POST', '/api/libraries', { code: 'MAIN', name: 'Main', resourceSharing: true });
    const profile = await api('POST', '/api/integration-profiles', {
      code: 'CRASH', name: 'Crash test', integrationType: 'RESOURCE_SHARING', system: 'LIBRIS', baseUrl: `${sim.url}/libris/api`,
      libraryCode: SIGEL, resourceSharingLibraryCode: 'MAIN', authentication: { enabled: true, apiKey: 'k-123' },
      harvestStartDate: daysAgo(240), schedule: { type: 'NOT_SCHEDULED' },
    });
    await api('PUT', `/api/integration-profiles/${profile.body.id}/library-mappings`, [{ libraryCode: 'MAIN', externalLibraryCode: SIGEL }]);
    // Slow Libris down (8 windows of 31 days, 800 ms each) so the kill lands in the middle of the run.
    await simApi('POST', '/_sim/faults/libris', { latencyMs: 800 });
    const started = await api('POST', `/api/integration-profiles/${profile.body.id}/run`);
    expect(started.status).toBe(202);
    (globalThis as any).jobRunId = started.body.jobRunId;
  });

  afterAll(async () => {
    await worker?.stop('SIGKILL');
    await admin?.close();
    await sim?.close();
    await pg?.end();
    await wipeQueuePrefix(config.redisUrl, config.queuePrefix);
    await db?.drop();
  });

  it('resumes the run in a new worker and ends with every request exactly once', async () => {
    const jobRunId = (globalThis as any).jobRunId as string;
    worker = await spawnWorker();
    const mid = await eventually(async () => {
      const { rows } = await pg.query(`SELECT state, records_read, (SELECT count(*)::int FROM rs_request) AS stored FROM job_run WHERE id = $1`, [jobRunId]);
      return rows[0]?.state === 'RUNNING' && rows[0].stored > 0 ? rows[0] : null;
    }, 60_000, 'the run to be half-way');
    worker.process.kill('SIGKILL');
    await worker.stop();
    const storedAtKill = (await pg.query('SELECT count(*)::int AS n FROM rs_request')).rows[0].n;
    expect(storedAtKill).toBeGreaterThan(0);
    expect(storedAtKill).toBeLessThan(COUNT);
    expect(mid.state).toBe('RUNNING');

    worker = await spawnWorker();
    await waitForHealth(worker);
    const run = await eventually(async () => {
      const { rows } = await pg.query('SELECT * FROM job_run WHERE id = $1', [jobRunId]);
      return rows[0] && !['PENDING', 'RUNNING'].includes(rows[0].state) ? rows[0] : null;
    }, faultScale(90_000, 500_000), 'the resumed run to end');

    expect(run.state).toBe('COMPLETED_SUCCESSFULLY');
    expect(run.attempts).toBeGreaterThanOrEqual(2);
    expect(run.counters).toMatchObject({ totalRecordsProcessed: COUNT, created: COUNT, updated: 0, unchanged: 0, borrowingFailed: 0 });
    const { rows } = await pg.query(`SELECT count(*)::int AS requests, count(DISTINCT external_id)::int AS distinct_ids FROM rs_request`);
    expect(rows[0]).toEqual({ requests: COUNT, distinct_ids: COUNT });
    const created = await pg.query(`SELECT count(*)::int AS n FROM request_event WHERE type = 'CREATED'`);
    expect(created.rows[0].n).toBe(COUNT); // one creation event per request, none twice
  }, faultScale(180_000, 600_000));
});
