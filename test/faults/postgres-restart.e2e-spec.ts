import { INestApplication } from '@nestjs/common';
import { Client } from 'pg';
import { resolve } from 'path';
import { AppConfig } from '@illbridge/common';
import { eventually, jsonClient, TEST_ADMIN_KEY, testConfig, TestDatabase, wipeQueuePrefix } from '@illbridge/testing';
import { createProfileConfigApp } from '../../apps/profile-config/src/main';
import { buildScenario } from '../../apps/ill-simulator/src/netpunkt/netpunkt-scenarios';
import { sendReceipt } from '../../apps/ill-simulator/src/netpunkt/netpunkt-sender';
import { RunningSimulator, startSimulator } from '../../apps/ill-simulator/src/simulator';
import { NacsisWorld, startNacsisWorld } from '../support/nacsis-fixtures';
import { pushesUnderWay } from './lender-pushes';
import { migratedDatabase, PrivatePostgres, startPrivatePostgres } from '../support/servers';
import { faultServices } from './fault-services';
import { faultScale } from './scale';
import { urlOf } from '../support/stack';
import { daysAgo } from '../support/runs';

/** Postgres restarted (crashed: `pg_ctl stop -m immediate`, down for a few seconds, started again) while
 *  the services work. Each test has its own Postgres server, so the other test files never notice.
 *  For each: the end state is the one an uninterrupted run reaches — no request lost or doubled, no
 *  NACSIS command applied twice, every action pushed in order — and the services answer 503 while the
 *  database is away and recover without a restart of their own. */
describe('Postgres restarted under load (fault suite)', () => {
  const OUTAGE_MS = 3_000;
  const logDir = resolve(__dirname, '..', '..', 'test-artifacts', 'faults-postgres');
  let server: PrivatePostgres;
  let db: TestDatabase;
  const { spawn, health, killAll } = faultServices(logDir);
  /** Crashes Postgres and keeps it down for `OUTAGE_MS`; `during` runs while it is down. */
  const outage = async (during?: () => Promise<void>) => {
    await server.stop('immediate');
    const downSince = Date.now();
    try {
      await during?.();
      await new Promise((r) => setTimeout(r, Math.max(0, OUTAGE_MS - (Date.now() - downSince))));
    } finally {
      await server.start();
    }
  };
  /** A client for the test's own checks; an error event (the server went away) is not a test failure. */
  const connect = async (url: string) => {
    const client = new Client({ connectionString: url });
    client.on('error', () => undefined);
    await client.connect();
    return client;
  };

  beforeAll(async () => {
    server = await startPrivatePostgres();
  }, 120_000);

  afterAll(async () => {
    await killAll();
    await server?.destroy();
  });

  describe('Libris import', () => {
    const SIGEL = 'Hig';
    const COUNT = faultScale(1_500, 12_000);
    const RESTARTS = faultScale(1, 3);
    let config: AppConfig;
    let admin: INestApplication;
    let sim: RunningSimulator;
    let pg: Client;

    beforeAll(async () => {
      db = await migratedDatabase(server, 'illbridge_import');
      config = testConfig(db.url);
      sim = await startSimulator({ logLevels: false });
      admin = await createProfileConfigApp(config);
      await admin.listen(0, '127.0.0.1');
      pg = await connect(db.url);
    }, 120_000);

    afterAll(async () => {
      await admin?.close();
      await sim?.close();
      await pg?.end().catch(() => undefined);
      await wipeQueuePrefix(config.redisUrl, config.queuePrefix);
    });

    it(`imports every request exactly once although Postgres crashed ${RESTARTS} time(s) mid-run; the admin API answers 503 meanwhile`, async () => {
      const simApi = jsonClient(sim.url);
      await simApi('POST', '/_sim/libris/keys', { sigel: SIGEL, apiKey: 'k-123' });
      await simApi('POST', '/_sim/libris/generate', { sigel: SIGEL, count: COUNT, from: daysAgo(240), to: daysAgo(0), seed: 21, unknownSigelShare: 0 });
      const adminUrl = await urlOf(admin);
      const api = jsonClient(adminUrl, TEST_ADMIN_KEY);
      expect((await api('POST', '/api/libraries', { code: 'MAIN', name: 'Main', resourceSharing: true })).status).toBe(201);
      const profile = await api('POST', '/api/integration-profiles', {
        code: 'PGFAULT', name: 'Postgres fault', integrationType: 'RESOURCE_SHARING', system: 'LIBRIS', baseUrl: `${sim.url}/libris/api`,
        libraryCode: SIGEL, resourceSharingLibraryCode: 'MAIN', authentication: { enabled: true, apiKey: 'k-123' },
        harvestStartDate: daysAgo(240), schedule: { type: 'NOT_SCHEDULED' },
      });
      expect(profile.status).toBe(201);
      await api('PUT', `/api/integration-profiles/${profile.body.id}/library-mappings`, [{ libraryCode: 'MAIN', externalLibraryCode: SIGEL }]);
      // Slow windows, so that the run is still going when Postgres goes away.
      await simApi('POST', '/_sim/faults/libris', { latencyMs: 600 });
      // The refresh budget lifted above COUNT: the second run below reads every open request again.
      const worker = await spawn('import-worker', config, { IMPORT_BATCH_SIZE: '50', IMPORT_LOCK_MS: '5000', LIBRIS_REFRESH_PER_RUN: String(COUNT) });
      const started = await api('POST', `/api/integration-profiles/${profile.body.id}/run`);
      expect(started.status).toBe(202);
      const jobRunId: string = started.body.jobRunId;

      const storedAtCrash: number[] = [];
      for (let i = 0; i < RESTARTS; i++) {
        const threshold = Math.floor(((i + 1) * COUNT) / (RESTARTS + 2));
        const mid = await eventually(async () => {
          const { rows } = await pg.query(`SELECT state, (SELECT count(*)::int FROM rs_request) AS stored FROM job_run WHERE id = $1`, [jobRunId]);
          return rows[0]?.state === 'RUNNING' && rows[0].stored >= threshold ? rows[0] : null;
        }, 120_000, `the run to have stored ${threshold} requests`);
        storedAtCrash.push(mid.stored);
        await pg.end().catch(() => undefined);
        await outage(async () => {
          // While the database is away: health says which part is down, the API answers 503 and saves nothing.
          const down = await eventually(async () => {
            const h = await health(adminUrl);
            return h.status === 503 ? h : null;
          }, 10_000, 'health to report the database down');
          expect(down.body).toMatchObject({ status: 'error', error: { database: { status: 'down' } }, info: { redis: { status: 'up' } } });
          const refused = await api('POST', '/api/libraries', { code: `DOWN${i}`, name: 'Made while the database was down', resourceSharing: true });
          expect(refused.status).toBe(503);
          expect(refused.body.code).toBe('SERVICE_UNAVAILABLE');
          expect((await health(worker.url)).status).toBe(503);
        });
        pg = await eventually(async () => connect(db.url).catch(() => null), 30_000, 'Postgres to accept connections');
      }
      expect(storedAtCrash.every((n) => n > 0 && n < COUNT)).toBe(true);

      // Back: the services are healthy again without being restarted.
      await eventually(async () => ((await health(adminUrl)).status === 200 ? true : null), 20_000, 'profile-config healthy again');
      await eventually(async () => ((await health(worker.url)).status === 200 ? true : null), 20_000, 'import-worker healthy again');
      const run = await eventually(async () => {
        const { rows } = await pg.query('SELECT * FROM job_run WHERE id = $1', [jobRunId]);
        return rows[0] && !['PENDING', 'RUNNING'].includes(rows[0].state) ? rows[0] : null;
      }, 180_000, 'the run to end');
      expect(worker.process.exitCode).toBeNull(); // the worker survived the outages
      expect(run.state).toBe('COMPLETED_SUCCESSFULLY');
      expect(run.attempts).toBeGreaterThanOrEqual(2); // the outage failed the job; BullMQ's retry resumed the run
      expect(run.counters).toMatchObject({ totalRecordsProcessed: COUNT, created: COUNT, updated: 0, unchanged: 0, borrowingFailed: 0, lendingFailed: 0 });
      const { rows } = await pg.query(`SELECT count(*)::int AS requests, count(DISTINCT external_id)::int AS distinct_ids FROM rs_request`);
      expect(rows[0]).toEqual({ requests: COUNT, distinct_ids: COUNT });
      const created = await pg.query(`SELECT count(*)::int AS events, count(DISTINCT request_id)::int AS requests FROM request_event WHERE type = 'CREATED'`);
      expect(created.rows[0]).toEqual({ events: COUNT, requests: COUNT });
      const recordEvents = await pg.query(`SELECT count(*)::int AS n, count(DISTINCT external_id)::int AS distinct_ids FROM record_event WHERE job_run_id = $1`, [jobRunId]);
      expect(recordEvents.rows[0]).toEqual({ n: COUNT, distinct_ids: COUNT });
      // Nothing the API refused during the outages was saved.
      expect((await pg.query(`SELECT count(*)::int AS n FROM library WHERE code LIKE 'DOWN%'`)).rows[0].n).toBe(0);

      // A second run over the same records finds them all unchanged: the crashes left no half-written request.
      await simApi('DELETE', '/_sim/faults/libris');
      const again = await api('POST', `/api/integration-profiles/${profile.body.id}/run`);
      expect(again.status).toBe(202);
      const rerun = await eventually(async () => {
        const r = await pg.query('SELECT * FROM job_run WHERE id = $1', [again.body.jobRunId]);
        return r.rows[0] && !['PENDING', 'RUNNING'].includes(r.rows[0].state) ? r.rows[0] : null;
      }, 120_000, 'the second run to end');
      expect(rerun.state).toBe('COMPLETED_SUCCESSFULLY');
      // (It reads the days since the cursor again and refreshes the open requests: most of them.)
      expect(rerun.counters).toMatchObject({ created: 0, updated: 0, borrowingFailed: 0, lendingFailed: 0 });
      expect(rerun.counters.unchanged).toBe(rerun.counters.totalRecordsProcessed);
      expect(rerun.counters.unchanged).toBeGreaterThan(COUNT / 2);
      expect((await pg.query('SELECT count(*)::int AS n FROM rs_request')).rows[0].n).toBe(COUNT);
    }, 420_000);
  });

  describe('Netpunkt receipts', () => {
    const PASSWORD = 'netpunkt-shared-secret';
    const params = { password: PASSWORD, requesterId: 'DK-820010', pickUpAgencyId: 'DK-820011', responderId: 'DK-710100' };
    let config: AppConfig;
    let admin: INestApplication;
    let endpoint: string;

    beforeAll(async () => {
      const database = await migratedDatabase(server, 'illbridge_netpunkt');
      config = testConfig(database.url);
      admin = await createProfileConfigApp(config);
      await admin.listen(0, '127.0.0.1');
      const base = await urlOf(admin);
      endpoint = `${base}/netpunkt/receipt`;
      const api = jsonClient(base, TEST_ADMIN_KEY);
      await api('POST', '/api/libraries', { code: 'MAIN', name: 'Hovedbiblioteket', resourceSharing: true });
      await api('POST', '/api/libraries', { code: 'BRANCH', name: 'Filial', resourceSharing: false });
      const profile = await api('POST', '/api/integration-profiles', {
        code: 'NETPUNKT', name: 'Netpunkt', integrationType: 'RESOURCE_SHARING', system: 'NETPUNKT', libraryCode: params.requesterId,
        resourceSharingLibraryCode: 'MAIN', authentication: { enabled: true, password: PASSWORD },
      });
      expect(profile.status).toBe(201);
      const mapped = await api('PUT', `/api/integration-profiles/${profile.body.id}/library-mappings`, [
        { libraryCode: 'MAIN', externalLibraryCode: params.requesterId },
        { libraryCode: 'BRANCH', externalLibraryCode: params.pickUpAgencyId },
      ]);
      expect(mapped.status).toBe(200);
    }, 120_000);

    afterAll(async () => {
      await admin?.close();
      await wipeQueuePrefix(config.redisUrl, config.queuePrefix);
    });

    it('answers temporary_error_please_resend while Postgres is down; the resent receipt becomes one request', async () => {
      await spawn('import-worker', config, {});
      const receipt = buildScenario('full', params);
      let sending: ReturnType<typeof sendReceipt> | undefined;
      await outage(async () => {
        const down = await sendReceipt(endpoint, receipt.xml, { retries: 0, baseDelayMs: 0 });
        expect(down.status).toBe('temporary_error_please_resend');
        // DBC's way: send again later. The resends start while the database is still away.
        sending = sendReceipt(endpoint, receipt.xml, { retries: 12, baseDelayMs: 500 });
      });
      const result = await sending!;
      expect(result.status).toBe('ok');
      expect(result.attempts).toBeGreaterThan(1);
      const pg = await eventually(async () => connect(config.databaseUrl).catch(() => null), 30_000, 'Postgres to accept connections');
      try {
        const request = await eventually(async () => {
          const { rows } = await pg.query(`SELECT count(*)::int AS n, min(status) AS status FROM rs_request WHERE external_id = $1`, [`${receipt.orderId}@${params.requesterId}`]); // orderId + requesterId
          return rows[0].n > 0 ? rows[0] : null;
        }, 60_000, 'the receipt to be imported');
        expect(request.n).toBe(1);
        expect((await pg.query(`SELECT count(*)::int AS n FROM netpunkt_receipt`)).rows[0].n).toBe(1);
        const runs = await eventually(async () => {
          const { rows } = await pg.query(`SELECT state, count(*)::int AS n FROM job_run GROUP BY state`);
          return rows.length === 1 && rows[0].state === 'COMPLETED_SUCCESSFULLY' ? rows : null;
        }, 60_000, 'the inbound run to end');
        expect(runs).toEqual([{ state: 'COMPLETED_SUCCESSFULLY', n: 1 }]);
      } finally {
        await pg.end();
      }
    }, 180_000);
  });

  describe('push to NACSIS-ILL', () => {
    let world: NacsisWorld;

    beforeAll(async () => {
      world = await startNacsisWorld({ database: await migratedDatabase(server, 'illbridge_push') });
    }, 120_000);

    afterAll(async () => {
      await world?.close();
    });

    it('pushes every action once and in order although Postgres crashed mid-drain; the action API answers 503 meanwhile', async () => {
      const REQUESTS = faultScale(20, 100);
      // Lender, copy: ACCEPT → RECEIVE, SHIP → SEND, CALLBACK → CALLBACK (history ORDER by the partner first).
      const { work, push, finish } = await pushesUnderWay(world, REQUESTS, (env) => spawn('action-push', world.config, env));

      await outage(async () => {
        const refused = await jsonClient(push.url, TEST_ADMIN_KEY)('POST', `/api/requests/${work.seeded[0].requestId}/actions`, { action: 'ACCEPT' });
        expect(refused.status).toBe(503);
        expect(refused.body.code).toBe('SERVICE_UNAVAILABLE');
      });
      await eventually(async () => world.reconnect().then(() => true, () => null), 30_000, 'Postgres to accept connections');

      await finish();
    }, 300_000);
  });
});
