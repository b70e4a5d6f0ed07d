import { INestApplication } from '@nestjs/common';
import { Client } from 'pg';
import { AppConfig } from '@illbridge/common';
import { createTestDatabase, eventually, jsonClient, TEST_ADMIN_KEY, TestDatabase, testConfig, wipeQueuePrefix } from '@illbridge/testing';
import { createImportWorkerApp } from '../apps/import-worker/src/main';
import { ImportSettings } from '../apps/import-worker/src/import-settings';
import { createProfileConfigApp } from '../apps/profile-config/src/main';
import { createReportingApp } from '../apps/reporting/src/main';
import { RunningSimulator, startSimulator } from '../apps/ill-simulator/src/simulator';
import { CatpRelay } from './support/catp-relay';

const US = { participantId: 'FA012345', userId: 'USER0001', password: 'us-secret', name: '架空大学図書館' };
const TOKYO = { participantId: 'FA000001', name: '東京大学' };
const KYOTO = { participantId: 'FA000002', name: '京都大学' };
const NARA = { participantId: 'FA000003', name: '奈良大学' };
/** A library of ours that nobody mapped, written by the relay into one lending record (AMLID). */
const UNMAPPED_ID = 'FA099999';

/** What a librarian reads after a NACSIS sync, as the worker wrote it: the job report of reporting with the failed
 *  lending record and its reason; partners found whatever the case of their code, stored with our spelling; an
 *  unknown partner a warning on the record's event, the record itself imported. */
describe('NACSIS-ILL sync: the job report and partners (end to end)', () => {
  let db: TestDatabase;
  let config: AppConfig;
  let admin: INestApplication;
  let worker: INestApplication;
  let reporting: INestApplication;
  let sim: RunningSimulator;
  let relay: CatpRelay;
  let pg: Client;
  let api: ReturnType<typeof jsonClient>;
  let reports: ReturnType<typeof jsonClient>;
  let simApi: ReturnType<typeof jsonClient>;
  let profileId: string;
  const ids: Record<string, string> = {};
  const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);
  const urlOf = async (app: INestApplication) => (await app.getUrl()).replace('[::1]', '127.0.0.1');

  const seed = async (name: string, body: Record<string, unknown>) => {
    const created = await simApi('POST', '/_sim/nacsis/records', body);
    expect(created.status).toBe(201);
    ids[name] = created.body.id;
  };
  const request = async (name: string) => (await pg.query(`SELECT * FROM rs_request WHERE profile_id = $1 AND external_id = $2`, [profileId, ids[name]])).rows[0];

  beforeAll(async () => {
    db = await createTestDatabase();
    config = testConfig(db.url);
    sim = await startSimulator({ logLevels: false });
    simApi = jsonClient(sim.url);
    relay = new CatpRelay(sim.url, (block) => (block.includes('ONO=LEND-BAD') ? block.replace(`AMLID=${US.participantId}`, `AMLID=${UNMAPPED_ID}`) : block));
    await relay.open();
    admin = await createProfileConfigApp(config);
    await admin.listen(0, '127.0.0.1');
    reporting = await createReportingApp(config);
    await reporting.listen(0, '127.0.0.1');
    worker = await createImportWorkerApp(config, new ImportSettings({ httpTimeoutMs: 1500, retry: { attempts: 2, baseDelayMs: 20, maxDelayMs: 100 } }));
    await worker.init();
    api = jsonClient(await urlOf(admin), TEST_ADMIN_KEY);
    reports = jsonClient(await urlOf(reporting), TEST_ADMIN_KEY);
    pg = new Client({ connectionString: db.url });
    await pg.connect();

    expect((await simApi('POST', '/_sim/nacsis/participants', { ...US })).status).toBe(201);
    for (const p of [TOKYO, KYOTO, NARA]) expect((await simApi('POST', '/_sim/nacsis/participants', p)).status).toBe(201);
    expect((await api('POST', '/api/libraries', { code: 'MAIN', name: '本館', resourceSharing: true })).status).toBe(201);
    // Our partners, spelled our way: Tokyo in lower case; Nara is not a partner of ours at all.
    expect((await api('POST', '/api/partners', { code: TOKYO.participantId.toLowerCase(), name: TOKYO.name, system: 'NACSIS' })).status).toBe(201);
    expect((await api('POST', '/api/partners', { code: KYOTO.participantId, name: KYOTO.name, system: 'NACSIS' })).status).toBe(201);
    const profile = await api('POST', '/api/integration-profiles', {
      code: 'NACSIS_REPORT',
      name: 'NACSIS report',
      integrationType: 'RESOURCE_SHARING',
      system: 'NACSIS',
      baseUrl: `${relay.url}/nacsis/catp`,
      libraryCode: US.participantId,
      resourceSharingLibraryCode: 'MAIN',
      authentication: { enabled: true, userId: US.userId, password: US.password },
      harvestStartDate: daysAgo(30),
      granularity: 'DAY',
      schedule: { type: 'NOT_SCHEDULED' },
    });
    expect(profile.status).toBe(201);
    profileId = profile.body.id;
    expect((await api('PUT', `/api/integration-profiles/${profileId}/library-mappings`, [{ libraryCode: 'MAIN', externalLibraryCode: US.participantId }])).status).toBe(200);

    await seed('fromTokyo', { as: TOKYO.participantId, candidates: [US.participantId] });
    await seed('fromNara', { as: NARA.participantId, candidates: [US.participantId] });
    await seed('unmappedLending', { as: KYOTO.participantId, candidates: [US.participantId], fields: { ONO: 'LEND-BAD-1' } });
    // Renewed before the first run's start date: imported only once the start date is moved back before it.
    await seed('renewedEarlier', { as: TOKYO.participantId, candidates: [US.participantId], created: daysAgo(38).replace(/-/g, ''), updated: daysAgo(38).replace(/-/g, '') });
  });

  afterAll(async () => {
    await worker?.close();
    await reporting?.close();
    await admin?.close();
    await relay?.close();
    await sim?.close();
    await pg?.end();
    if (config) await wipeQueuePrefix(config.redisUrl, config.queuePrefix);
    await db?.drop();
  });

  it('reports the failed lending record with its reason, finds partners in any case, and warns of an unknown one', async () => {
    const started = await api('POST', `/api/integration-profiles/${profileId}/run`);
    expect(started.status).toBe(202);
    const report = await eventually(async () => {
      const res = await reports('GET', `/api/jobs/${started.body.jobRunId}`);
      return res.status === 200 && !['PENDING', 'RUNNING'].includes(res.body.state) ? res.body : null;
    }, 60_000, 'the run to end');

    expect(report.state).toBe('COMPLETED_WITH_ERRORS');
    expect(report.counters).toMatchObject({ lendingProcessed: 3, lendingSucceeded: 2, lendingFailed: 1, borrowingFailed: 0 });
    expect(report.failedBorrowing).toEqual([]);
    expect(report.failedLending).toEqual([expect.objectContaining({ externalId: ids.unmappedLending, reasonCode: 'LIBRARY_NOT_MAPPED' })]);
    expect(report.failedLending[0].message).toContain(UNMAPPED_ID);

    // Found although NACSIS sends FA000001 and we spell it fa000001; stored with our spelling.
    expect(await request('fromTokyo')).toMatchObject({ partner_code: TOKYO.participantId.toLowerCase(), requester_id: TOKYO.participantId });
    // Nara is no partner of ours: imported all the same, with a warning on its record event.
    expect(await request('fromNara')).toMatchObject({ partner_code: NARA.participantId, direction: 'LENDING' });
    const events = await reports('GET', `/api/jobs/${started.body.jobRunId}/events?outcome=CREATED`);
    expect(events.status).toBe(200);
    const nara = events.body.items.find((e: any) => e.externalId === ids.fromNara);
    expect(nara).toBeDefined();
    expect(nara.warnings).toEqual([expect.stringContaining(NARA.participantId)]);
    const tokyo = events.body.items.find((e: any) => e.externalId === ids.fromTokyo);
    expect(tokyo.warnings).toEqual([]);
  });

  it('a start date given to the second imports its whole day, since NACSIS dates records by day, and the report says so', async () => {
    const instant = `${daysAgo(40)}T08:00:00Z`;
    expect(await request('renewedEarlier')).toBeUndefined();
    const moved = await api('PATCH', `/api/integration-profiles/${profileId}`, { harvestStartDate: instant, granularity: 'SECOND' });
    expect(moved.status).toBe(200);
    expect(moved.body.nextHarvestFrom).toBe(instant);
    const started = await api('POST', `/api/integration-profiles/${profileId}/run`);
    expect(started.status).toBe(202);
    const report = await eventually(async () => {
      const res = await reports('GET', `/api/jobs/${started.body.jobRunId}`);
      return res.status === 200 && !['PENDING', 'RUNNING'].includes(res.body.state) ? res.body : null;
    }, 60_000, 'the run to end');
    expect(report.window.from).toBe(daysAgo(40));
    // Every database was read again from the new start (the rewind reset their cursors too).
    expect(await request('renewedEarlier')).toMatchObject({ direction: 'LENDING' });
    expect(report.warnings).toEqual(expect.arrayContaining([`NACSIS-ILL dates records by day only: every record of ${daysAgo(40)} was imported, including any changed before the harvest start ${instant}`]));
  });
});

