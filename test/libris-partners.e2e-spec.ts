import { INestApplication } from '@nestjs/common';
import { Client } from 'pg';
import { AppConfig } from '@illbridge/common';
import { createTestDatabase, jsonClient, TEST_ADMIN_KEY, TestDatabase, testConfig, wipeQueuePrefix } from '@illbridge/testing';
import { createImportWorkerApp } from '../apps/import-worker/src/main';
import { ImportSettings } from '../apps/import-worker/src/import-settings';
import { createProfileConfigApp } from '../apps/profile-config/src/main';
import { createReportingApp } from '../apps/reporting/src/main';
import { RunningSimulator, startSimulator } from '../apps/ill-simulator/src/simulator';
import { daysAgo, runProfileNow } from './support/runs';

/** Libris names lenders by sigel in whatever case its records carry: a partner stored as "Ume" is found for "UME" and
 *  kept with our spelling; a lender we have no partner for is imported all the same, with a warning on its event. */
describe('Libris import: partners in any case, unknown partners (end to end)', () => {
  const SIGEL = 'Hig';
  let db: TestDatabase;
  let config: AppConfig;
  let admin: INestApplication;
  let reporting: INestApplication;
  let worker: INestApplication;
  let sim: RunningSimulator;
  let pg: Client;
  let api: ReturnType<typeof jsonClient>;
  let reports: ReturnType<typeof jsonClient>;
  let simApi: ReturnType<typeof jsonClient>;
  let profileId: string;
  const urlOf = async (app: INestApplication) => (await app.getUrl()).replace('[::1]', '127.0.0.1');

  beforeAll(async () => {
    db = await createTestDatabase();
    config = testConfig(db.url);
    sim = await startSimulator({ logLevels: false });
    simApi = jsonClient(sim.url);
    admin = await createProfileConfigApp(config);
    await admin.listen(0, '127.0.0.1');
    reporting = await createReportingApp(config);
    await reporting.listen(0, '127.0.0.1');
    worker = await createImportWorkerApp(config, new ImportSettings({ librisMaxRequestsPerSecond: 1000, httpTimeoutMs: 1500 }));
    await worker.init();
    api = jsonClient(await urlOf(admin), TEST_ADMIN_KEY);
    reports = jsonClient(await urlOf(reporting), TEST_ADMIN_KEY);
    pg = new Client({ connectionString: db.url });
    await pg.connect();

    await simApi('POST', '/_sim/libris/keys', { sigel: SIGEL, apiKey: 'k' });
    expect((await api('POST', '/api/libraries', { code: 'MAIN', name: 'Huvudbiblioteket', resourceSharing: true })).status).toBe(201);
    expect((await api('POST', '/api/partners', { code: 'Ume', name: 'Umeå universitetsbibliotek', system: 'LIBRIS' })).status).toBe(201);
    for (const [title, lenders] of [
      ['Versaler', ['UME']],
      ['Okänd långivare', ['Xyz']],
    ] as const) {
      const record = { requesting_library: SIGEL, title, status: 'Läst', recipients: lenders.map((library_code, i) => ({ library_code, is_active_library: i === 0 })) };
      expect((await simApi('POST', '/_sim/libris/requests', { sigel: SIGEL, created: daysAgo(2), record })).status).toBe(201);
    }
    const created = await api('POST', '/api/integration-profiles', {
      code: 'LIBRIS_PARTNERS',
      name: 'Libris partners',
      integrationType: 'RESOURCE_SHARING',
      system: 'LIBRIS',
      baseUrl: `${sim.url}/libris/api`,
      libraryCode: SIGEL,
      resourceSharingLibraryCode: 'MAIN',
      authentication: { enabled: true, apiKey: 'k' },
      harvestStartDate: daysAgo(10),
      granularity: 'DAY',
      schedule: { type: 'NOT_SCHEDULED' },
    });
    expect(created.status).toBe(201);
    profileId = created.body.id;
    expect((await api('PUT', `/api/integration-profiles/${profileId}/library-mappings`, [{ libraryCode: 'MAIN', externalLibraryCode: SIGEL }])).status).toBe(200);
  });

  afterAll(async () => {
    await worker?.close();
    await reporting?.close();
    await admin?.close();
    await sim?.close();
    await pg?.end();
    if (config) await wipeQueuePrefix(config.redisUrl, config.queuePrefix);
    await db?.drop();
  });

  it('finds a partner spelled in another case and stores our spelling; imports a request from an unknown lender with a warning', async () => {
    const run = await runProfileNow(api, pg, profileId);
    expect(run.state).toBe('COMPLETED_SUCCESSFULLY');
    const byTitle = async (title: string) => (await pg.query(`SELECT * FROM rs_request WHERE profile_id = $1 AND title = $2`, [profileId, title])).rows[0];
    expect(await byTitle('Versaler')).toMatchObject({ partner_code: 'Ume', partners: ['Ume'] });
    expect(await byTitle('Okänd långivare')).toMatchObject({ partner_code: 'Xyz', partners: ['Xyz'] });

    const events = await reports('GET', `/api/jobs/${run.id}/events?outcome=CREATED`);
    expect(events.status).toBe(200);
    const eventOf = (title: string) => byTitle(title).then((r) => events.body.items.find((e: any) => e.externalId === r.external_id));
    expect((await eventOf('Versaler')).warnings).toEqual([]);
    expect((await eventOf('Okänd långivare')).warnings).toEqual(['Unknown partner code "Xyz"']);
    const report = await reports('GET', `/api/jobs/${run.id}`);
    expect(report.body.counters).toMatchObject({ borrowingFailed: 0, created: 2 });
  });
});
