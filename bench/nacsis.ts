/* NACSIS-ILL sync through the real path: profile-config "run now" → BullMQ → the import worker as its
   own process → the CATP simulator over HTTP (GETHANDLE, SEARCH + RETRIEVE pages of COPYO/LOANO/COPYA/LOANA). */
import { Client } from 'pg';
import { createProfileConfigApp } from '../apps/profile-config/src/main';
import { startSimulator } from '../apps/ill-simulator/src/simulator';
import { freePort, startService, waitForHealth } from '../scripts/lib/services';
import { api, appConfig, cpuMeter, describeCpu, dropDatabase, freshDatabase, LOG_DIR, PartResult, peakMb, serviceEnv, sleep, waitForRun } from './lib';

const DB = 'illbridge_bench_nacsis';
const US = { participantId: 'FA012345', userId: 'BENCHUSR', password: 'bench-secret', name: '架空大学図書館' };
const DAYS = 60;

export async function nacsisBench(records: number, prefix: string): Promise<PartResult> {
  const rows: PartResult['rows'] = [];
  const notes: string[] = [];
  const url = await freshDatabase(DB);
  const sim = await startSimulator({ logLevels: false });
  const simPost = async (path: string, body: unknown): Promise<any> => {
    const res = await fetch(`${sim.url}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    const data = await res.json().catch(() => null);
    if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${JSON.stringify(data)}`);
    return data;
  };
  await simPost('/_sim/nacsis/participants', US);
  let borrowing = 0;
  let lending = 0;
  const partnerIds = new Set<string>();
  for (let done = 0, seed = 1; done < records; seed++) {
    const count = Math.min(10_000, records - done);
    const generated = await simPost('/_sim/nacsis/generate', { ourParticipantId: US.participantId, count, seed, days: DAYS });
    borrowing += generated.borrowing;
    lending += generated.lending;
    for (const record of generated.records) {
      if (record.borrowerId && record.borrowerId !== US.participantId) partnerIds.add(record.borrowerId);
    }
    done += count;
  }

  const admin = await createProfileConfigApp(appConfig(url, prefix));
  await admin.listen(0, '127.0.0.1');
  const base = (await admin.getUrl()).replace('[::1]', '127.0.0.1');
  const worker = startService('import-worker', serviceEnv(url, prefix), { port: await freePort(), logDir: LOG_DIR });
  await waitForHealth(worker);
  const pg = new Client({ connectionString: url });
  await pg.connect();
  try {
    await sleep(1000);
    const idlePeak = peakMb(worker.process.pid!);
    await api(base, 'POST', '/api/libraries', { code: 'MAIN', name: '本館', resourceSharing: true });
    const participants = ((await (await fetch(`${sim.url}/_sim/nacsis/participants`)).json()) as any).participants as { participantId: string; name: string }[];
    for (const p of participants.filter((p) => p.participantId !== US.participantId)) {
      await api(base, 'POST', '/api/partners', { code: p.participantId, name: p.name, system: 'NACSIS' });
    }
    const from = new Date(Date.now() - DAYS * 86_400_000).toISOString().slice(0, 10);
    const profile = await api(base, 'POST', '/api/integration-profiles', {
      code: 'NACSIS_BENCH', name: 'NACSIS bench', integrationType: 'RESOURCE_SHARING', system: 'NACSIS', baseUrl: `${sim.url}/nacsis/catp`,
      libraryCode: US.participantId, resourceSharingLibraryCode: 'MAIN', authentication: { enabled: true, userId: US.userId, password: US.password },
      active: true, harvestStartDate: from, granularity: 'DAY', schedule: { type: 'NOT_SCHEDULED' },
    });
    await api(base, 'PUT', `/api/integration-profiles/${profile.id}/library-mappings`, [{ libraryCode: 'MAIN', externalLibraryCode: US.participantId }]);

    const timedRun = async () => {
      const meter = cpuMeter(worker.process.pid!);
      const started = Date.now();
      const { jobRunId } = await api(base, 'POST', `/api/integration-profiles/${profile.id}/run`);
      const result = await waitForRun(pg, jobRunId, started);
      return { ...result, cpu: meter() };
    };
    const first = await timedRun();
    const c = first.run.counters;
    if (first.run.state === 'FAILED') throw new Error(`NACSIS sync failed: ${first.run.error}`);
    const firstRate = c.totalRecordsProcessed / first.seconds;
    rows.push({
      what: `NACSIS sync, first run (${c.totalRecordsProcessed} records: ${c.borrowingProcessed} borrowing, ${c.lendingProcessed} lending; ${c.created} created, ${c.borrowingFailed + c.lendingFailed} failed)`,
      result: `${Math.round(firstRate)} records/s (${first.seconds.toFixed(1)} s)`,
      target: 'no target set (compare: Libris first run)',
    });
    await pg.query('UPDATE integration_profile SET harvest_cursor = NULL WHERE id = $1', [profile.id]);
    const second = await timedRun();
    const c2 = second.run.counters;
    const secondRate = c2.totalRecordsProcessed / second.seconds;
    rows.push({
      what: `NACSIS sync, unchanged re-run (${c2.unchanged} unchanged)`,
      result: `${Math.round(secondRate)} records/s (${second.seconds.toFixed(1)} s)`,
      target: `(${(secondRate / firstRate).toFixed(2)}× first run)`,
    });
    const peak = peakMb(worker.process.pid!);
    rows.push({ what: `import worker peak memory (RSS high-water mark) after NACSIS sync of ${records} records`, result: `${Math.round(peak)} MB (idle after start ${Math.round(idlePeak)} MB)`, target: '< 300 MB' + (peak < 300 ? ': met' : ': missed') });
    notes.push(
      `NACSIS: ${records} records generated by the simulator (${borrowing} borrowing, ${lending} lending; ${partnerIds.size} partner libraries) over ${DAYS} days.`,
      `NACSIS CPU, first run: ${describeCpu(first.cpu, 'import worker')}; re-run: ${describeCpu(second.cpu, 'import worker')}.`,
    );
  } finally {
    await pg.end();
    await worker.stop();
    await admin.close();
    await sim.close();
    await dropDatabase(DB);
  }
  return { rows, notes };
}
