import { Client } from 'pg';
import { eventually, jsonClient, TEST_ADMIN_KEY } from '@illbridge/testing';
import { ImportSettings } from '../apps/import-worker/src/import-settings';
import { parseCsv } from '../apps/reporting/src/testing/parse-csv';
import { LibrisWorld, startLibrisWorld } from './support/libris-fixtures';
import { daysAgo, reportWhenEnded, startRun } from './support/runs';
import { JsonClient, urlOf } from './support/stack';

/** Reports end to end: profile-config runs a Libris import, the import worker harvests the simulator,
 *  and everything is read back through the reporting service's HTTP routes only. */
describe('reporting (end to end)', () => {
  let world: LibrisWorld;
  let pg: Client;
  let api: JsonClient;
  let reports: JsonClient;
  let reportingUrl: string;
  let simApi: JsonClient;
  let unmappedId: string;
  const profiles: Record<string, string> = {};

  const createProfile = async (code: string, sigel: string, apiKey: string, harvestStartDate: string) =>
    (await world.createLibrisProfile({ code, name: `Libris ${code}`, sigel, apiKey, active: true, harvestStartDate })).id as string;
  const start = (profileId: string) => startRun(api, profileId);
  const ended = (runId: string, timeoutMs = 60_000) => reportWhenEnded(reports, runId, timeoutMs);

  beforeAll(async () => {
    world = await startLibrisWorld({
      sigel: 'Hig',
      apiKey: 'hig-key',
      reporting: true,
      worker: new ImportSettings({ librisMaxRequestsPerSecond: 1000, httpTimeoutMs: 5000, retry: { attempts: 3, baseDelayMs: 20, maxDelayMs: 100 }, batchSize: 7 }),
    });
    ({ pg, api, reports, simApi } = world);
    reportingUrl = await urlOf(world.reporting!);

    await world.addKey('Lnu', 'lnu-key');
    await world.generate({ sigel: 'Hig', count: 30, from: daysAgo(60), to: daysAgo(0), seed: 7, unknownSigelShare: 0 });
    const unmapped = await world.addRequest(daysAgo(2), { requesting_library: 'Xyz', title: 'Beställd av okänt bibliotek, "Xyz"' });
    unmappedId = unmapped.lf_number;
    expect(unmappedId).toEqual(expect.any(String));
    await world.generate({ sigel: 'Lnu', count: 80, from: daysAgo(200), to: daysAgo(0), seed: 11, unknownSigelShare: 0 });

    profiles.hig = await createProfile('LIBRIS_HIG', 'Hig', 'hig-key', daysAgo(60));
    profiles.lnu = await createProfile('LIBRIS_LNU', 'Lnu', 'lnu-key', daysAgo(200));
  });

  afterAll(async () => {
    await simApi?.('DELETE', '/_sim/faults/libris').catch(() => undefined);
    await world?.close();
  });

  describe('a Libris import with one unmapped record', () => {
    let runId: string;

    beforeAll(async () => {
      runId = await start(profiles.hig);
      await ended(runId);
    });

    it('reports the counters and the failed record with its reason', async () => {
      const report = await reports('GET', `/api/jobs/${runId}`);
      expect(report.status).toBe(200);
      expect(report.body).toMatchObject({ id: runId, profileId: profiles.hig, jobName: 'Import resource sharing requests using profile Libris LIBRIS_HIG', trigger: 'MANUAL', state: 'COMPLETED_WITH_ERRORS', error: null });
      expect(report.body.window).toEqual({ from: daysAgo(60), to: daysAgo(0) });
      expect(report.body.progress).toEqual({ stage: 'DONE', recordsRead: 31, detail: null });
      expect(report.body.warnings).toEqual([]);
      expect(report.body.counters).toEqual({
        totalRecordsProcessed: 31,
        borrowingProcessed: 31,
        borrowingSucceeded: 30,
        borrowingFailed: 1,
        lendingProcessed: 0,
        lendingSucceeded: 0,
        lendingFailed: 0,
        created: 30,
        updated: 0,
        unchanged: 0,
      });
      expect(report.body.failedBorrowing).toEqual([{ externalId: unmappedId, reasonCode: 'LIBRARY_NOT_MAPPED', message: expect.stringContaining('"Xyz"') }]);
      expect(report.body.failedLending).toEqual([]);

      const monitor = await reports('GET', `/api/jobs?profileId=${profiles.hig}`);
      expect(monitor.body).toMatchObject({ total: 1, items: [{ id: runId, profileCode: 'LIBRIS_HIG', state: 'COMPLETED_WITH_ERRORS', counters: report.body.counters }] });
      const history = await reports('GET', `/api/integration-profiles/${profiles.hig}/job-history`);
      expect(history.body.items.map((r: any) => r.id)).toEqual([runId]);
    });

    it('lists every record in the events report and filters to the failed one', async () => {
      const all = await reports('GET', `/api/jobs/${runId}/events?limit=500`);
      expect(all.body.total).toBe(31);
      expect(all.body.items).toHaveLength(31);
      const stored = (await pg.query('SELECT id, external_id FROM rs_request WHERE profile_id = $1', [profiles.hig])).rows;
      const created = all.body.items.filter((e: any) => e.outcome === 'CREATED');
      expect(created).toHaveLength(30);
      expect(new Set(created.map((e: any) => e.externalId))).toEqual(new Set(stored.map((r) => r.external_id)));
      for (const e of created) expect(e.requestId).toBe(stored.find((r) => r.external_id === e.externalId)!.id);

      const failed = await reports('GET', `/api/jobs/${runId}/events?outcome=FAILED`);
      expect(failed.body).toMatchObject({ total: 1, items: [{ externalId: unmappedId, direction: 'BORROWING', outcome: 'FAILED', reasonCode: 'LIBRARY_NOT_MAPPED', requestId: null }] });
      expect(failed.body.items[0].message).toContain('"Xyz"');
    });

    it('downloads the events report as CSV, one row per record', async () => {
      const res = await fetch(`${reportingUrl}/api/jobs/${runId}/events.csv`, { headers: { Authorization: `Bearer ${TEST_ADMIN_KEY}` } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
      expect(res.headers.get('content-disposition')).toBe(`attachment; filename="job-${runId}-events.csv"`);
      const rows = parseCsv(await res.text());
      expect(rows[0]).toEqual(['externalId', 'direction', 'outcome', 'reasonCode', 'message', 'warnings', 'requestId']);
      expect(rows).toHaveLength(32);
      const events = (await reports('GET', `/api/jobs/${runId}/events?limit=500`)).body.items;
      expect(rows.slice(1).map((r) => r[0])).toEqual(events.map((e: any) => e.externalId));
      const failedRow = rows.find((r) => r[0] === unmappedId)!;
      expect(failedRow.slice(1, 4)).toEqual(['BORROWING', 'FAILED', 'LIBRARY_NOT_MAPPED']);
      expect(failedRow[4]).toContain('"Xyz"');
    });

    it('lists borrowing requests delivered in Libris (Levererad) with facets adding up to the total', async () => {
      const res = await reports('GET', `/api/borrowing-requests?externalSystemStatus=Levererad&profileId=${profiles.hig}&limit=5`);
      expect(res.status).toBe(200);
      const expected = Number((await pg.query(`SELECT count(*) FROM rs_request WHERE profile_id = $1 AND external_system_status = 'Levererad'`, [profiles.hig])).rows[0].count);
      expect(expected).toBeGreaterThan(0);
      expect(res.body.total).toBe(expected);
      expect(res.body.items.length).toBe(Math.min(5, expected));
      for (const item of res.body.items) {
        expect(item).toMatchObject({ direction: 'BORROWING', externalSystemStatus: 'Levererad', profileId: profiles.hig });
        expect(['SHIPPED_PHYSICALLY', 'SHIPPED_DIGITALLY']).toContain(item.status);
        expect(item).not.toHaveProperty('raw');
      }
      for (const name of ['status', 'externalSystemStatus', 'partnerCode']) {
        expect(res.body.facets[name].reduce((sum: number, f: any) => sum + f.count, 0)).toBe(expected);
      }
      expect(res.body.facets.externalSystemStatus).toEqual([{ value: 'Levererad', count: expected }]);

      const detail = await reports('GET', `/api/requests/${res.body.items[0].id}`);
      expect(detail.status).toBe(200);
      expect(detail.body.raw).toMatchObject({ lf_number: res.body.items[0].externalId, status: 'Levererad' });
      expect(detail.body.events[0]).toMatchObject({ type: 'CREATED', jobRunId: runId });
    });
  });

  describe('aborting a long run', () => {
    afterAll(async () => {
      await simApi('DELETE', '/_sim/faults/libris');
    });

    it('ends it ABORTED between batches and reports what was done so far', async () => {
      expect((await simApi('POST', '/_sim/faults/libris', { latencyMs: 1500 })).status).toBeLessThan(300);
      const runId = await start(profiles.lnu);
      // Running, with the first window's records written.
      await eventually(async () => {
        const run = await reports('GET', `/api/jobs/${runId}`);
        return run.body.state === 'RUNNING' && run.body.progress.recordsRead > 0 ? run.body : null;
      }, 30_000, 'the run to have read records');

      const viewerKey = (await api('POST', '/api/api-keys', { name: 'staff', role: 'viewer' })).body.key;
      const refused = await jsonClient(reportingUrl, viewerKey)('POST', `/api/jobs/${runId}/abort`);
      expect(refused.status).toBe(403);

      const abort = await reports('POST', `/api/jobs/${runId}/abort`);
      expect(abort.status).toBe(200);
      expect(abort.body).toMatchObject({ id: runId, abortRequested: true });
      expect(['RUNNING', 'ABORTED']).toContain(abort.body.state);

      const report = await ended(runId, 30_000);
      expect(report.state).toBe('ABORTED');
      expect(report.finishedAt).toEqual(expect.any(String));
      expect(report.counters.totalRecordsProcessed).toBeGreaterThan(0);
      expect(report.counters.totalRecordsProcessed).toBeLessThan(80); // stopped well before the 7 windows were read
      expect(report.counters.created).toBe(report.counters.totalRecordsProcessed);
      expect(report.progress.recordsRead).toBe(report.counters.totalRecordsProcessed);

      const events = await reports('GET', `/api/jobs/${runId}/events`);
      expect(events.body.total).toBe(report.counters.totalRecordsProcessed);
      const stored = Number((await pg.query('SELECT count(*) FROM rs_request WHERE profile_id = $1', [profiles.lnu])).rows[0].count);
      expect(stored).toBe(report.counters.created);

      const again = await reports('POST', `/api/jobs/${runId}/abort`);
      expect(again.status).toBe(409);
      expect(again.body.code).toBe('CONFLICT');
      const aborted = await reports('GET', '/api/jobs?state=ABORTED');
      expect(aborted.body.items.map((r: any) => r.id)).toEqual([runId]);
    });
  });
});
