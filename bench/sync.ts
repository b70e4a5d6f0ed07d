/* Near-real-time sync, timed (issue 16 item 5): the incremental run of a profile with an INTERVAL schedule of
   5 minutes and BENCH_SYNC_REQUESTS (100,000) requests already synced, through the real path (profile-config
   "run now" → BullMQ → the import worker as its own process, compiled → the simulator over HTTP; the reporting
   app in-process for the request list).

   NACSIS: the simulator generates the records (over 60 days) and one first sync imports them; an unchanged
   incremental run must find 0 changed; then 10 records change in the simulator (its control API: the lender
   RECEIVEs them) and the incremental run is timed: duration, CATP calls by method (the simulator's call log),
   the worker's CPU, and the time from the change to the change visible in the borrowing list (GET
   /api/borrowing-requests?q=<id>), by run-now and, worst case, with the 5-minute interval (interval + that).

   Libris: BENCH_SYNC_REQUESTS requests imported by one first run, then all made open in a status that can still
   change; the incremental run (cursor today: yesterday's and today's windows + the refresh by LF number, at most
   LIBRIS_REFRESH_PER_RUN, least recently refreshed first) is timed unpaced (the bench's worker runs
   LIBRIS_MAX_REQUESTS_PER_SECOND=100000, to measure us) and at the default pace of 2 a second (computed from its
   calls), twice (the second run refreshes the next ones); worst-case staleness = ⌈open ÷ budget⌉ × interval. */
import { startSimulator } from '../apps/ill-simulator/src/simulator';
import { NacsisCallLog } from '../apps/ill-simulator/src/nacsis/nacsis-call-log';
import { createReportingApp } from '../apps/reporting/src/main';
import { LibrisCallLog } from '../apps/ill-simulator/src/libris/libris-call-log';
import { LibrisStore } from '../apps/ill-simulator/src/libris/libris-store';
import { DEFAULT_LIBRIS_MAX_REQUESTS_PER_SECOND } from '@illbridge/connectors/libris';
import { Pacer } from '@illbridge/connectors/pacer';
import { ImportSettings } from '../apps/import-worker/src/import-settings';
import { seedLibris } from './libris';
import { ADMIN_KEY, api, appConfig, describeCpu, dropDatabase, freshDatabase, PartResult, sleep, startImportStack } from './lib';

const DB = `illbridge_bench_sync${process.env.BENCH_DB_SUFFIX ?? ''}`;
const US = { participantId: 'FA012345', userId: 'BENCHUSR', password: 'bench-secret', name: '架空大学図書館' };
const DAYS = 60;
const INTERVAL_MINUTES = 5;
const CHANGED = 10;

type Stack = Awaited<ReturnType<typeof startImportStack>>;

/** Run now, once no other run of the profile (a scheduled one) is pending or running. */
async function runWhenIdle(stack: Stack, profileId: string) {
  for (;;) {
    const busy = (await stack.pg.query(`SELECT 1 FROM job_run WHERE profile_id = $1 AND state IN ('PENDING', 'RUNNING')`, [profileId])).rowCount;
    if (!busy) {
      try {
        return await stack.timedRun(profileId);
      } catch (error) {
        if (!String(error).includes('JOB_ALREADY_RUNNING')) throw error;
      }
    }
    await sleep(200);
  }
}

/** CATP calls by method, e.g. `1 GETHANDLE, 8 SEARCH, 2 RETRIEVE, 1 RELEASEHANDLE`. */
function callsByMethod(log: NacsisCallLog) {
  const counts = new Map<string, number>();
  for (const call of log.list()) counts.set(call.method ?? '?', (counts.get(call.method ?? '?') ?? 0) + 1);
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  return { total, counts, text: [...counts].map(([method, n]) => `${n} ${method}`).join(', ') };
}

export async function nacsisSyncBench(requests: number, prefix: string): Promise<PartResult> {
  const rows: PartResult['rows'] = [];
  const notes: string[] = [];
  const url = await freshDatabase(DB);
  const sim = await startSimulator({ logLevels: false });
  const simCall = async (method: string, path: string, body?: unknown): Promise<any> => {
    const res = await fetch(`${sim.url}${path}`, { method, headers: { 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const data = await res.json().catch(() => null);
    if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${JSON.stringify(data)}`);
    return data;
  };
  await simCall('POST', '/_sim/nacsis/participants', US);
  for (let done = 0, seed = 1; done < requests; seed++) {
    const count = Math.min(10_000, requests - done);
    await simCall('POST', '/_sim/nacsis/generate', { ourParticipantId: US.participantId, count, seed, days: DAYS });
    done += count;
  }
  const stack = await startImportStack(url, prefix);
  const reporting = await createReportingApp(appConfig(url, prefix));
  await reporting.listen(0, '127.0.0.1');
  const reportingBase = (await reporting.getUrl()).replace('[::1]', '127.0.0.1');
  const { base, pg } = stack;
  try {
    await api(base, 'POST', '/api/libraries', { code: 'MAIN', name: '本館', resourceSharing: true });
    const participants = (await simCall('GET', '/_sim/nacsis/participants')).participants as { participantId: string; name: string }[];
    for (const p of participants.filter((p) => p.participantId !== US.participantId)) await api(base, 'POST', '/api/partners', { code: p.participantId, name: p.name, system: 'NACSIS' });
    const from = new Date(Date.now() - DAYS * 86_400_000).toISOString().slice(0, 10);
    const profile = await api(base, 'POST', '/api/integration-profiles', {
      code: 'NACSIS_SYNC', name: 'NACSIS sync', integrationType: 'RESOURCE_SHARING', system: 'NACSIS', baseUrl: `${sim.url}/nacsis/catp`,
      libraryCode: US.participantId, resourceSharingLibraryCode: 'MAIN', authentication: { enabled: true, userId: US.userId, password: US.password },
      active: true, harvestStartDate: from, granularity: 'DAY', schedule: { type: 'NOT_SCHEDULED' },
    });
    await api(base, 'PUT', `/api/integration-profiles/${profile.id}/library-mappings`, [{ libraryCode: 'MAIN', externalLibraryCode: US.participantId }]);
    const log = sim.app.get(NacsisCallLog);

    const first = await runWhenIdle(stack, profile.id);
    if (first.run.state === 'FAILED') throw new Error(`NACSIS first sync failed: ${first.run.error}`);
    const synced = Number((await pg.query('SELECT count(*)::int AS n FROM rs_request WHERE profile_id = $1', [profile.id])).rows[0].n);
    const openLending = Number((await pg.query(`SELECT count(*)::int AS n FROM rs_request WHERE profile_id = $1 AND direction = 'LENDING' AND NOT closed`, [profile.id])).rows[0].n);
    rows.push({
      what: `NACSIS first sync (load: ${synced} requests, ${openLending} of them open lending)`,
      result: `${first.seconds.toFixed(1)} s (${Math.round(first.run.counters.totalRecordsProcessed / first.seconds)} records/s)`,
      target: 'load only (no target)',
    });
    // The interval schedule from here: created with it, the profile's first scheduled run would race the timed first
    // sync above (and the bench would time the incremental run after it instead).
    await api(base, 'PATCH', `/api/integration-profiles/${profile.id}`, { schedule: { type: 'INTERVAL', everyMinutes: INTERVAL_MINUTES } });

    log.clear();
    const unchanged = await runWhenIdle(stack, profile.id);
    const unchangedCalls = callsByMethod(log);
    const u = unchanged.run.counters;
    rows.push({
      what: `NACSIS incremental run, nothing changed (${u.totalRecordsProcessed} read: ${u.unchanged} unchanged, ${u.updated} updated, ${u.created} created)`,
      result: `${unchanged.seconds.toFixed(2)} s; ${unchangedCalls.total} CATP calls (${unchangedCalls.text}); import worker ${Math.round(1000 * unchanged.cpu.child)} CPU-ms`,
      target: `0 changed: ${u.updated + u.created === 0 ? 'met' : 'missed'}`,
    });

    // The change must not meet a scheduled run first, nor its calls mix with the measured run's: wait until no run is
    // pending or running and the next fire is at least 60 s away (past it, and for its run to end, when it is nearer).
    const next = async () => Date.parse((await api(base, 'GET', `/api/integration-profiles/${profile.id}`)).nextRunAt ?? '');
    for (;;) {
      while ((await pg.query(`SELECT 1 FROM job_run WHERE profile_id = $1 AND state IN ('PENDING', 'RUNNING')`, [profile.id])).rowCount) await sleep(200);
      const fire = await next();
      if (!Number.isFinite(fire) || fire - Date.now() >= 60_000) break;
      await sleep(Math.max(0, fire - Date.now()) + 2000);
    }
    const mine = (await simCall('GET', `/_sim/nacsis/records?participant=${US.participantId}`)).records as { id: string; stat: string; borrowerId: string; lenderId: string | null }[];
    const candidates = mine.filter((r) => r.borrowerId === US.participantId && r.stat === '未処理' && r.lenderId && r.lenderId !== US.participantId);
    const changed: { id: string; stat: string }[] = [];
    const changedAt = Date.now();
    for (const record of candidates) {
      if (changed.length === CHANGED) break;
      const res = await fetch(`${sim.url}/_sim/nacsis/records/${record.id}/act`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ as: record.lenderId, command: 'RECEIVE' }) });
      if (res.ok) changed.push({ id: record.id, stat: ((await res.json()) as { stat: string }).stat });
    }
    if (changed.length < CHANGED) throw new Error(`only ${changed.length} records could be changed`);
    log.clear();
    const run = await runWhenIdle(stack, profile.id);
    const calls = callsByMethod(log);
    const visible = new Map<string, number>();
    while (visible.size < changed.length) {
      if (Date.now() - changedAt > 120_000) throw new Error(`changes not visible in the list after 120 s (${visible.size} of ${changed.length})`);
      for (const { id, stat } of changed.filter((c) => !visible.has(c.id))) {
        const res = await fetch(`${reportingBase}/api/borrowing-requests?q=${encodeURIComponent(id)}`, { headers: { Authorization: `Bearer ${ADMIN_KEY}` } });
        const list = (await res.json()) as { items: { externalId: string; externalSystemStatus: string }[] };
        if (list.items?.some((item) => item.externalId === id && item.externalSystemStatus === stat)) visible.set(id, Date.now());
      }
      if (visible.size < changed.length) await sleep(50);
    }
    const toVisible = (Math.max(...visible.values()) - changedAt) / 1000;
    const written = (
      await pg.query(
        `SELECT (SELECT count(*)::int FROM record_event WHERE job_run_id = $1) AS record_events, (SELECT count(*)::int FROM request_event WHERE job_run_id = $1) AS request_events,
                (SELECT count(*)::int FROM rs_request WHERE last_job_run_id = $1) AS requests`,
        [run.id],
      )
    ).rows[0];
    const c = run.run.counters;
    const searches = calls.counts.get('SEARCH') ?? 0;
    const retrieves = calls.counts.get('RETRIEVE') ?? 0;
    rows.push({
      what: `NACSIS incremental run after ${CHANGED} records changed (${c.updated} updated, ${c.unchanged} unchanged read again) at ${synced} requests`,
      result: `${run.seconds.toFixed(2)} s`,
      target: `< 2 s: ${run.seconds < 2 ? 'met' : 'missed'}`,
    });
    rows.push({
      what: 'its CATP calls (simulator call log)',
      result: `${calls.total}: ${calls.text}`,
      target:
        `bound: 2 (GETHANDLE, RELEASEHANDLE) + 4 databases × the days from the cursor (1: today in Japan; 2 in the first 10 minutes after midnight there) SEARCHes ` +
        `+ ⌈hits ÷ 100⌉ RETRIEVEs per search (the server's page) + ⌈min(open lending not harvested, NACSIS_MOVED_ON_PER_RUN 1000) ÷ NACSIS_LOOKUP_IDS (20)⌉ ID look-up SEARCHes per lending database ` +
        `(their records come with the SEARCH): here ${searches} SEARCH, ${retrieves} RETRIEVE`,
    });
    rows.push({
      what: 'its rows written',
      result: `${written.requests} rs_request upserted, ${written.request_events} request events, ${written.record_events} record events (one per record read: the job report counts them)`,
      target: `requests and request events = the ${CHANGED} changed`,
    });
    rows.push({
      what: 'its CPU',
      result: `import worker ${Math.round(1000 * run.cpu.child)} CPU-ms; bench process (simulator, reporting, polling) ${Math.round(1000 * run.cpu.bench)}; Postgres ${Math.round(1000 * run.cpu.pg)} (of it this database's backends ${Math.round(1000 * run.cpu.pgOwn)}; the rest other helpers' databases); other ${Math.round(1000 * run.cpu.other)}`,
      target: '2 cores',
    });
    rows.push({
      what: `change in the simulator → visible in the borrowing list (GET /api/borrowing-requests?q=<id>), all ${CHANGED}`,
      result: `run-now: ${toVisible.toFixed(2)} s; worst case with the ${INTERVAL_MINUTES}-minute interval: ${(INTERVAL_MINUTES * 60 + toVisible).toFixed(0)} s (interval + this)`,
      target: `≤ interval + run duration`,
    });
    notes.push(
      `Sync: ${requests} NACSIS records generated over ${DAYS} days; first sync ${describeCpu(first.cpu, 'import worker')}.`,
      `Sync incremental run after ${CHANGED} changes: ${describeCpu(run.cpu, 'import worker')}.`,
    );
  } finally {
    await reporting.close();
    await stack.close();
    await sim.close();
    await dropDatabase(DB);
  }
  return { rows, notes };
}

export async function librisSyncBench(requests: number, prefix: string): Promise<PartResult> {
  const rows: PartResult['rows'] = [];
  const notes: string[] = [];
  const db = `${DB}_libris`;
  const url = await freshDatabase(db);
  const sim = await startSimulator({ logLevels: false });
  const today = new Date().toISOString().slice(0, 10);
  const from = new Date(Date.now() - 299 * 86_400_000).toISOString().slice(0, 10);
  await fetch(`${sim.url}/_sim/libris/keys`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ sigel: 'Hig', apiKey: 'k' }) });
  seedLibris(sim.app.get(LibrisStore), 'Hig', { requestingLibrary: 'Hig', count: requests, from, to: today, seed: 1, unknownSigelShare: 0 });
  const stack = await startImportStack(url, prefix);
  const { base, pg } = stack;
  try {
    await api(base, 'POST', '/api/libraries', { code: 'MAIN', name: 'Main', resourceSharing: true });
    const profile = await api(base, 'POST', '/api/integration-profiles', {
      code: 'LIBRIS_SYNC', name: 'Libris sync', integrationType: 'RESOURCE_SHARING', system: 'LIBRIS', baseUrl: `${sim.url}/libris/api`, libraryCode: 'Hig',
      resourceSharingLibraryCode: 'MAIN', authentication: { enabled: true, apiKey: 'k' }, harvestStartDate: from, schedule: { type: 'INTERVAL', everyMinutes: INTERVAL_MINUTES },
    });
    await api(base, 'PUT', `/api/integration-profiles/${profile.id}/library-mappings`, [{ libraryCode: 'MAIN', externalLibraryCode: 'Hig' }]);
    const first = await runWhenIdle(stack, profile.id);
    if (first.run.state === 'FAILED') throw new Error(`Libris first import failed: ${first.run.error}`);
    rows.push({ what: `Libris first import (load: ${first.run.counters.created} requests)`, result: `${first.seconds.toFixed(1)} s`, target: 'load only (no target)' });
    // Every request open in a status that can still change (the worst case: all are due for a refresh).
    await pg.query(`UPDATE rs_request SET closed = false, external_system_status = 'Läst' WHERE profile_id = $1`, [profile.id]);
    const open = Number((await pg.query('SELECT count(*)::int AS n FROM rs_request WHERE profile_id = $1 AND NOT closed', [profile.id])).rows[0].n);
    const budget = new ImportSettings({}, {}).refreshPerRun; // the default (the bench's worker runs with it)
    const calls = sim.app.get(LibrisCallLog);
    const refreshedEarlier = new Set<string>();
    for (const label of ['first', 'second']) {
      await pg.query('UPDATE integration_profile SET harvest_cursor = $2 WHERE id = $1', [profile.id, `${today}T00:00:00Z`]);
      calls.clear();
      const run = await runWhenIdle(stack, profile.id);
      const reads = calls.list().filter((call) => !call.path.endsWith('/outgoing')).map((call) => call.path.split('/').at(-1)!);
      const windows = calls.list().length - reads.length;
      const again = reads.filter((lf) => refreshedEarlier.has(lf)).length;
      reads.forEach((lf) => refreshedEarlier.add(lf));
      const paced = new Pacer(DEFAULT_LIBRIS_MAX_REQUESTS_PER_SECOND).secondsFor(calls.list().length);
      rows.push({
        what: `Libris incremental run (${label}) at ${open} open requests: ${windows} windows + ${reads.length} refreshed by LF number${label === 'second' ? ` (${again} of them refreshed by the first run)` : ''}`,
        result: `${run.seconds.toFixed(2)} s unpaced (import worker ${Math.round(1000 * run.cpu.child)} CPU-ms, ${((1000 * run.cpu.child) / Math.max(1, reads.length)).toFixed(2)} per read); at the default ${DEFAULT_LIBRIS_MAX_REQUESTS_PER_SECOND}/s: ${paced.toFixed(0)} s`,
        target: `within the ${INTERVAL_MINUTES}-minute interval at the default pace: ${paced < INTERVAL_MINUTES * 60 ? 'met' : 'missed'}; reads ≤ LIBRIS_REFRESH_PER_RUN (${budget}): ${reads.length <= budget ? 'met' : 'missed'}`,
      });
      if (label === 'first') notes.push(`Libris incremental run's report: ${JSON.stringify(run.run.counters)}; CPU ${describeCpu(run.cpu, 'import worker')}.`);
    }
    const runs = Math.ceil(open / budget);
    rows.push({
      what: `Libris worst-case staleness of an open request (${open} open, LIBRIS_REFRESH_PER_RUN ${budget}, INTERVAL ${INTERVAL_MINUTES} min)`,
      result: `⌈${open} ÷ ${budget}⌉ = ${runs} runs × ${INTERVAL_MINUTES} min = ${((runs * INTERVAL_MINUTES) / 60).toFixed(1)} h`,
      target: `ceiling at KB's ${DEFAULT_LIBRIS_MAX_REQUESTS_PER_SECOND}/s: ${open} reads take ${(open / DEFAULT_LIBRIS_MAX_REQUESTS_PER_SECOND / 3600).toFixed(1)} h whatever the budget; without the budget one run would take that long`,
    });
  } finally {
    await stack.close();
    await sim.close();
    await dropDatabase(db);
  }
  return { rows, notes };
}

/** BENCH_SYNC_SYSTEMS (nacsis,libris): the systems measured. */
export async function syncBench(requests: number, prefix: string): Promise<PartResult> {
  const systems = (process.env.BENCH_SYNC_SYSTEMS ?? 'nacsis,libris').split(',').map((s) => s.trim());
  const result: PartResult = { rows: [], notes: [] };
  for (const [system, bench] of [['nacsis', nacsisSyncBench], ['libris', librisSyncBench]] as const) {
    if (!systems.includes(system)) continue;
    const part = await bench(requests, `${prefix}-${system}`);
    result.rows.push(...part.rows);
    result.notes.push(...part.notes);
  }
  return result;
}
