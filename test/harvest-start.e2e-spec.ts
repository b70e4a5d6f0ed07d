import { INestApplication } from '@nestjs/common';
import { Client } from 'pg';
import { AppConfig } from '@illbridge/common';
import { createTestDatabase, eventually, jsonClient, TEST_ADMIN_KEY, TestDatabase, testConfig, wipeQueuePrefix } from '@illbridge/testing';
import { createImportWorkerApp } from '../apps/import-worker/src/main';
import { ImportSettings } from '../apps/import-worker/src/import-settings';
import { createProfileConfigApp } from '../apps/profile-config/src/main';
import { RunningSimulator, startSimulator } from '../apps/ill-simulator/src/simulator';
import { daysAgo, runProfileNow } from './support/runs';

/** "Harvest start date" means what the wizard says: moved earlier after a successful run, the next run
 *  re-imports from the new date, and the profile shows where the next run will start. */
describe('harvest start date (end to end, Libris)', () => {
  const SIGEL = 'Hig';
  let db: TestDatabase;
  let config: AppConfig;
  let admin: INestApplication;
  let worker: INestApplication;
  let sim: RunningSimulator;
  let pg: Client;
  let api: ReturnType<typeof jsonClient>;
  let simApi: ReturnType<typeof jsonClient>;
  let profileId: string;

  const runNow = () => runProfileNow(api, pg, profileId);
  const titles = async () => (await pg.query(`SELECT title FROM rs_request WHERE profile_id = $1 ORDER BY title`, [profileId])).rows.map((r) => r.title);
  const profile = async () => (await api('GET', `/api/integration-profiles/${profileId}`)).body;

  beforeAll(async () => {
    db = await createTestDatabase();
    config = testConfig(db.url);
    sim = await startSimulator({ logLevels: false });
    simApi = jsonClient(sim.url);
    admin = await createProfileConfigApp(config);
    await admin.listen(0, '127.0.0.1');
    worker = await createImportWorkerApp(config, new ImportSettings({ librisMaxRequestsPerSecond: 1000, httpTimeoutMs: 1500, retry: { attempts: 2, baseDelayMs: 20, maxDelayMs: 100 } }));
    await worker.init();
    api = jsonClient(await admin.getUrl().then((u) => u.replace('[::1]', '127.0.0.1')), TEST_ADMIN_KEY);
    pg = new Client({ connectionString: db.url });
    await pg.connect();

    await simApi('POST', '/_sim/libris/keys', { sigel: SIGEL, apiKey: 'k' });
    for (const [title, age] of [['Gammal A', 80], ['Gammal B', 75], ['Ny A', 10], ['Ny B', 5]] as const) {
      expect((await simApi('POST', '/_sim/libris/requests', { sigel: SIGEL, created: daysAgo(age), record: { requesting_library: SIGEL, title } })).status).toBe(201);
    }
    expect((await api('POST', '/api/libraries', { code: 'MAIN', name: 'Huvudbiblioteket', resourceSharing: true })).status).toBe(201);
    const created = await api('POST', '/api/integration-profiles', {
      code: 'LIBRIS_START',
      name: 'Libris start date',
      integrationType: 'RESOURCE_SHARING',
      system: 'LIBRIS',
      baseUrl: `${sim.url}/libris/api`,
      libraryCode: SIGEL,
      resourceSharingLibraryCode: 'MAIN',
      authentication: { enabled: true, apiKey: 'k' },
      harvestStartDate: daysAgo(30),
      granularity: 'DAY',
      schedule: { type: 'NOT_SCHEDULED' },
    });
    expect(created.body).toMatchObject({ id: expect.any(String) });
    profileId = created.body.id;
    expect(created.body.nextHarvestFrom).toBe(daysAgo(30));
    expect((await api('PUT', `/api/integration-profiles/${profileId}/library-mappings`, [{ libraryCode: 'MAIN', externalLibraryCode: SIGEL }])).status).toBe(200);
  });

  afterAll(async () => {
    await worker?.close();
    await admin?.close();
    await sim?.close();
    await pg?.end();
    await wipeQueuePrefix(config.redisUrl, config.queuePrefix);
    await db?.drop();
  });

  it('moving the start date earlier re-imports from the new date; later runs continue from where that run stopped', async () => {
    expect((await runNow()).state).toBe('COMPLETED_SUCCESSFULLY');
    expect(await titles()).toEqual(['Ny A', 'Ny B']);
    expect((await profile()).nextHarvestFrom).toBe(daysAgo(1));

    // A start date moved, but not before where the next run starts: nothing rewinds.
    expect((await api('PATCH', `/api/integration-profiles/${profileId}`, { harvestStartDate: daysAgo(20) })).body.nextHarvestFrom).toBe(daysAgo(1));

    const moved = await api('PATCH', `/api/integration-profiles/${profileId}`, { harvestStartDate: daysAgo(90) });
    expect(moved.status).toBe(200);
    expect(moved.body.nextHarvestFrom).toBe(daysAgo(90));
    const rewound = await runNow();
    expect(rewound.state).toBe('COMPLETED_SUCCESSFULLY');
    expect(rewound.window_from).toBe(daysAgo(90));
    expect(await titles()).toEqual(['Gammal A', 'Gammal B', 'Ny A', 'Ny B']);
    expect((await profile()).nextHarvestFrom).toBe(daysAgo(1));

    const next = await runNow();
    expect(next.state).toBe('COMPLETED_SUCCESSFULLY');
    expect(next.counters.created).toBe(0);
    expect(await titles()).toHaveLength(4);
  });

  it('a start date given to the second imports that day and drops the records that last changed before the instant, saying so', async () => {
    const day = daysAgo(3);
    const instant = `${day}T12:00:00Z`;
    const seconds = (iso: string) => String(Date.parse(iso) / 1000);
    for (const [title, created, changed] of [
      ['Sekund före', day, `${day}T11:59:59Z`],
      ['Sekund på', day, instant],
      ['Sekund efter', day, `${day}T12:00:01Z`],
      ['Sekund dagen före', daysAgo(4), `${daysAgo(4)}T18:00:00Z`],
    ] as const) {
      expect((await simApi('POST', '/_sim/libris/requests', { sigel: SIGEL, created, record: { requesting_library: SIGEL, title, last_modified: seconds(changed) } })).status).toBe(201);
    }
    const created = await api('POST', '/api/integration-profiles', {
      code: 'LIBRIS_SECOND',
      name: 'Libris start to the second',
      integrationType: 'RESOURCE_SHARING',
      system: 'LIBRIS',
      baseUrl: `${sim.url}/libris/api`,
      libraryCode: SIGEL,
      resourceSharingLibraryCode: 'MAIN',
      authentication: { enabled: true, apiKey: 'k' },
      harvestStartDate: instant,
      granularity: 'SECOND',
      schedule: { type: 'NOT_SCHEDULED' },
    });
    expect(created.status).toBe(201);
    expect(created.body.nextHarvestFrom).toBe(instant);
    const id = created.body.id;
    expect((await api('PUT', `/api/integration-profiles/${id}/library-mappings`, [{ libraryCode: 'MAIN', externalLibraryCode: SIGEL }])).status).toBe(200);

    const run = await runProfileNow(api, pg, id);
    expect(run.state).toBe('COMPLETED_SUCCESSFULLY');
    expect(run.window_from).toBe(day);
    const imported = (await pg.query(`SELECT title FROM rs_request WHERE profile_id = $1 AND title LIKE 'Sekund%' ORDER BY title`, [id])).rows.map((r) => r.title);
    expect(imported).toEqual(['Sekund efter', 'Sekund på']);
    expect(JSON.stringify(run.warnings)).toContain(`1 record of ${day} last changed before the harvest start ${instant} and was not imported`);
    // After that run the next one starts a day before where it stopped, with no instant to apply.
    expect((await api('GET', `/api/integration-profiles/${id}`)).body.nextHarvestFrom).toBe(daysAgo(1));
  });

  it('a rewind made while a run is reading is not overruled by that run when it ends', async () => {
    expect((await simApi('POST', '/_sim/faults/libris', { latencyMs: 700 })).status).toBeLessThan(300);
    try {
      const started = await api('POST', `/api/integration-profiles/${profileId}/run`);
      expect(started.status).toBe(202);
      await eventually(async () => (await pg.query(`SELECT state FROM job_run WHERE id = $1`, [started.body.jobRunId])).rows[0]?.state === 'RUNNING' || null, 30_000, 'the run to start');
      const moved = await api('PATCH', `/api/integration-profiles/${profileId}`, { harvestStartDate: daysAgo(100) });
      expect(moved.body.nextHarvestFrom).toBe(daysAgo(100));
      const ended = await eventually(async () => {
        const row = (await pg.query(`SELECT state FROM job_run WHERE id = $1`, [started.body.jobRunId])).rows[0];
        return row && !['PENDING', 'RUNNING'].includes(row.state) ? row : null;
      }, 60_000, 'the run to end');
      expect(ended.state).toBe('COMPLETED_SUCCESSFULLY');
    } finally {
      await simApi('POST', '/_sim/faults/libris', { latencyMs: 0 });
    }
    expect((await profile()).nextHarvestFrom).toBe(daysAgo(100));
    expect((await runNow()).window_from).toBe(daysAgo(100));
  });
});

