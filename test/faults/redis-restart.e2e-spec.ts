import { INestApplication } from '@nestjs/common';
import { Client } from 'pg';
import { resolve } from 'path';
import { AppConfig } from '@illbridge/common';
import { createTestDatabase, eventually, jsonClient, TEST_ADMIN_KEY, testConfig, TestDatabase } from '@illbridge/testing';
import { createProfileConfigApp } from '../../apps/profile-config/src/main';
import { RunningSimulator, startSimulator } from '../../apps/ill-simulator/src/simulator';
import { NacsisWorld, startNacsisWorld } from '../support/nacsis-fixtures';
import { pushesUnderWay } from './lender-pushes';
import { PrivateRedis, startPrivateRedis } from '../support/servers';
import { faultServices } from './fault-services';
import { faultScale } from './scale';
import { urlOf } from '../support/stack';
import { daysAgo } from '../support/runs';

/** Redis killed and started again empty (no persistence: every job, schedule and lock is gone) while
 *  the services work. The test has its own Redis server, so the other test files never notice.
 *  Postgres is the truth: runs whose job was lost are enqueued again, schedules are rebuilt, pushes
 *  left unfinished are found again — and nothing is done twice. */
describe('Redis restarted and wiped under load (fault suite)', () => {
  const logDir = resolve(__dirname, '..', '..', 'test-artifacts', 'faults-redis');
  let redis: PrivateRedis;
  const { spawn, health, killAll } = faultServices(logDir);

  beforeAll(async () => {
    redis = await startPrivateRedis();
  });

  afterAll(async () => {
    await killAll();
    await redis?.destroy();
  });

  describe('imports and schedules', () => {
    const COUNT = faultScale(1_200, 8_000);
    const RESTARTS = faultScale(1, 3);
    let db: TestDatabase;
    let config: AppConfig;
    let admin: INestApplication;
    let sim: RunningSimulator;
    let pg: Client;

    beforeAll(async () => {
      db = await createTestDatabase();
      config = testConfig(db.url, { redisUrl: redis.url });
      sim = await startSimulator({ logLevels: false });
      admin = await createProfileConfigApp(config);
      await admin.listen(0, '127.0.0.1');
      pg = new Client({ connectionString: db.url });
      await pg.connect();
    });

    afterAll(async () => {
      await admin?.close();
      await sim?.close();
      await pg?.end();
      await db?.drop();
    });

    it(`finishes a running and a queued run, each request once, and rebuilds the schedules, although Redis restarted empty ${RESTARTS} time(s); schedule changes answer 503 meanwhile`, async () => {
      const simApi = jsonClient(sim.url);
      const adminUrl = await urlOf(admin);
      const api = jsonClient(adminUrl, TEST_ADMIN_KEY);
      expect((await api('POST', '/api/libraries', { code: 'MAIN', name: 'Main', resourceSharing: true })).status).toBe(201);
      const profiles: { id: string; sigel: string }[] = [];
      for (const [i, sigel] of ['Hig', 'Umu'].entries()) {
        await simApi('POST', '/_sim/libris/keys', { sigel, apiKey: `k-${sigel}` });
        await simApi('POST', '/_sim/libris/generate', { sigel, count: COUNT / 2, from: daysAgo(200), to: daysAgo(0), seed: 31 + i, unknownSigelShare: 0 });
        const created = await api('POST', '/api/integration-profiles', {
          code: `REDIS${i}`, name: `Redis fault ${sigel}`, integrationType: 'RESOURCE_SHARING', system: 'LIBRIS', baseUrl: `${sim.url}/libris/api`,
          libraryCode: sigel, resourceSharingLibraryCode: 'MAIN', authentication: { enabled: true, apiKey: `k-${sigel}` },
          harvestStartDate: daysAgo(200), schedule: { type: 'DAILY', time: '03:15', timezone: 'Europe/Stockholm' },
        });
        expect(created.status).toBe(201);
        expect(created.body.nextRunAt).not.toBeNull();
        await api('PUT', `/api/integration-profiles/${created.body.id}/library-mappings`, [{ libraryCode: 'MAIN', externalLibraryCode: sigel }]);
        profiles.push({ id: created.body.id, sigel });
      }
      await simApi('POST', '/_sim/faults/libris', { latencyMs: 500 });
      // One run at a time, so that the second run waits in the queue while the first one runs.
      const worker = await spawn('import-worker', config, { IMPORT_BATCH_SIZE: '50', IMPORT_CONCURRENCY: '1', IMPORT_RECOVERY_MS: '500', IMPORT_STALE_RUN_MS: '5000' });
      const first = await api('POST', `/api/integration-profiles/${profiles[0].id}/run`);
      const second = await api('POST', `/api/integration-profiles/${profiles[1].id}/run`);
      expect([first.status, second.status]).toEqual([202, 202]);
      const runIds: string[] = [first.body.jobRunId, second.body.jobRunId];
      const runState = async (id: string) => (await pg.query('SELECT * FROM job_run WHERE id = $1', [id])).rows[0];

      for (let i = 0; i < RESTARTS; i++) {
        const threshold = Math.floor(((i + 1) * COUNT) / (2 * (RESTARTS + 2)));
        await eventually(async () => {
          const { rows } = await pg.query(`SELECT count(*)::int AS n FROM rs_request`);
          return rows[0].n >= threshold ? true : null;
        }, 120_000, `${threshold} requests stored`);
        if (i === 0) expect((await runState(runIds[1])).state).toBe('PENDING'); // queued behind the first
        await redis.kill();
        try {
          // While Redis is away: health says which part is down.
          const down = await eventually(async () => {
            const h = await health(adminUrl);
            return h.status === 503 ? h : null;
          }, 10_000, 'health to report Redis down');
          expect(down.body).toMatchObject({ status: 'error', error: { redis: { status: 'down' } }, info: { database: { status: 'up' } } });
          // A schedule change needs Redis: refused with 503, and the profile keeps its old schedule.
          const refused = await api('PATCH', `/api/integration-profiles/${profiles[1].id}`, { schedule: { type: 'DAILY', time: '04:45', timezone: 'Europe/Stockholm' } });
          expect(refused.status).toBe(503);
          expect(refused.body.code).toBe('SERVICE_UNAVAILABLE');
          const kept = await pg.query('SELECT schedule_type, schedule_time FROM integration_profile WHERE id = $1', [profiles[1].id]);
          expect(kept.rows[0]).toEqual({ schedule_type: 'DAILY', schedule_time: '03:15' });
        } finally {
          await redis.start(); // empty: the queued job, the running job's lock and both schedules are gone
        }
      }

      // The schedules are rebuilt by the worker without anyone touching the profiles.
      for (const profile of profiles) {
        const shown = await eventually(async () => {
          const res = await api('GET', `/api/integration-profiles/${profile.id}`);
          return res.status === 200 && res.body.nextRunAt ? res.body : null;
        }, 30_000, `the schedule of ${profile.sigel} to be rebuilt`);
        expect(new Date(shown.nextRunAt).getTime()).toBeGreaterThan(Date.now());
      }
      const ended = [];
      for (const id of runIds) {
        ended.push(
          await eventually(async () => {
            const run = await runState(id);
            return run && !['PENDING', 'RUNNING'].includes(run.state) ? run : null;
          }, 180_000, `run ${id} to end`),
        );
      }
      expect(worker.process.exitCode).toBeNull();
      expect(ended.map((r) => r.state)).toEqual(['COMPLETED_SUCCESSFULLY', 'COMPLETED_SUCCESSFULLY']);
      for (const run of ended) {
        expect(run.counters).toMatchObject({ totalRecordsProcessed: COUNT / 2, created: COUNT / 2, updated: 0, unchanged: 0, borrowingFailed: 0, lendingFailed: 0 });
      }
      const { rows } = await pg.query(`SELECT count(*)::int AS requests, count(DISTINCT (profile_id, external_id))::int AS distinct_ids FROM rs_request`);
      expect(rows[0]).toEqual({ requests: COUNT, distinct_ids: COUNT });
      const created = await pg.query(`SELECT count(*)::int AS events, count(DISTINCT request_id)::int AS requests FROM request_event WHERE type = 'CREATED'`);
      expect(created.rows[0]).toEqual({ events: COUNT, requests: COUNT });
      // Every run of the test is one of the two: the 503s made none, the recovery made no second run.
      expect((await pg.query('SELECT count(*)::int AS n FROM job_run')).rows[0].n).toBe(2);
      expect((await health(adminUrl)).status).toBe(200);
    }, 420_000);
  });

  describe('push to NACSIS-ILL', () => {
    let world: NacsisWorld;

    beforeAll(async () => {
      world = await startNacsisWorld({ redisUrl: redis.url });
    });

    afterAll(async () => {
      await world?.close();
    });

    it('pushes every action once and in order although Redis restarted empty mid-drain', async () => {
      const REQUESTS = faultScale(20, 100);
      const { finish } = await pushesUnderWay(world, REQUESTS, (env) => spawn('action-push', world.config, env));
      await redis.restartWiped();
      await finish();
    }, 300_000);
  });
});
