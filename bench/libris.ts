/* Libris import through the real path: profile-config "run now" → BullMQ → the import worker as its
   own process → the Libris simulator over HTTP. Also the raw upsert ceiling it is compared with. */
import { DEFAULT_LIBRIS_MAX_REQUESTS_PER_SECOND, harvestWindows, LibrisClient } from '@illbridge/connectors/libris';
import { Pacer } from '@illbridge/connectors/pacer';
import { startSimulator } from '../apps/ill-simulator/src/simulator';
import { compactDay } from '../apps/ill-simulator/src/libris/days';
import { GenerateOptions, generateLibrisRequests } from '../apps/ill-simulator/src/libris/libris-generator';
import { buildLibrisRecord } from '../apps/ill-simulator/src/libris/libris-record';
import { LibrisCallLog } from '../apps/ill-simulator/src/libris/libris-call-log';
import { LibrisStore } from '../apps/ill-simulator/src/libris/libris-store';
import { rawUpsertCeiling } from './ceilings';
import { api, describeCpu, dropDatabase, freshDatabase, PartResult, peakMb, startImportStack } from './lib';

/** BENCH_DB_SUFFIX keeps a run apart from another one on the same Postgres (a fresh database is dropped WITH FORCE). */
const DB = `illbridge_bench_libris${process.env.BENCH_DB_SUFFIX ?? ''}`;
/** Open requests the refresh part reads one by one. */
const REFRESH_OPEN = 10_000;

/** What POST /_sim/libris/generate does (the same generator, seed and identities), without the store's
 *  duplicate check per added request: that check scans every request already there, so generating
 *  100,000 takes many minutes (O(n²)) while the generated identities are unique by construction. */
export function seedLibris(store: LibrisStore, sigel: string, options: GenerateOptions) {
  const sequences = new Map<string, number>();
  const lastModified = String(Math.floor(Date.now() / 1000));
  generateLibrisRequests(options).forEach(({ created, fields }, i) => {
    const requestingLibrary = fields.requesting_library ?? sigel;
    const prefix = `${requestingLibrary}-${compactDay(created)}`;
    const sequence = (sequences.get(prefix) ?? 0) + 1;
    sequences.set(prefix, sequence);
    const identity = { request_id: String(5_000_001 + i), lf_number: `${prefix}-${String(sequence).padStart(4, '0')}`, requesting_library: requestingLibrary, last_modified: lastModified };
    store.addRaw(sigel, buildLibrisRecord(identity, fields), created);
  });
}

/** The harvest windows a run asked the simulator for (its calls since `clear`): how many, their lengths in days
 *  (median, range), and how many were asked again shorter (a body past IMPORT_MAX_WINDOW_BYTES). */
function windowsAsked(log: LibrisCallLog): string {
  const windows = log
    .list()
    .filter((call) => call.path.endsWith('/outgoing'))
    .map((call) => ({ start: String(call.query.start_date), days: (Date.parse(String(call.query.end_date)) - Date.parse(String(call.query.start_date))) / 86_400_000 + 1 }));
  const again = windows.filter((w, i) => i + 1 < windows.length && windows[i + 1].start === w.start).length;
  const days = windows.map((w) => w.days).sort((a, b) => a - b);
  if (!days.length) return 'no windows';
  return `${windows.length} windows of ${days[0]}–${days[days.length - 1]} days (median ${days[Math.floor(days.length / 2)]})${again ? `, ${again} of them too large and asked again in half the days` : ''}`;
}

/** Samples a process's resident memory (VmRSS) every 250 ms; `stop()` gives the highest seen. */
function rssSampler(pid: number) {
  const { readFileSync } = require('fs') as typeof import('fs');
  let max = 0;
  const timer = setInterval(() => {
    try {
      const kb = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
      max = Math.max(max, kb / 1024);
    } catch {
      // exited
    }
  }, 250);
  return { stop: () => (clearInterval(timer), max) };
}

/** Samples the worker's own /metrics (prom-client default metrics) every 500 ms: the highest V8 heap
 *  used / heap size and external memory (Buffers) seen, in MB. */
function heapSampler(url: string) {
  const max = { heapUsed: 0, heapTotal: 0, external: 0 };
  const metric = (text: string, name: string) => Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1] ?? 0) / 2 ** 20;
  const timer = setInterval(() => {
    fetch(`${url}/metrics`)
      .then((r) => r.text())
      .then((text) => {
        max.heapUsed = Math.max(max.heapUsed, metric(text, 'illbridge_nodejs_heap_size_used_bytes'));
        max.heapTotal = Math.max(max.heapTotal, metric(text, 'illbridge_nodejs_heap_size_total_bytes'));
        max.external = Math.max(max.external, metric(text, 'illbridge_nodejs_external_memory_bytes'));
      })
      .catch(() => undefined);
  }, 500);
  return { stop: () => (clearInterval(timer), max) };
}

export async function librisBench(records: number, prefix: string): Promise<PartResult> {
  const rows: PartResult['rows'] = [];
  const notes: string[] = [];
  const url = await freshDatabase(DB);
  const sim = await startSimulator({ logLevels: false });
  const today = new Date();
  const from = new Date(today.getTime() - 299 * 86_400_000).toISOString().slice(0, 10);
  const to = today.toISOString().slice(0, 10);
  await fetch(`${sim.url}/_sim/libris/keys`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ sigel: 'Hig', apiKey: 'k' }) });
  seedLibris(sim.app.get(LibrisStore), 'Hig', { requestingLibrary: 'Hig', count: records, from, to, seed: 1, unknownSigelShare: 0 });

  // Ceiling: the very records the import will read, fetched once (untimed) the way the importer does.
  const client = new LibrisClient({ baseUrl: `${sim.url}/libris/api`, sigel: 'Hig', apiKey: 'k', maxRequestsPerSecond: Infinity });
  const librisRecords: unknown[] = [];
  for (const window of harvestWindows(from, to)) librisRecords.push(...(await client.listOutgoing(window.startDate, window.endDate)));
  const raw = await rawUpsertCeiling(url, librisRecords);
  librisRecords.length = 0;
  rows.push({
    what: `raw multi-row INSERT … ON CONFLICT of import-shaped rows (the import's 33 columns, raw jsonb avg ${(raw.rawBytesAvg / 1024).toFixed(1)} KB; pg, 500 rows/statement), ${raw.rows} rows`,
    result: `${Math.round(raw.rowsPerSecond)} rows/s`,
    target: 'ceiling',
  });

  const stack = await startImportStack(url, prefix);
  const { base, worker, pg, idlePeak, idleRss } = stack;
  try {
    await api(base, 'POST', '/api/libraries', { code: 'MAIN', name: 'Main', resourceSharing: true });
    const profile = await api(base, 'POST', '/api/integration-profiles', {
      code: 'BENCH', name: 'Bench', integrationType: 'RESOURCE_SHARING', system: 'LIBRIS', baseUrl: `${sim.url}/libris/api`, libraryCode: 'Hig',
      resourceSharingLibraryCode: 'MAIN', authentication: { enabled: true, apiKey: 'k' }, harvestStartDate: from, schedule: { type: 'NOT_SCHEDULED' },
    });
    await api(base, 'PUT', `/api/integration-profiles/${profile.id}/library-mappings`, [{ libraryCode: 'MAIN', externalLibraryCode: 'Hig' }]);
    const calls = sim.app.get(LibrisCallLog);
    const timedRun = () => (calls.clear(), stack.timedRun(profile.id));
    const heap = heapSampler(worker.url);
    const rss1 = rssSampler(worker.process.pid!);
    const first = await timedRun();
    const firstRss = rss1.stop();
    const firstWindows = windowsAsked(calls);
    const firstRate = records / first.seconds;
    rows.push({
      what: `Libris import, first run (${first.run.counters.created} created)`,
      result: `${Math.round(firstRate)} records/s (${first.seconds.toFixed(1)} s)`,
      target: `≥ 50% of raw ceiling (${Math.round(raw.rowsPerSecond / 2)}/s): ${firstRate >= raw.rowsPerSecond / 2 ? 'met' : 'missed'} (${Math.round((100 * firstRate) / raw.rowsPerSecond)}%)`,
    });
    // Read everything again: the cursor is cleared so the second run sees every window, and nothing changed.
    await pg.query('UPDATE integration_profile SET harvest_cursor = NULL WHERE id = $1', [profile.id]);
    const rss2 = rssSampler(worker.process.pid!);
    const second = await timedRun();
    const secondRss = rss2.stop();
    const secondWindows = windowsAsked(calls);
    const secondRate = records / second.seconds;
    rows.push({
      what: `Libris import, unchanged re-run (${second.run.counters.unchanged} unchanged)`,
      result: `${Math.round(secondRate)} records/s (${second.seconds.toFixed(1)} s)`,
      target: `≥ 2× first run: ${secondRate >= 2 * firstRate ? 'met' : 'missed'} (${(secondRate / firstRate).toFixed(2)}×)`,
    });
    // The refresh at 10,000 open requests: the harvest reads only yesterday and today (cursor today), and exactly
    // REFRESH_OPEN requests are open in a status that can still change, so the run refreshes them one by one by LF
    // number. Paced here at the bench's LIBRIS_MAX_REQUESTS_PER_SECOND (no pace, in effect) to measure our CPU;
    // the time at the default pace of 2 a second is the number of calls over 2.
    await pg.query(
      `UPDATE rs_request r SET closed = NOT s.chosen, external_system_status = CASE WHEN s.chosen THEN 'Läst' ELSE r.external_system_status END
         FROM (SELECT id, row_number() OVER (ORDER BY external_id) <= $2 AS chosen FROM rs_request WHERE profile_id = $1) s
        WHERE s.id = r.id`,
      [profile.id, REFRESH_OPEN],
    );
    await pg.query('UPDATE integration_profile SET harvest_cursor = $2 WHERE id = $1', [profile.id, `${to}T00:00:00Z`]);
    const closedCount = Number((await pg.query('SELECT count(*) AS n FROM rs_request WHERE profile_id = $1 AND closed', [profile.id])).rows[0].n);
    const refresh = await timedRun();
    const singleCalls = calls.list().filter((call) => !call.path.endsWith('/outgoing')).length;
    const windowCalls = calls.list().length - singleCalls;
    const atDefault = new Pacer(DEFAULT_LIBRIS_MAX_REQUESTS_PER_SECOND).secondsFor(calls.list().length);
    rows.push({
      what: `Libris refresh of ${REFRESH_OPEN} open requests (statuses that can still change), one by one by LF number, beside ${closedCount} closed ones`,
      result: `${singleCalls} GETs + ${windowCalls} windows; ${refresh.seconds.toFixed(1)} s unpaced; at the default ${DEFAULT_LIBRIS_MAX_REQUESTS_PER_SECOND}/s: ${(atDefault / 3600).toFixed(2)} h`,
      target: `KB's API at most ${DEFAULT_LIBRIS_MAX_REQUESTS_PER_SECOND} calls/s (LIBRIS_MAX_REQUESTS_PER_SECOND); closed requests never read: ${singleCalls <= REFRESH_OPEN ? 'met' : 'missed'} (${singleCalls} reads for ${REFRESH_OPEN} open, ${closedCount} closed)`,
    });
    notes.push(
      `Libris refresh at ${REFRESH_OPEN} open requests: ${singleCalls} single reads (${refresh.run.counters.unchanged} unchanged, ${refresh.run.counters.updated} updated), ` +
        `${(atDefault / 60).toFixed(0)} min of calls at the default pace; CPU ${describeCpu(refresh.cpu, 'import worker')} ` +
        `(${((1000 * refresh.cpu.child) / Math.max(1, singleCalls)).toFixed(2)} ms of worker CPU per refreshed request).`,
    );
    const peak = peakMb(worker.process.pid!);
    const heapMax = heap.stop();
    rows.push({
      what: `import worker peak memory (RSS high-water mark) at ${records} records`,
      result: `${Math.round(peak)} MB (idle after start ${Math.round(idlePeak)} MB, RSS then ${Math.round(idleRss)} MB; highest RSS sampled: first run ${Math.round(firstRss)} MB, re-run ${Math.round(secondRss)} MB)`,
      target: `< 300 MB at 100,000: ${records >= 100_000 ? (peak < 300 ? 'met' : 'missed') : 'see the 100,000 run'}`,
    });
    notes.push(
      `Libris: ${records} records generated over 300 days. Windows asked (sized by the last one's density, IMPORT_MAX_WINDOW_RECORDS): first run ${firstWindows}; re-run ${secondWindows}.`,
      `Libris import worker memory (its /metrics, sampled every 500 ms over both runs): V8 heap used ≤ ${Math.round(heapMax.heapUsed)} MB, heap size ≤ ${Math.round(heapMax.heapTotal)} MB, external (Buffers) ≤ ${Math.round(heapMax.external)} MB${process.env.BENCH_SERVICE_NODE_OPTIONS ? ` (worker NODE_OPTIONS=${process.env.BENCH_SERVICE_NODE_OPTIONS})` : ''}.`,
      `Libris CPU, first run: ${describeCpu(first.cpu, 'import worker')}; re-run: ${describeCpu(second.cpu, 'import worker')}.`,
    );
  } finally {
    await stack.close();
    await sim.close();
    await dropDatabase(DB);
  }
  return { rows, notes };
}
