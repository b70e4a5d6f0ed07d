import { INestApplication } from '@nestjs/common';
import { Queue } from 'bullmq';
import { Client } from 'pg';
import { AppConfig } from '@illbridge/common';
import { QUEUE } from '@illbridge/queues';
import { createTestDatabase, eventually, jsonClient, TEST_ADMIN_KEY, TestDatabase, testConfig, wipeQueuePrefix } from '@illbridge/testing';
import { createImportWorkerApp } from '../apps/import-worker/src/main';
import { createProfileConfigApp } from '../apps/profile-config/src/main';
import { createReportingApp } from '../apps/reporting/src/main';
import { RunningSimulator, startSimulator } from '../apps/ill-simulator/src/simulator';

/** Reports written from the events the import worker publishes on the report-events queue: reporting
 *  counts every record once, and an event delivered again counts nothing twice. */
describe('report events (end to end)', () => {
  let db: TestDatabase;
  let config: AppConfig;
  let admin: INestApplication;
  let worker: INestApplication;
  let reporting: INestApplication;
  let sim: RunningSimulator;
  let pg: Client;
  let events: Queue;
  let reportingUrl: string;

  const metric = async (name: string, label: string): Promise<number> => {
    const text = await (await fetch(`${reportingUrl}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name}{${label}}`));
    return line ? Number(line.split(' ').pop()) : 0;
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    config = testConfig(db.url);
    sim = await startSimulator({ logLevels: false });
    admin = await createProfileConfigApp(config);
    await admin.listen(0, '127.0.0.1');
    worker = await createImportWorkerApp(config);
    await worker.init();
    reporting = await createReportingApp(config);
    await reporting.listen(0, '127.0.0.1');
    reportingUrl = (await reporting.getUrl()).replace('[::1]', '127.0.0.1');
    events = new Queue(QUEUE.REPORT_EVENTS, { connection: { host: '127.0.0.1', port: 6379 }, prefix: config.queuePrefix });
    pg = new Client({ connectionString: db.url });
    await pg.connect();
  });

  afterAll(async () => {
    await events?.close();
    await reporting?.close();
    await worker?.close();
    await admin?.close();
    await sim?.close();
    await pg?.end();
    await wipeQueuePrefix(config.redisUrl, config.queuePrefix);
    await db?.drop();
  });

  it('counts the records of an import from its events, once, even when an event is delivered again', async () => {
    const simApi = jsonClient(sim.url);
    const api = jsonClient((await admin.getUrl()).replace('[::1]', '127.0.0.1'), TEST_ADMIN_KEY);
    const today = new Date().toISOString().slice(0, 10);
    await simApi('POST', '/_sim/libris/keys', { sigel: 'Hig', apiKey: 'k' });
    await simApi('POST', '/_sim/libris/generate', { sigel: 'Hig', count: 12, from: today, to: today, seed: 4, unknownSigelShare: 0 });
    await simApi('POST', '/_sim/libris/requests', { sigel: 'Hig', created: today, record: { requesting_library: 'Xyz' } });
    await api('POST', '/api/libraries', { code: 'MAIN', name: 'Main', resourceSharing: true });
    const profile = await api('POST', '/api/integration-profiles', {
      code: 'EV', name: 'Events', integrationType: 'RESOURCE_SHARING', system: 'LIBRIS', baseUrl: `${sim.url}/libris/api`, libraryCode: 'Hig',
      resourceSharingLibraryCode: 'MAIN', authentication: { enabled: true, apiKey: 'k' }, harvestStartDate: today, schedule: { type: 'NOT_SCHEDULED' },
    });
    await api('PUT', `/api/integration-profiles/${profile.body.id}/library-mappings`, [{ libraryCode: 'MAIN', externalLibraryCode: 'Hig' }]);
    const run = await api('POST', `/api/integration-profiles/${profile.body.id}/run`);

    await eventually(async () => (await metric('illbridge_report_runs_ended_total', 'state="COMPLETED_WITH_ERRORS"')) === 1, 30_000, 'the run-ended event');
    await eventually(async () => (await metric('illbridge_report_records_total', 'outcome="CREATED"')) === 12, 30_000, 'the record events');
    expect(await metric('illbridge_report_records_total', 'outcome="FAILED"')).toBe(1);
    const applied = (await pg.query(`SELECT type, count(*)::int AS n FROM report_event GROUP BY type ORDER BY type`)).rows;
    expect(applied.find((r) => r.type === 'run-ended')).toEqual({ type: 'run-ended', n: 1 });

    // The same event again (a redelivery: another queue job carrying the same event id) counts nothing.
    const [eventRow] = (await pg.query(`SELECT id FROM report_event WHERE type = 'records' LIMIT 1`)).rows;
    const delta = { totalRecordsProcessed: 5, borrowingProcessed: 5, borrowingSucceeded: 5, borrowingFailed: 0, lendingProcessed: 0, lendingSucceeded: 0, lendingFailed: 0, created: 5, updated: 0, unchanged: 0 };
    const again = await events.add('records', { type: 'records', id: eventRow.id, runId: run.body.jobRunId, delta }, { jobId: `redelivery-${Date.now()}` });
    await eventually(async () => (await again.isCompleted()) && (await events.getJob(again.id!))?.returnvalue, 15_000, 'the redelivered event');
    expect((await events.getJob(again.id!))?.returnvalue).toEqual({ applied: false });
    expect(await metric('illbridge_report_records_total', 'outcome="CREATED"')).toBe(12);

    // The report: the worker's final counters, the same as the events said.
    const report = await jsonClient(reportingUrl, TEST_ADMIN_KEY)('GET', `/api/jobs/${run.body.jobRunId}`);
    expect(report.body.counters).toMatchObject({ created: 12, borrowingFailed: 1, totalRecordsProcessed: 13 });
  });

  it('keeps live counters of a running job from its events, and never changes a finished one', async () => {
    const [profile] = (await pg.query(`SELECT id FROM integration_profile LIMIT 1`)).rows;
    const [running] = (
      await pg.query(`INSERT INTO job_run (profile_id, job_name, trigger, state, stage) VALUES ($1, 'x', 'INBOUND', 'RUNNING', 'HARVESTING') RETURNING id`, [profile.id])
    ).rows;
    const delta = (n: number) => ({ totalRecordsProcessed: n, borrowingProcessed: n, borrowingSucceeded: n, borrowingFailed: 0, lendingProcessed: 0, lendingSucceeded: 0, lendingFailed: 0, created: n, updated: 0, unchanged: 0 });
    await events.add('records', { type: 'records', id: `records:${running.id}:a`, runId: running.id, delta: delta(3) }, { jobId: `records_${running.id}_a` });
    await events.add('records', { type: 'records', id: `records:${running.id}:b`, runId: running.id, delta: delta(4) }, { jobId: `records_${running.id}_b` });
    const reportingApi = jsonClient(reportingUrl, TEST_ADMIN_KEY);
    await eventually(async () => (await reportingApi('GET', `/api/jobs/${running.id}`)).body.counters?.created === 7, 15_000, 'live counters');
    await pg.query(`UPDATE job_run SET state = 'COMPLETED_SUCCESSFULLY', counters = $2 WHERE id = $1`, [running.id, JSON.stringify(delta(7))]);
    await events.add('records', { type: 'records', id: `records:${running.id}:late`, runId: running.id, delta: delta(100) }, { jobId: `records_${running.id}_late` });
    await eventually(async () => (await pg.query(`SELECT 1 FROM report_event WHERE id = $1`, [`records:${running.id}:late`])).rowCount === 1, 15_000, 'the late event');
    expect((await reportingApi('GET', `/api/jobs/${running.id}`)).body.counters.created).toBe(7);
  });
});
