import { Queue } from 'bullmq';
import { existsSync, readFileSync, rmSync } from 'fs';
import { Client } from 'pg';
import { join, resolve } from 'path';
import { QUEUE, redisOptions } from '@illbridge/queues';
import { createTestDatabase, eventually, jsonClient, TEST_ADMIN_KEY, testConfig } from '@illbridge/testing';
import type { RunningService } from '../../scripts/lib/services';
import { NacsisWorld, startNacsisWorld } from '../support/nacsis-fixtures';
import { daysAgo } from '../support/runs';
import { faultServices } from './fault-services';
import { PUSH_FAULT_ENV, seedLenderPushes } from './lender-pushes';
import { faultScale } from './scale';

/** Issue 16 item 1: two import workers, two action-push and two reporting processes on one Redis and one
 *  Postgres (with profile-config and the simulator, each a process of its own), and one of each killed with SIGKILL in the middle of its work: the import worker while it holds
 *  running runs, the action-push process while it drains, the reporting instance while it applies report events
 *  and is asked for a request list. Checked from Postgres, the simulator's call log and the surviving reporting
 *  instance's API: every scheduled and run-now import ran once (one job_run per trigger, each request created
 *  once, none lost), never two running runs of a profile (sampled all along), the killed worker's runs taken over
 *  and finished by the other; every action pushed once and in order (each CATP command once, in seq order),
 *  none lost; job reports and request lists with the right counts. */
describe('two of each service, one of each killed (fault suite)', () => {
  const logDir = resolve(__dirname, '..', '..', 'test-artifacts', 'faults-two-of-each');
  const COUNT = faultScale(400, 3_000); // Libris requests per profile
  const HARVEST_DAYS = faultScale(240, 480); // 8 (16) windows of 31 days, each slowed down
  const LIBRIS_LATENCY_MS = faultScale(600, 800);
  const PUSH_REQUESTS = faultScale(20, 100); // × 3 actions
  /** A schedule minute of 400 ms: `everyMinutes: 5` fires every 2 seconds. */
  const SCHEDULE = { SCHEDULE_MINUTE_MS: '400' };
  const PROFILES = [
    { sigel: 'Hig', scheduled: false },
    { sigel: 'Umu', scheduled: false },
    { sigel: 'Lnu', scheduled: true },
    { sigel: 'Mdh', scheduled: true },
  ];
  // Each instance logs to its own directory: `a` is the one killed.
  const a = faultServices(join(logDir, 'a'));
  const b = faultServices(join(logDir, 'b'));
  let world: NacsisWorld;
  let sampler: Client;

  beforeAll(async () => {
    rmSync(logDir, { recursive: true, force: true });
    // The simulator (Libris and NACSIS-ILL) is a process of its own too, with an empty Libris store.
    const database = await createTestDatabase();
    const simulator = await a.spawn('ill-simulator', testConfig(database.url), { SIM_LIBRIS_REQUESTS: '0' }, 120_000);
    world = await startNacsisWorld({ database, simulator: { url: simulator.url, close: () => simulator.stop() } });
    sampler = new Client({ connectionString: world.config.databaseUrl });
    await sampler.connect();
  });

  afterAll(async () => {
    await Promise.all([a.killAll(), b.killAll()]);
    await sampler?.end();
    await world?.close();
  });

  it(`imports ${PROFILES.length} × ${COUNT} Libris requests (run now and scheduled) and pushes ${PUSH_REQUESTS * 3} actions exactly once although one import worker, one action-push and one reporting process were killed`, async () => {
    const { config, pg, simApi } = world;
    // Seven processes start at once (each compiles its sources): on a busy machine that takes longer than one does.
    const STARTUP_MS = 180_000;
    const importEnv = { ...SCHEDULE, IMPORT_CONCURRENCY: '3', IMPORT_BATCH_SIZE: '50', IMPORT_LOCK_MS: '5000', LIBRIS_REFRESH_PER_RUN: '5' };
    const [admin, importA, importB, pushA, pushB, reportingA, reportingB] = await Promise.all([
      a.spawn('profile-config', config, SCHEDULE, STARTUP_MS),
      a.spawn('import-worker', config, importEnv, STARTUP_MS),
      b.spawn('import-worker', config, importEnv, STARTUP_MS),
      a.spawn('action-push', config, PUSH_FAULT_ENV, STARTUP_MS),
      b.spawn('action-push', config, PUSH_FAULT_ENV, STARTUP_MS),
      a.spawn('reporting', config, SCHEDULE, STARTUP_MS),
      b.spawn('reporting', config, SCHEDULE, STARTUP_MS),
    ]);
    const api = jsonClient(admin.url, TEST_ADMIN_KEY);
    const reports = jsonClient(reportingB.url, TEST_ADMIN_KEY);
    const kill = async (service: RunningService) => {
      service.process.kill('SIGKILL');
      await service.stop();
    };

    // The push workload's requests, seeded while NACSIS still answers at once.
    const pushes = await seedLenderPushes(world, PUSH_REQUESTS);

    // Four Libris profiles: two run now, two on an INTERVAL schedule (the schedule set once the mapping is there).
    expect((await api('POST', '/api/libraries', { code: 'MAIN', name: 'Main', resourceSharing: true })).status).toBe(201);
    await simApi('POST', '/_sim/faults/libris', { latencyMs: LIBRIS_LATENCY_MS });
    const profiles: { id: string; sigel: string; scheduled: boolean }[] = [];
    for (const [i, { sigel, scheduled }] of PROFILES.entries()) {
      await simApi('POST', '/_sim/libris/keys', { sigel, apiKey: `k-${sigel}` });
      const generated = await simApi('POST', '/_sim/libris/generate', { sigel, count: COUNT, from: daysAgo(HARVEST_DAYS), to: daysAgo(0), seed: 41 + i, unknownSigelShare: 0 });
      expect(generated.status).toBe(201);
      const created = await api('POST', '/api/integration-profiles', {
        code: `TWO${i}`, name: `Two of each ${sigel}`, integrationType: 'RESOURCE_SHARING', system: 'LIBRIS', baseUrl: `${world.sim.url}/libris/api`,
        libraryCode: sigel, resourceSharingLibraryCode: 'MAIN', authentication: { enabled: true, apiKey: `k-${sigel}` },
        harvestStartDate: daysAgo(HARVEST_DAYS), schedule: { type: 'NOT_SCHEDULED' },
      });
      expect(created.status).toBe(201);
      expect((await api('PUT', `/api/integration-profiles/${created.body.id}/library-mappings`, [{ libraryCode: 'MAIN', externalLibraryCode: sigel }])).status).toBe(200);
      profiles.push({ id: created.body.id, sigel, scheduled });
    }
    const setSchedule = (id: string, schedule: object) => api('PATCH', `/api/integration-profiles/${id}`, { schedule });

    // Sampled all along: never two RUNNING runs of one profile; a running run's live counters (from the report
    // events, asked of the reporting instances in turn) never above the records the run has written.
    const reportingUrls = [reportingA.url, reportingB.url];
    const seen = { samples: 0, liveSamples: 0, overlaps: new Set<string>(), liveAbove: [] as unknown[], maxRunning: 0 };
    let sampling = true;
    const sampled = (async () => {
      for (let turn = 0; sampling; turn++) {
        const { rows } = await sampler.query(`SELECT profile_id, array_agg(id) AS runs FROM job_run WHERE state = 'RUNNING' GROUP BY profile_id`);
        seen.samples++;
        seen.maxRunning = Math.max(seen.maxRunning, rows.length);
        for (const r of rows) if (r.runs.length > 1) seen.overlaps.add(`profile ${r.profile_id}: runs ${[...r.runs].sort().join(', ')}`);
        for (const [k, r] of rows.entries()) {
          const url = reportingUrls[(turn + k) % reportingUrls.length];
          const live = await jsonClient(url, TEST_ADMIN_KEY)('GET', `/api/jobs/${r.runs[0]}`).catch(() => null);
          if (live?.status !== 200 || live.body.state !== 'RUNNING') continue;
          const written = (await sampler.query(`SELECT count(*)::int AS n FROM record_event WHERE job_run_id = $1`, [r.runs[0]])).rows[0].n;
          seen.liveSamples++;
          if (live.body.counters.totalRecordsProcessed > written) seen.liveAbove.push({ run: r.runs[0], live: live.body.counters, written });
        }
        await new Promise((done) => setTimeout(done, 150));
      }
    })();

    let runningAtKill: string[] = [];
    try {
      const manualRuns: string[] = [];
      for (const p of profiles) {
        if (p.scheduled) {
          const set = await setSchedule(p.id, { type: 'INTERVAL', everyMinutes: 5 });
          expect(set.status).toBe(200);
        } else {
          const started = await api('POST', `/api/integration-profiles/${p.id}/run`);
          expect(started.status).toBe(202);
          manualRuns.push(started.body.jobRunId);
        }
      }

      // 1. An import worker killed while it holds running runs: with 4 runs RUNNING and at most 3 per worker, each
      //    worker holds at least one.
      const atImportKill = await eventually(async () => {
        const { rows } = await pg.query(
          `SELECT j.id, j.profile_id, j.trigger, (SELECT count(*)::int FROM record_event e WHERE e.job_run_id = j.id) AS written FROM job_run j WHERE j.state = 'RUNNING'`,
        );
        return rows.length === PROFILES.length && rows.every((r) => r.written > 0) ? rows : null;
      }, 60_000, 'a run of every profile RUNNING, each with records written');
      await kill(importA);
      const killedAt = new Date();
      runningAtKill = atImportKill.map((r) => r.id);
      expect(atImportKill.map((r) => r.trigger).sort()).toEqual(['MANUAL', 'MANUAL', 'SCHEDULED', 'SCHEDULED']);
      const writtenAtKill = (await pg.query(`SELECT count(*)::int AS n FROM record_event WHERE job_run_id = ANY($1)`, [runningAtKill])).rows[0].n;
      expect(writtenAtKill).toBeLessThan(PROFILES.length * COUNT);

      // 2. A reporting instance killed while it applies the imports' report events and is asked for a request list.
      const metric = async (url: string, name: string) =>
        (await (await fetch(`${url}/metrics`)).text())
          .split('\n')
          .filter((l) => l.startsWith(`${name}{`))
          .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
      await eventually(async () => (await metric(reportingA.url, 'illbridge_report_records_total')) > 0, 30_000, 'reporting a to have applied record events');
      const asked = jsonClient(reportingA.url, TEST_ADMIN_KEY)('GET', `/api/borrowing-requests?profileId=${profiles[0].id}&limit=50`).catch((e: Error) => e);
      reportingUrls.splice(0, 1);
      await kill(reportingA);
      await asked;
      expect((await pg.query(`SELECT count(*)::int AS n FROM job_run WHERE state = 'RUNNING'`)).rows[0].n).toBeGreaterThan(0); // the imports were still going

      // 3. An action-push process killed while it drains: the actions taken over both processes' APIs in turn.
      expect((await simApi('POST', '/_sim/faults/nacsis', { latencyMs: 150 })).status).toBe(200);
      await simApi('DELETE', '/_sim/nacsis/calls');
      await pushes.takeAll([pushA.url, pushB.url], TEST_ADMIN_KEY);
      const ids = pushes.seeded.map((s) => s.requestId);
      const heldByA = await eventually(async () => {
        const counts = await pushes.states();
        if ((counts.SENT ?? 0) < pushes.total / 4 || (counts.PENDING ?? 0) + (counts.SENDING ?? 0) === 0) return null;
        const { rows } = await pg.query(
          `SELECT r.id FROM rs_request r WHERE r.id = ANY($1) AND r.push_lease_owner LIKE $2 AND r.push_lease_until > now()
              AND EXISTS (SELECT 1 FROM outbound_action o WHERE o.request_id = r.id AND o.state IN ('PENDING', 'SENDING'))`,
          [ids, `%-${pushA.process.pid}-%`],
        );
        return rows.length ? rows.map((r) => r.id as string) : null;
      }, 60_000, 'a quarter of the actions SENT and action-push a draining others');
      await kill(pushA);
      expect((await pushes.states()).SENT).toBeLessThan(pushes.total);

      // Every action SENT by the surviving process, each CATP command once and in order.
      expect(await pushes.allSent(120_000)).toEqual({ SENT: pushes.total });
      await simApi('DELETE', '/_sim/faults/nacsis');
      await pushes.expectPushedOnceInOrder();
      const takenOver = await pg.query(`SELECT count(*)::int AS n FROM rs_request WHERE id = ANY($1) AND sync_state = 'IN_SYNC' AND push_lease_owner IS NULL`, [heldByA]);
      expect(takenOver.rows[0].n).toBe(heldByA.length);

      // The runs the killed worker held are taken over and finish; then the schedules are stopped and the queue drains.
      const runEnded = (id: string) =>
        eventually(async () => {
          const { rows } = await pg.query('SELECT * FROM job_run WHERE id = $1', [id]);
          return rows[0] && !['PENDING', 'RUNNING'].includes(rows[0].state) ? rows[0] : null;
        }, faultScale(120_000, 400_000), `run ${id} to end`);
      for (const id of [...new Set([...runningAtKill, ...manualRuns])]) await runEnded(id);
      // Scheduled runs go on after the kill: the schedules did not die with the worker.
      const scheduledIds = profiles.filter((x) => x.scheduled).map((x) => x.id);
      await eventually(async () => {
        const { rows } = await pg.query(
          `SELECT count(DISTINCT profile_id)::int AS n FROM job_run WHERE profile_id = ANY($1) AND trigger = 'SCHEDULED' AND state = 'COMPLETED_SUCCESSFULLY' AND started_at > $2`,
          [scheduledIds, killedAt],
        );
        return rows[0].n === scheduledIds.length ? true : null;
      }, 60_000, 'a scheduled run of each scheduled profile, started after the kill, to complete');
      for (const p of profiles.filter((x) => x.scheduled)) expect((await setSchedule(p.id, { type: 'NOT_SCHEDULED' })).status).toBe(200);
      const imports = new Queue(QUEUE.IMPORT, { connection: redisOptions(config.redisUrl, 'producer'), prefix: config.queuePrefix });
      const events = new Queue(QUEUE.REPORT_EVENTS, { connection: redisOptions(config.redisUrl, 'producer'), prefix: config.queuePrefix });
      try {
        let quietSince = 0;
        await eventually(async () => {
          const { rows } = await pg.query(`SELECT count(*)::int AS n FROM job_run WHERE state IN ('PENDING', 'RUNNING')`);
          const queued = await imports.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
          const reporting = await events.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
          const quiet = rows[0].n === 0 && [...Object.values(queued), ...Object.values(reporting)].every((n) => n === 0);
          quietSince = quiet ? quietSince || Date.now() : 0;
          return quiet && Date.now() - quietSince > 1500;
        }, 60_000, 'no run active, no import job or report event left');
        expect(await events.getJobCounts('failed')).toEqual({ failed: 0 });
      } finally {
        await imports.close();
        await events.close();
      }
    } finally {
      sampling = false;
      await sampled;
    }

    // Never two running runs of a profile at once; the live counters never counted a record twice.
    expect([...seen.overlaps]).toEqual([]);
    expect(seen.liveAbove).toEqual([]);
    expect(seen.maxRunning).toBe(PROFILES.length);
    expect(seen.liveSamples).toBeGreaterThan(10);

    // Every import ran once: one job_run per trigger (run now: the one it made; a schedule tick: one run or a SKIPPED
    // one), none failed, and each profile's requests created once, none lost.
    const runs = (await pg.query(`SELECT * FROM job_run ORDER BY created_at`)).rows;
    expect(runs.filter((r) => !['COMPLETED_SUCCESSFULLY', 'SKIPPED'].includes(r.state)).map((r) => [r.id, r.state, r.error])).toEqual([]);
    expect(new Set(runs.map((r) => r.queue_job_id)).size).toBe(runs.length);
    for (const p of profiles) {
      const own = runs.filter((r) => r.profile_id === p.id && r.state !== 'SKIPPED');
      if (!p.scheduled) expect(own.map((r) => r.trigger)).toEqual(['MANUAL']);
      else expect(own.length).toBeGreaterThanOrEqual(2);
      expect(own.every((r) => r.trigger === (p.scheduled ? 'SCHEDULED' : 'MANUAL'))).toBe(true);
      expect(own.reduce((sum, r) => sum + r.counters.created, 0)).toBe(COUNT);
      expect(own[0].counters).toMatchObject({ totalRecordsProcessed: COUNT, created: COUNT, updated: 0, unchanged: 0, borrowingFailed: 0, lendingFailed: 0 });
      const stored = await pg.query(
        `SELECT count(*)::int AS requests, count(DISTINCT external_id)::int AS distinct_ids,
                (SELECT count(*)::int FROM request_event e JOIN rs_request q ON q.id = e.request_id WHERE q.profile_id = $1 AND e.type = 'CREATED') AS created_events
           FROM rs_request WHERE profile_id = $1`,
        [p.id],
      );
      expect({ sigel: p.sigel, ...stored.rows[0] }).toEqual({ sigel: p.sigel, requests: COUNT, distinct_ids: COUNT, created_events: COUNT });
    }
    // The killed worker's runs (a second attempt) finished in the other worker; the other worker's runs were its own.
    const logOf = (dir: string) => (existsSync(join(logDir, dir, 'import-worker.log')) ? readFileSync(join(logDir, dir, 'import-worker.log'), 'utf8') : '');
    const endedIn = (log: string, id: string) => log.includes(`Run ${id} (`) && new RegExp(`Run ${id} \\([^)]*\\) ended`).test(log);
    const [logA, logB] = [logOf('a'), logOf('b')];
    const atKill = runs.filter((r) => runningAtKill.includes(r.id));
    const resumed = atKill.filter((r) => r.attempts >= 2);
    expect(resumed.length).toBeGreaterThanOrEqual(1);
    expect(resumed.length).toBeLessThan(atKill.length);
    expect(atKill.map((r) => [r.id, r.state, endedIn(logA, r.id), endedIn(logB, r.id)])).toEqual(atKill.map((r) => [r.id, 'COMPLETED_SUCCESSFULLY', false, true]));

    // The surviving reporting instance: each job report with the worker's counters, each profile's history and
    // request list complete, every report event of the work applied (a run-ended per run, a sent per action).
    for (const run of runs.filter((r) => r.state !== 'SKIPPED')) {
      const report = await reports('GET', `/api/jobs/${run.id}`);
      expect([run.id, report.status, report.body.state, report.body.counters]).toEqual([run.id, 200, run.state, expect.objectContaining(run.counters)]);
    }
    for (const p of profiles) {
      const history = await reports('GET', `/api/integration-profiles/${p.id}/job-history?limit=1`);
      expect([p.sigel, history.body.total]).toEqual([p.sigel, runs.filter((r) => r.profile_id === p.id).length]);
      const byDirection = (await pg.query(`SELECT direction, count(*)::int AS n FROM rs_request WHERE profile_id = $1 GROUP BY direction`, [p.id])).rows;
      const listed: Record<string, number> = {};
      for (const direction of ['BORROWING', 'LENDING']) {
        const list = await reports('GET', `/api/${direction.toLowerCase()}-requests?profileId=${p.id}&limit=1`);
        expect(list.status).toBe(200);
        listed[direction] = list.body.total;
        expect(list.body.facets.status.reduce((sum: number, f: { count: number }) => sum + f.count, 0)).toBe(list.body.total);
      }
      expect(listed.BORROWING + listed.LENDING).toBe(COUNT);
      expect(listed).toEqual({ BORROWING: 0, LENDING: 0, ...Object.fromEntries(byDirection.map((r) => [r.direction, r.n])) });
    }
    const nacsisList = await reports('GET', `/api/lending-requests?profileId=${world.profileId}&limit=1`);
    expect([nacsisList.body.total, nacsisList.body.facets.syncState]).toEqual([PUSH_REQUESTS, [{ value: 'IN_SYNC', count: PUSH_REQUESTS }]]);
    const applied = await pg.query(`SELECT id FROM report_event WHERE id LIKE 'run-ended:%' OR id LIKE 'push:%:sent'`);
    const appliedIds = new Set(applied.rows.map((r) => r.id as string));
    const actionIds = (await pg.query(`SELECT id FROM outbound_action WHERE request_id = ANY($1)`, [pushes.seeded.map((s) => s.requestId)])).rows.map((r) => r.id);
    expect(runs.filter((r) => r.state !== 'SKIPPED' && !appliedIds.has(`run-ended:${r.id}`)).map((r) => r.id)).toEqual([]);
    expect(actionIds.filter((id) => !appliedIds.has(`push:${id}:sent`))).toEqual([]);

    // The survivors lived through it all.
    expect([importB, pushB, reportingB, admin].map((s) => [s.name, s.process.exitCode])).toEqual([importB, pushB, reportingB, admin].map((s) => [s.name, null]));
  }, faultScale(300_000, 900_000));
});
