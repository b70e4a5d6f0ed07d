/* Push of staff actions to NACSIS-ILL through the real path: POST /api/requests/:id/actions on
   action-push (its own process, HTTP API and push worker together, high PUSH_CONCURRENCY) → outbound_action
   + doorbell job → the push worker drains each request in order → CATP SERVERPROCEDURECALL on the simulator. */
import { QueueEvents } from 'bullmq';
import { Client } from 'pg';
import { QUEUE, redisOptions } from '@illbridge/queues';
import { SecretBox } from '@illbridge/common';
import { CatpClient, fieldValue, nacsisDatabaseOf } from '@illbridge/connectors/nacsis';
import { mapNacsisStatus } from '@illbridge/workflow';
import { startSimulator } from '../apps/ill-simulator/src/simulator';
import { freePort, startService, waitForHealth } from '../scripts/lib/services';
import { bullmqRoundTrip } from './ceilings';
import { api, cpuMeter, REDIS_URL, describeCpu, dropDatabase, envNumber, freshDatabase, LOG_DIR, PartResult, percentile, pool, SECRETS_KEY, serviceEnv, SERVICES_FROM_DIST, sleep } from './lib';

const DB = 'illbridge_bench_push';
const US = 'FA100001';
const PARTNER = 'FA200002';
const US_LOGIN = { userId: 'us-user', password: 'us-password' };

type Direction = 'BORROWING' | 'LENDING';
type Service = 'COPY' | 'LOAN';
interface Plan {
  name: string;
  direction: Direction;
  service: Service;
  stat: string;
  steps: Record<string, unknown>[];
}
const ship = (postage: number) => ({ action: 'SHIP', fields: { charges: [{ item: 'A4', quantity: 2, unitPrice: 30 }], postage } });
/** Five actions each, valid under the NACSIS turn rules when taken back to back (judged on the projected state). */
const PLANS: Plan[] = [
  { name: 'lending copy', direction: 'LENDING', service: 'COPY', stat: '未処理', steps: [{ action: 'ACCEPT' }, ship(84), { action: 'CALLBACK' }, ship(100), { action: 'CALLBACK' }] },
  { name: 'borrowing copy', direction: 'BORROWING', service: 'COPY', stat: '発送', steps: [{ action: 'ACCEPT' }, { action: 'RECEIVE' }, { action: 'CALLBACK' }, { action: 'RECEIVE' }, { action: 'CALLBACK' }] },
  { name: 'borrowing loan', direction: 'BORROWING', service: 'LOAN', stat: '発送', steps: [{ action: 'ACCEPT' }, { action: 'RECEIVE' }, { action: 'RENEW' }, { action: 'CALLBACK' }, { action: 'RETURN' }] },
];

export async function pushBench(totalActions: number, prefix: string): Promise<PartResult> {
  const rows: PartResult['rows'] = [];
  const notes: string[] = [];
  const bull = await bullmqRoundTrip(prefix);
  rows.push({ what: 'no-op BullMQ job round trip (5,000 jobs, concurrency 50)', result: `${Math.round(bull.perSecond)} jobs/s, p50 ${bull.p50} ms`, target: 'ceiling' });

  const requests = Math.max(1, Math.round(totalActions / 5));
  const concurrency = envNumber('BENCH_PUSH_CONCURRENCY', 64);
  const clients = envNumber('BENCH_PUSH_CLIENTS', 50);
  const url = await freshDatabase(DB);
  const sim = await startSimulator({ logLevels: false });
  const simPost = async (path: string, body: unknown, status = 201): Promise<any> => {
    const res = await fetch(`${sim.url}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    const data = await res.json().catch(() => null);
    if (res.status !== status) throw new Error(`${path}: HTTP ${res.status} ${JSON.stringify(data)}`);
    return data;
  };
  await simPost('/_sim/nacsis/participants', { participantId: US, name: '架空大学附属図書館', ...US_LOGIN });
  await simPost('/_sim/nacsis/participants', { participantId: PARTNER, name: '相手大学図書館' });
  const pg = new Client({ connectionString: url });
  await pg.connect();
  const secret = new SecretBox(SECRETS_KEY).encrypt(US_LOGIN.password);
  const profileId: string = (
    await pg.query(
      `INSERT INTO integration_profile (code, name, system, base_url, library_code, resource_sharing_library_code, auth_enabled, auth_user_id, secret_enc, version)
       VALUES ('NACSIS_BENCH', 'NACSIS bench', 'NACSIS', $1, $2, 'MAIN', true, $3, $4, 1) RETURNING id`,
      [`${sim.url}/nacsis/catp`, US, US_LOGIN.userId, secret],
    )
  ).rows[0].id;

  // Seed the records in the simulator and the requests the import would have made of them (as test/support/nacsis-fixtures.ts does).
  const catp = new CatpClient({ baseUrl: `${sim.url}/nacsis/catp`, timeoutMs: 10_000 });
  const handle = await catp.getHandle(US_LOGIN.userId, US_LOGIN.password);
  const seedStarted = Date.now();
  const PROBE = 30; // requests for the light-load latency probe, after the main run
  const plans = Array.from({ length: requests + PROBE }, (_, i) => PLANS[i % PLANS.length]);
  const recordIds: string[] = new Array(plans.length);
  await pool(plans, 8, async (plan, i) => {
    const borrower = plan.direction === 'BORROWING' ? US : PARTNER;
    const lender = plan.direction === 'BORROWING' ? PARTNER : US;
    recordIds[i] = (await simPost('/_sim/nacsis/records', { as: borrower, candidates: [lender], service: plan.service, stat: plan.stat, seed: i + 1 })).id;
  });
  // The records as CATP answers them, 100 ids per RETRIEVE, one call at a time (calls under one handle share its result set).
  const rawById = new Map<string, unknown>();
  for (const plan of PLANS) {
    const ids = recordIds.filter((_, i) => plans[i] === plan);
    for (let i = 0; i < ids.length; i += 100) {
      const slice = ids.slice(i, i + 100);
      const page = await catp.retrieve(handle, nacsisDatabaseOf(plan.direction, plan.service), slice, 1, slice.length);
      for (const record of page.records) rawById.set(fieldValue(record, 'ID')!, record);
    }
  }
  const seeded: { requestId: string; plan: Plan }[] = [];
  for (let i = 0; i < plans.length; i += 500) {
    const params: unknown[] = [profileId, PARTNER];
    const values: string[] = [];
    for (let k = i; k < Math.min(plans.length, i + 500); k++) {
      const plan = plans[k];
      const raw = rawById.get(recordIds[k]);
      if (!raw) throw new Error(`record ${recordIds[k]} not found over CATP`);
      const status = mapNacsisStatus(plan.stat, plan.direction) ?? (plan.direction === 'BORROWING' ? 'REQUEST_SENT_TO_PARTNER' : 'BEING_PROCESSED');
      const row = [plan.direction, recordIds[k], status, plan.stat, plan.service, JSON.stringify(raw)];
      values.push(`($1, 'NACSIS', ${row.map((v) => (params.push(v), `$${params.length}`)).join(', ')}, $2, 'MAIN', 'Seeded')`);
    }
    const inserted = await pg.query(
      `INSERT INTO rs_request (profile_id, system, direction, external_id, status, external_system_status, format, raw, partner_code, owner_library_code, title)
       VALUES ${values.join(', ')} RETURNING id, external_id`,
      params,
    );
    const idOf = new Map(inserted.rows.map((r) => [r.external_id, r.id]));
    for (let k = i; k < Math.min(plans.length, i + 500); k++) seeded.push({ requestId: idOf.get(recordIds[k]), plan: plans[k] });
  }
  await catp.releaseHandle(handle).catch(() => undefined);
  const probe = seeded.splice(requests);
  await pg.query('ANALYZE');
  notes.push(`Push: ${requests} requests seeded in ${((Date.now() - seedStarted) / 1000).toFixed(1)} s (${PLANS.map((p) => p.name).join(', ')}, in turn), 5 actions each.`);

  const service = startService('action-push', serviceEnv(url, prefix, { PUSH_CONCURRENCY: String(concurrency) }), { port: await freePort(), logDir: LOG_DIR, fromDist: SERVICES_FROM_DIST });
  await waitForHealth(service);
  try {
    await sleep(500);
    const total = seeded.length * 5;
    const httpLatencies: number[] = [];
    // Count the drain jobs and their outcomes (DRAINED / IDLE / HELD, or failed: lease busy, transient).
    const jobs = { added: 0, completed: {} as Record<string, number>, failed: {} as Record<string, number> };
    const queueEvents = new QueueEvents(QUEUE.PUSH, { connection: redisOptions(REDIS_URL, 'worker'), prefix });
    await queueEvents.waitUntilReady();
    queueEvents.on('added', () => jobs.added++);
    queueEvents.on('completed', ({ returnvalue }) => {
      const key = String(returnvalue).replace(/"/g, '');
      jobs.completed[key] = (jobs.completed[key] ?? 0) + 1;
    });
    queueEvents.on('failed', ({ failedReason }) => {
      const key = /being drained by another worker/.test(failedReason) ? 'lease busy' : failedReason.slice(0, 60);
      jobs.failed[key] = (jobs.failed[key] ?? 0) + 1;
    });
    const meter = cpuMeter(service.process.pid!);
    const started = Date.now();
    // `clients` staff members at once, each taking one request's five actions one after the other.
    await pool(seeded, clients, async ({ requestId, plan }) => {
      for (const [index, step] of plan.steps.entries()) {
        const t0 = performance.now();
        try {
          await api(service.url, 'POST', `/api/requests/${requestId}/actions`, step);
        } catch (error: any) {
          throw new Error(`${plan.name} #${index + 1} ${JSON.stringify(step)}: ${error.message}`);
        }
        httpLatencies.push(performance.now() - t0);
      }
    });
    const accepted = Date.now();
    let counts: Record<string, number> = {};
    for (const deadline = Date.now() + 10 * 60_000; Date.now() < deadline; await sleep(100)) {
      const { rows: states } = await pg.query(`SELECT state, count(*)::int AS n FROM outbound_action GROUP BY state`);
      counts = Object.fromEntries(states.map((r) => [r.state, r.n]));
      if ((counts.SENT ?? 0) + (counts.FAILED ?? 0) + (counts.DISCARDED ?? 0) >= total) break;
    }
    const cpu = meter();
    await queueEvents.close();

    // Light load: one client, one action at a time, on requests nobody else touches: the latency without a backlog.
    const probeStarted = new Date();
    for (const { requestId, plan } of probe) for (const step of plan.steps) await api(service.url, 'POST', `/api/requests/${requestId}/actions`, step);
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; await sleep(100)) {
      const { rows: left } = await pg.query(`SELECT count(*)::int AS n FROM outbound_action WHERE created_at >= $1 AND state <> 'SENT'`, [probeStarted]);
      if (left[0].n === 0) break;
    }
    const { rows: probeRows } = await pg.query(
      `SELECT array_agg(extract(epoch FROM sent_at - created_at) * 1000 ORDER BY sent_at - created_at) AS latencies FROM outbound_action WHERE created_at >= $1`,
      [probeStarted],
    );
    const probeLatencies = (probeRows[0].latencies as string[]).map(Number);
    if ((counts.SENT ?? 0) !== total) throw new Error(`not all actions SENT: ${JSON.stringify(counts)}`);
    const { rows: stats } = await pg.query(
      `SELECT extract(epoch FROM max(sent_at) - min(created_at)) AS span,
              extract(epoch FROM max(created_at) - min(created_at)) AS enqueue_span,
              array_agg(extract(epoch FROM sent_at - created_at) * 1000 ORDER BY sent_at - created_at) AS latencies,
              sum(attempts)::int AS attempts
         FROM outbound_action WHERE created_at < $1`,
      [probeStarted],
    );
    const latencies = (stats[0].latencies as string[]).map(Number);
    const span = Number(stats[0].span);
    const rate = total / span;
    httpLatencies.sort((a, b) => a - b);
    const p50 = percentile(latencies, 50);
    const p99 = percentile(latencies, 99);
    rows.push({
      what: `push of ${total} actions over ${seeded.length} requests (${clients} clients; action-push process, PUSH_CONCURRENCY ${concurrency})`,
      result: `${Math.round(rate)} actions/s (${span.toFixed(1)} s from first enqueue to last SENT)`,
      target: `≥ 1,000 actions/s: ${rate >= 1000 ? 'met' : 'missed'}`,
    });
    rows.push({
      what: 'push latency, enqueue (HTTP 202) to SENT (sent_at − created_at)',
      result: `p50 ${Math.round(p50)} ms, p99 ${Math.round(p99)} ms, max ${Math.round(latencies.at(-1)!)} ms`,
      target: `p99 < 250 ms: ${p99 < 250 ? 'met' : 'missed'}`,
    });
    rows.push({
      what: 'push: the HTTP API alone (POST …/actions → 202)',
      result: `${Math.round(total / ((accepted - started) / 1000))} actions/s accepted; HTTP p50 ${Math.round(percentile(httpLatencies, 50))} ms, p99 ${Math.round(percentile(httpLatencies, 99))} ms`,
      target: '(part of the above)',
    });
    rows.push({
      what: `push latency at light load (${probeLatencies.length} actions, 1 client, one action at a time)`,
      result: `p50 ${Math.round(percentile(probeLatencies, 50))} ms, p99 ${Math.round(percentile(probeLatencies, 99))} ms`,
      target: `p99 < 250 ms: ${percentile(probeLatencies, 99) < 250 ? 'met' : 'missed'}`,
    });
    notes.push(
      `Push: drain jobs added ${jobs.added}; completed ${JSON.stringify(jobs.completed)}; failed attempts (retried with backoff, PUSH_BACKOFF_MS 500 jittered) ${JSON.stringify(jobs.failed)}.`,
      `Push: ${stats[0].attempts} CATP attempts for ${total} actions. CPU from the first POST to the last SENT seen: ${describeCpu(cpu, 'action-push')}.`,
    );
  } finally {
    await service.stop();
    await pg.end();
    await sim.close();
    await dropDatabase(DB);
  }
  return { rows, notes };
}
