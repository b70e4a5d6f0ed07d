import { INestApplication } from '@nestjs/common';
import { Client } from 'pg';
import { AppConfig } from '@illbridge/common';
import { createTestDatabase, jsonClient, TEST_ADMIN_KEY, TestDatabase, testConfig, wipeQueuePrefix } from '@illbridge/testing';
import { createImportWorkerApp } from '../apps/import-worker/src/main';
import { ImportSettings } from '../apps/import-worker/src/import-settings';
import { createProfileConfigApp } from '../apps/profile-config/src/main';
import { RunningSimulator, startSimulator } from '../apps/ill-simulator/src/simulator';
import { daysAgo, runProfileNow } from './support/runs';

/** The Libris refresh of open requests is bounded per run (LIBRIS_REFRESH_PER_RUN), least recently refreshed
 *  first: with a budget of 3 and 7 open requests, three runs refresh all, and a change in Libris to any of them is
 *  seen within ⌈7 ÷ 3⌉ = 3 runs. */
describe('Libris refresh budget (end to end)', () => {
  const SIGEL = 'Hig';
  const KEY = 'hig-budget-key';
  const OPEN = 7;
  const BUDGET = 3;
  let db: TestDatabase;
  let config: AppConfig;
  let admin: INestApplication;
  let worker: INestApplication;
  let sim: RunningSimulator;
  let pg: Client;
  let api: ReturnType<typeof jsonClient>;
  let simApi: ReturnType<typeof jsonClient>;
  let profileId: string;
  let lfNumbers: string[];

  const runNow = async () => {
    await simApi('DELETE', '/_sim/libris/calls');
    const run = await runProfileNow(api, pg, profileId);
    expect(run.state).toBe('COMPLETED_SUCCESSFULLY');
    const reads = ((await simApi('GET', '/_sim/libris/calls')).body.calls as { path: string }[])
      .map((call) => call.path)
      .filter((path) => !path.endsWith('/outgoing'))
      .map((path) => decodeURIComponent(path.split('/').at(-1)!));
    return { run, reads };
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    config = testConfig(db.url);
    sim = await startSimulator({ logLevels: false });
    simApi = jsonClient(sim.url);
    admin = await createProfileConfigApp(config);
    await admin.listen(0, '127.0.0.1');
    worker = await createImportWorkerApp(config, new ImportSettings({ librisMaxRequestsPerSecond: 1000, refreshPerRun: BUDGET }));
    await worker.init();
    api = jsonClient(await admin.getUrl().then((u) => u.replace('[::1]', '127.0.0.1')), TEST_ADMIN_KEY);
    pg = new Client({ connectionString: db.url });
    await pg.connect();

    await simApi('POST', '/_sim/libris/keys', { sigel: SIGEL, apiKey: KEY });
    lfNumbers = [];
    for (let i = 0; i < OPEN; i++) {
      // Created days ago: an incremental run's windows (yesterday and today) do not bring them, only the refresh.
      const added = await simApi('POST', '/_sim/libris/requests', { sigel: SIGEL, created: daysAgo(10 + i), record: { requesting_library: SIGEL, title: `Bok ${i}`, status: 'Uteliggande' } });
      expect(added.status).toBe(201);
      lfNumbers.push(added.body.lf_number);
    }
    expect((await api('POST', '/api/libraries', { code: 'MAIN', name: 'Huvudbiblioteket', resourceSharing: true })).status).toBe(201);
    const profile = await api('POST', '/api/integration-profiles', {
      code: 'LIBRIS_BUDGET', name: 'Libris budget', integrationType: 'RESOURCE_SHARING', system: 'LIBRIS', baseUrl: `${sim.url}/libris/api`, libraryCode: SIGEL,
      resourceSharingLibraryCode: 'MAIN', authentication: { enabled: true, apiKey: KEY }, active: true, harvestStartDate: daysAgo(30), granularity: 'DAY',
      schedule: { type: 'NOT_SCHEDULED' },
    });
    expect(profile.status).toBe(201);
    profileId = profile.body.id;
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

  it('refreshes at most the budget per run, least recently refreshed first, all within ⌈open ÷ budget⌉ runs, and sees a change within that bound', async () => {
    const first = await runNow();
    expect(first.run.counters).toMatchObject({ created: OPEN });
    expect(first.reads).toEqual([]); // every open request came with the windows: none is due
    const sorted = [...lfNumbers].sort();

    // A change in Libris to the request refreshed last (it is due only in the third run).
    const last = sorted[OPEN - 1];
    expect((await simApi('PATCH', `/_sim/libris/requests/${SIGEL}/${encodeURIComponent(last)}`, { status: 'Levererad' })).status).toBe(200);

    const second = await runNow();
    expect(second.reads.sort()).toEqual(sorted.slice(0, BUDGET));
    expect(second.run.warnings).toEqual([`Refreshed ${BUDGET} open requests by LF number, least recently refreshed first (LIBRIS_REFRESH_PER_RUN=${BUDGET}); 4 wait for a later run (every open request is refreshed within 3 runs)`]);
    const statusOf = async (lf: string) => (await pg.query('SELECT external_system_status FROM rs_request WHERE external_id = $1', [lf])).rows[0].external_system_status;
    expect(await statusOf(last)).toBe('Uteliggande');

    const third = await runNow();
    expect(third.reads.sort()).toEqual(sorted.slice(BUDGET, 2 * BUDGET));
    expect(await statusOf(last)).toBe('Uteliggande');

    // The third run: the one never refreshed, then the least recently refreshed (from the second run).
    const fourth = await runNow();
    expect(fourth.reads.sort()).toEqual([last, ...sorted.slice(0, BUDGET - 1)].sort());
    expect(fourth.run.counters).toMatchObject({ updated: 1 });
    expect(await statusOf(last)).toBe('Levererad');
    // Every open request was refreshed within the three runs after the first.
    expect(new Set([...second.reads, ...third.reads, ...fourth.reads])).toEqual(new Set(lfNumbers));
  });
});
