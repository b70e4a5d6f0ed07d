import { Queue } from 'bullmq';
import { Client } from 'pg';
import { importJobId, QUEUE } from '@illbridge/queues';
import { eventually } from '@illbridge/testing';
import { ImportSettings } from '../apps/import-worker/src/import-settings';
import { LIBRIS_FINAL_STATUSES, librisStatusCanChange } from '@illbridge/workflow';
import { LibrisWorld, startLibrisWorld } from './support/libris-fixtures';
import { daysAgo, runEnded, startRun } from './support/runs';
import { JsonClient } from './support/stack';

/** The Libris import end to end: profile-config and the import worker (real BullMQ, Postgres, Redis)
 *  against the simulator over HTTP, driven as an operator would. */
describe('Libris import (end to end)', () => {
  const SIGEL = 'Hig';
  const LIBRIS_KEY = 'hig-secret-api-key';
  let world: LibrisWorld;
  let reportingApi: JsonClient;
  let pg: Client;
  let api: JsonClient;
  let simApi: JsonClient;
  let profileId: string;
  let importQueue: Queue;
  /** The run's job as the queue dashboard shows it: its state, attempts and reason. */
  const jobOf = async (runId: string) => {
    importQueue ??= new Queue(QUEUE.IMPORT, { connection: { url: world.config.redisUrl }, prefix: world.config.queuePrefix });
    const job = (await importQueue.getJob(importJobId(runId)))!;
    return { state: await job.getState(), attemptsMade: job.attemptsMade, failedReason: job.failedReason };
  };
  const failedJob = (runId: string) =>
    eventually(async () => {
      const job = await jobOf(runId);
      return job.state === 'failed' && job;
    }, 10_000, 'the job failed');
  /** The worker's settings (the test of the pace changes the rate for one run). */
  const settings = new ImportSettings({ librisMaxRequestsPerSecond: 1000, httpTimeoutMs: 1500, retry: { attempts: 3, baseDelayMs: 20, maxDelayMs: 100 }, batchSize: 7 });

  const runNow = () => world.runNow(profileId);
  const requests = async () =>
    (await pg.query(`SELECT * FROM rs_request WHERE profile_id = $1 ORDER BY external_id`, [profileId])).rows;
  const simRequests = async () => (await simApi('GET', `/_sim/libris/requests/${SIGEL}`)).body.requests as any[];
  /** The day an LF number was issued (`Hig-YYMMDD-NNNN`): the simulator creates a request on that day. */
  const lfDay = (lfNumber: string) => {
    const [, yymmdd] = /-(\d{6})-/.exec(lfNumber)!;
    return `20${yymmdd.slice(0, 2)}-${yymmdd.slice(2, 4)}-${yymmdd.slice(4)}`;
  };
  /** What a run from `from` reads of the stored requests: those created in its windows, and the open ones in a Libris
   *  status that can still change, refreshed one by one by LF number. */
  const expectedReads = async (from = daysAgo(1)) => {
    const stored = await requests();
    const inWindows = stored.filter((r) => lfDay(r.external_id) >= from);
    const refreshed = stored.filter((r) => lfDay(r.external_id) < from && !r.closed && librisStatusCanChange(r.external_system_status));
    return { count: inWindows.length + refreshed.length, refreshed: refreshed.map((r) => r.external_id) };
  };

  beforeAll(async () => {
    world = await startLibrisWorld({ sigel: SIGEL, apiKey: LIBRIS_KEY, reporting: true, worker: settings });
    ({ api, pg, simApi, reports: reportingApi } = world);
    await world.generate({ count: 30, from: daysAgo(100), to: daysAgo(0), seed: 42, unknownSigelShare: 0 });
    await world.addRequest(daysAgo(3), { requesting_library: 'Xyz', title: 'Beställd av okänt bibliotek' });

    for (const code of ['Gk', 'S', 'U', 'L', 'Li', 'Um', 'Hig', 'Lnu', 'Ö', 'Sh']) {
      await api('POST', '/api/partners', { code: code.toUpperCase() === code ? code : code, name: `Library ${code}`, system: 'LIBRIS' });
    }
    profileId = (await world.createLibrisProfile({ code: 'LIBRIS_E2E', name: 'Libris e2e', active: true, harvestStartDate: daysAgo(100) })).id;
  });

  afterAll(async () => {
    await importQueue?.close();
    await world?.close();
  });

  it('first run creates the requests, fails the unmapped one alone, and reads only ≤31-day windows', async () => {
    await simApi('DELETE', '/_sim/libris/calls');
    const run = await runNow();
    expect(run.state).toBe('COMPLETED_WITH_ERRORS');
    expect(run.counters).toEqual({
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
    const failed = (await pg.query(`SELECT * FROM record_event WHERE job_run_id = $1 AND outcome = 'FAILED'`, [run.id])).rows;
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ reason_code: 'LIBRARY_NOT_MAPPED' });
    expect(failed[0].message).toContain('"Xyz"');

    const source = new Map((await simRequests()).map((r) => [r.lf_number, r]));
    const stored = await requests();
    expect(stored).toHaveLength(30);
    for (const request of stored) {
      const original = source.get(request.external_id)!;
      expect(request.external_system_status).toBe(original.status);
      expect(request.direction).toBe('BORROWING');
      expect(request.owner_library_code).toBe('MAIN');
      expect(request.pickup_library_code).toBe('MAIN');
      expect(request.external_ref).toBe(original.request_id);
      expect(request.title).toBe(original.title || null);
      const expectedPartners = original.recipients.map((r: any) => r.library_code).filter(Boolean);
      expect(request.partners.map((p: string) => p.toLowerCase())).toEqual(expectedPartners.map((p: string) => p.toLowerCase()));
    }
    const byStatus = (text: string) => stored.filter((r) => r.external_system_status === text);
    for (const r of byStatus('Uteliggande')) expect(r.status).toBe('REQUEST_SENT_TO_PARTNER');
    for (const r of byStatus('Negativt svar')) expect(r.status).toBe('REJECTED_BY_PARTNER');
    for (const r of byStatus('Levererad')) expect(r.status).toBe(r.format === 'COPY' ? 'SHIPPED_DIGITALLY' : 'SHIPPED_PHYSICALLY');
    for (const r of byStatus('Reservation')) expect(r.status).toBe('CREATED_BORROWING_REQUEST'); // no local match: stays as created
    expect(new Set(stored.map((r) => r.external_system_status)).size).toBeGreaterThan(2);

    const calls = (await simApi('GET', '/_sim/libris/calls')).body.calls as any[];
    const windows = calls.filter((c) => String(c.path).endsWith('/outgoing'));
    expect(windows.length).toBe(4); // 101 days in windows of at most 31
    for (const call of windows) {
      const days = (Date.parse(call.query.end_date) - Date.parse(call.query.start_date)) / 86_400_000 + 1;
      expect(days).toBeLessThanOrEqual(31);
    }
    expect(windows[0].query.start_date).toBe(daysAgo(100));
    expect(windows[windows.length - 1].query.end_date).toBe(daysAgo(0));
  });

  it('a second run over the same data creates nothing and counts everything it read unchanged', async () => {
    const before = await requests();
    const reads = await expectedReads();
    await simApi('DELETE', '/_sim/libris/calls');
    const run = await runNow();
    expect(run.counters).toMatchObject({ created: 0, updated: 0, unchanged: reads.count, borrowingFailed: 1 });
    expect(await requests()).toHaveLength(before.length);
    // Refreshed one by one by LF number (the simulator refuses a read by request_id), only those whose Libris status
    // can still change, and the unmapped one that failed last time.
    const unmapped = (await pg.query(`SELECT external_id FROM record_event WHERE job_run_id = $1 AND outcome = 'FAILED'`, [run.id])).rows[0].external_id;
    expect((await world.singleReads()).sort()).toEqual([...reads.refreshed, unmapped].sort());
    const finalOnes = before.filter((r) => (LIBRIS_FINAL_STATUSES as readonly string[]).includes(r.external_system_status) && lfDay(r.external_id) < daysAgo(1));
    expect(finalOnes.length).toBeGreaterThan(0);
    for (const r of finalOnes) expect(reads.refreshed).not.toContain(r.external_id);
    const windows = (await pg.query('SELECT window_from, window_to FROM job_run WHERE id = $1', [run.id])).rows[0];
    expect(windows.window_from).toBe(daysAgo(1)); // continues from the last run, with a day of overlap
  });

  it('updates a request that changed in Libris after it was imported', async () => {
    const target = (await requests()).find((r) => r.external_system_status === 'Uteliggande' && r.format === 'LOAN')!;
    expect(target).toBeDefined();
    const changed = await simApi('PATCH', `/_sim/libris/requests/${SIGEL}/${encodeURIComponent(target.external_id)}`, { status: 'Levererad' });
    expect(changed.status).toBe(200);
    const reads = await expectedReads();
    const run = await runNow();
    expect(run.counters).toMatchObject({ created: 0, updated: 1, unchanged: reads.count - 1 });
    const after = (await pg.query('SELECT * FROM rs_request WHERE id = $1', [target.id])).rows[0];
    expect(after).toMatchObject({ status: 'SHIPPED_PHYSICALLY', external_system_status: 'Levererad' });
    const history = (await pg.query(`SELECT type, from_status, to_status FROM request_event WHERE request_id = $1 ORDER BY id`, [target.id])).rows;
    expect(history).toEqual([
      { type: 'CREATED', from_status: null, to_status: 'REQUEST_SENT_TO_PARTNER' },
      { type: 'STATUS_CHANGED', from_status: 'REQUEST_SENT_TO_PARTNER', to_status: 'SHIPPED_PHYSICALLY' },
    ]);
  });

  it('retries 5xx answers and timeouts and then completes', async () => {
    const reads = await expectedReads();
    await simApi('POST', '/_sim/faults/libris', { failNext: 2, failStatus: 503 });
    const afterFailures = await runNow();
    expect(afterFailures.state).toBe('COMPLETED_WITH_ERRORS'); // only the unmapped record
    expect(afterFailures.counters.borrowingSucceeded).toBe(reads.count);
    await simApi('POST', '/_sim/faults/libris', { hangNext: 1 });
    const afterTimeout = await runNow();
    expect(afterTimeout.state).toBe('COMPLETED_WITH_ERRORS');
    expect(afterTimeout.counters.borrowingSucceeded).toBe(reads.count);
    await simApi('DELETE', '/_sim/faults/libris');
  });

  it('warns of an open request Libris no longer knows, leaving it as it was', async () => {
    const gone = (await expectedReads()).refreshed[0];
    expect(gone).toBeDefined();
    const before = (await pg.query('SELECT status, external_system_status, closed FROM rs_request WHERE profile_id = $1 AND external_id = $2', [profileId, gone])).rows[0];
    const kept = (await simRequests()).find((r) => r.lf_number === gone);
    expect((await simApi('DELETE', `/_sim/libris/requests/${SIGEL}/${encodeURIComponent(gone)}`)).status).toBe(204);
    const run = await runNow();
    expect(run.state).toBe('COMPLETED_WITH_ERRORS'); // the unmapped record, as before: a warning fails nothing
    expect(run.warnings).toEqual([`1 open request was not found in Libris when refreshed by LF number and left as they were: ${gone}`]);
    expect((await pg.query('SELECT status, external_system_status, closed FROM rs_request WHERE profile_id = $1 AND external_id = $2', [profileId, gone])).rows[0]).toEqual(before);
    const report = await reportingApi('GET', `/api/jobs/${run.id}`);
    expect(report.status).toBe(200);
    expect(report.body.warnings).toEqual(run.warnings);
    expect((await simApi('POST', '/_sim/libris/raw', { sigel: SIGEL, created: lfDay(gone), record: kept })).status).toBe(204); // back for the next tests
  });

  it('paces its calls to Libris (LIBRIS_MAX_REQUESTS_PER_SECOND) and shows the pace in the run\'s progress', async () => {
    const reads = await expectedReads();
    expect(reads.refreshed.length).toBeGreaterThanOrEqual(8);
    settings.librisMaxRequestsPerSecond = 10;
    try {
      await simApi('DELETE', '/_sim/libris/calls');
      const jobRunId = await startRun(api, profileId);
      const detail = await eventually(async () => {
        const { rows } = await pg.query('SELECT stage, progress_detail FROM job_run WHERE id = $1', [jobRunId]);
        return rows[0]?.stage === 'REFRESHING' && rows[0].progress_detail ? rows[0].progress_detail : null;
      }, 30_000, 'the refresh to show its pace');
      expect(detail).toMatch(/^Refreshing open requests by LF number, at most 10 a second: \d+ of at most \d+/);
      const run = await runEnded(pg, jobRunId);
      expect(run.state).toBe('COMPLETED_WITH_ERRORS');
      expect(run.progress_detail).toBeNull();
      const log = (await simApi('GET', '/_sim/libris/calls')).body;
      const calls = log.calls as { at: string }[];
      // Sent 100 ms apart at the least: the first to the last call took (calls − 1) / 10 s, less a little arrival jitter.
      expect(Date.parse(calls.at(-1)!.at) - Date.parse(calls[0].at)).toBeGreaterThanOrEqual((calls.length - 1) * 100 - 50);
      expect(log.maxPerSecond).toBeLessThanOrEqual(11);
    } finally {
      settings.librisMaxRequestsPerSecond = 1000;
    }
  });

  it('fails the run with the reason when Libris stays unreachable', async () => {
    await simApi('POST', '/_sim/faults/libris', { failShare: 1, failStatus: 500 });
    const run = await runNow();
    await simApi('DELETE', '/_sim/faults/libris');
    expect(run.state).toBe('FAILED');
    expect(run.error_code).toBe('EXTERNAL_SYSTEM_UNAVAILABLE');
    expect(run.error).toMatch(/after 3 attempts/);
    expect((await failedJob(run.id)).failedReason).toContain('EXTERNAL_SYSTEM_UNAVAILABLE');
  });

  it('fails the run at once with AUTHENTICATION_FAILED on a wrong key', async () => {
    expect((await api('PATCH', `/api/integration-profiles/${profileId}`, { authentication: { enabled: true, apiKey: 'wrong-key' } })).status).toBe(200);
    await simApi('DELETE', '/_sim/libris/calls');
    const run = await runNow();
    expect(run.state).toBe('FAILED');
    expect(run.error_code).toBe('AUTHENTICATION_FAILED');
    const calls = (await simApi('GET', '/_sim/libris/calls')).body.calls;
    expect(calls).toHaveLength(1); // refused once, never retried
    // and its queue job failed for good, with the reason (not "completed"), after one attempt
    expect(await failedJob(run.id)).toMatchObject({ attemptsMade: 1, failedReason: expect.stringContaining('AUTHENTICATION_FAILED') });
    expect((await api('PATCH', `/api/integration-profiles/${profileId}`, { authentication: { enabled: true, apiKey: LIBRIS_KEY } })).status).toBe(200);
  });

  it('fails a malformed record alone and the rest of the run goes on', async () => {
    await simApi('POST', '/_sim/libris/raw', { sigel: SIGEL, created: daysAgo(0), record: { lf_number: 'Hig-BAD-0001', request_id: 12, title: { nested: true }, recipients: 'nope' } });
    const reads = await expectedReads();
    const run = await runNow();
    expect(run.state).toBe('COMPLETED_WITH_ERRORS');
    const failed = (await pg.query(`SELECT external_id, reason_code FROM record_event WHERE job_run_id = $1 AND outcome = 'FAILED' ORDER BY external_id`, [run.id])).rows;
    expect(failed.map((f) => f.reason_code).sort()).toEqual(['LIBRARY_NOT_MAPPED', 'MALFORMED_RECORD']);
    expect(run.counters.unchanged).toBe(reads.count);
  });

  it.each([
    ['a body that is not JSON', { malformedNext: 1 }, /the body is not JSON; HTTP 200, application\/json; charset=utf-8\), starting "\{\\"ill_requests\\"/],
    ['an HTML login page', { htmlNext: 1 }, /the body is not JSON; HTTP 200, text\/html; charset=utf-8\), starting "<!DOCTYPE html>/],
  ])('fails the run at once with UNEXPECTED_RESPONSE on %s, showing its first bytes, and keeps the cursor', async (_case, fault, shown) => {
    const cursorBefore = (await pg.query('SELECT harvest_cursor FROM integration_profile WHERE id = $1', [profileId])).rows[0].harvest_cursor;
    await simApi('POST', '/_sim/faults/libris', fault);
    await simApi('DELETE', '/_sim/libris/calls');
    const run = await runNow();
    await simApi('DELETE', '/_sim/faults/libris');
    expect(run.state).toBe('FAILED');
    expect(run.error_code).toBe('UNEXPECTED_RESPONSE');
    expect(run.error).toMatch(/^Window \d{4}-\d{2}-\d{2}…\d{4}-\d{2}-\d{2}: Libris answered something other than the expected JSON \(/);
    expect(run.error).toMatch(shown);
    // Not a malformed record per window: no record of the run failed, and no refresh was tried after it.
    expect((await pg.query(`SELECT count(*)::int AS n FROM record_event WHERE job_run_id = $1 AND outcome = 'FAILED'`, [run.id])).rows[0].n).toBe(0);
    const calls = (await simApi('GET', '/_sim/libris/calls')).body.calls as { path: string }[];
    expect(calls.every((call) => call.path.endsWith('/outgoing'))).toBe(true);
    const cursorAfter = (await pg.query('SELECT harvest_cursor FROM integration_profile WHERE id = $1', [profileId])).rows[0].harvest_cursor;
    expect(cursorAfter).toEqual(cursorBefore); // the next run reads that window again
  });

  it("fails the whole run before harvesting when the profile's own library code resolves to nothing", async () => {
    expect((await api('PUT', `/api/integration-profiles/${profileId}/library-mappings`, [])).status).toBe(200);
    await simApi('DELETE', '/_sim/libris/calls');
    const run = await runNow();
    expect(run.state).toBe('FAILED');
    expect(run.error_code).toBe('LIBRARY_NOT_MAPPED');
    expect(run.error).toContain('"Hig"');
    expect((await simApi('GET', '/_sim/libris/calls')).body.count).toBe(0);
    expect((await api('PUT', `/api/integration-profiles/${profileId}/library-mappings`, [{ libraryCode: 'MAIN', externalLibraryCode: SIGEL }])).status).toBe(200);
  });
});
