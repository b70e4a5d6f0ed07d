/* Push of staff actions to NACSIS-ILL through the real path: POST /api/requests/:id/actions on
   action-push (its own process, HTTP API and push worker together, high PUSH_CONCURRENCY) → outbound_action
   + doorbell job → the push worker drains each request in order → CATP SERVERPROCEDURECALL on the simulator. */
import { Agent, request as httpRequest } from 'http';
import { QueueEvents } from 'bullmq';
import { Client } from 'pg';
import { QUEUE, redisOptions } from '@illbridge/queues';
import { SecretBox } from '@illbridge/common';
import { CatpClient, classifyStatus, decodeResponse, encodeFields, encodeRequest, fieldValue, nacsisDatabaseOf } from '@illbridge/connectors/nacsis';
import { catpElements } from '../apps/action-push/src/nacsis-context';
import { mapNacsisStatus } from '@illbridge/workflow';
import { startSimulator } from '../apps/ill-simulator/src/simulator';
import { freePort, startService, waitForHealth } from '../scripts/lib/services';
import { bullmqRoundTrip } from './ceilings';
import { api, cpuMeter, REDIS_URL, describeCpu, dropDatabase, envNumber, freshDatabase, LOG_DIR, PartResult, percentile, pool, SECRETS_KEY, serviceEnv, SERVICES_FROM_DIST, sleep } from './lib';

/** BENCH_DB_SUFFIX keeps a run apart from another one on the same Postgres (a fresh database is dropped WITH FORCE). */
const DB = `illbridge_bench_push${(process.env.BENCH_DB_SUFFIX ?? '').replace(/[^a-z0-9_]/gi, '_')}`;
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
  const batch = envNumber('BENCH_PUSH_BATCH', 1); // > 1: the clients send POST /api/actions/bulk of this many requests
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
  const OPEN = Math.max(PLANS.length, Math.round(requests / 2)); // requests for the open-loop run (at most this many are used)
  // Main run, then the twins (records the raw CATP ceiling sends the same commands to; request i and twin i share a plan),
  // then the open-loop requests, then the probe.
  const plans = [requests, requests, OPEN, PROBE].flatMap((n) => Array.from({ length: n }, (_, i) => PLANS[i % PLANS.length]));
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
  const probe = seeded.splice(2 * requests + OPEN);
  const openLoop = seeded.splice(2 * requests);
  const twins = seeded.splice(requests);
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
    const meterFor = () => cpuMeter(service.process.pid!, DB); // Postgres: the backends of this database (and the server's own processes)
    const meter = meterFor();
    const started = Date.now();
    if (batch <= 1) {
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
    } else {
      // Batch work: `clients` staff members at once, each taking a batch of `batch` requests of one kind through its
      // five actions, one POST /api/actions/bulk per action for the whole batch.
      const batches: { plan: Plan; requestIds: string[] }[] = [];
      for (const plan of PLANS) {
        const ids = seeded.filter((s) => s.plan === plan).map((s) => s.requestId);
        for (let i = 0; i < ids.length; i += batch) batches.push({ plan, requestIds: ids.slice(i, i + batch) });
      }
      await pool(batches, clients, async ({ plan, requestIds }) => {
        for (const [index, step] of plan.steps.entries()) {
          const t0 = performance.now();
          const answer = await api(service.url, 'POST', '/api/actions/bulk', { ...step, requestIds });
          if (answer.refused) throw new Error(`${plan.name} #${index + 1} ${JSON.stringify(step)}: ${JSON.stringify(answer.results.find((r: any) => r.result === 'REFUSED'))}`);
          httpLatencies.push(performance.now() - t0);
        }
      });
    }
    const accepted = Date.now();
    let counts: Record<string, number> = {};
    for (const deadline = Date.now() + 10 * 60_000; Date.now() < deadline; await sleep(100)) {
      const { rows: states } = await pg.query(`SELECT state, count(*)::int AS n FROM outbound_action GROUP BY state`);
      counts = Object.fromEntries(states.map((r) => [r.state, r.n]));
      if ((counts.SENT ?? 0) + (counts.FAILED ?? 0) + (counts.DISCARDED ?? 0) >= total) break;
    }
    const cpu = meter();
    await queueEvents.close();
    if ((counts.SENT ?? 0) !== total) throw new Error(`not all actions SENT: ${JSON.stringify(counts)}`);
    const mainEnded = new Date();
    const { rows: stats } = await pg.query(
      `SELECT extract(epoch FROM max(sent_at) - min(created_at)) AS span,
              array_agg(extract(epoch FROM sent_at - created_at) * 1000 ORDER BY sent_at - created_at) AS latencies,
              sum(attempts)::int AS attempts
         FROM outbound_action WHERE created_at < $1`,
      [mainEnded],
    );
    const latencies = (stats[0].latencies as string[]).map(Number);
    const span = Number(stats[0].span);
    const rate = total / span;

    // The ceiling: the same SERVERPROCEDURECALLs the push sent (command, fields, Returned-edit-type, in each request's
    // seq order), to twin records in the same states, from a minimal client (one GETHANDLE, a keep-alive agent, the
    // push's concurrency, no database, no queue).
    const { rows: sentCalls } = await pg.query(
      `SELECT request_id, nacsis_command, fields FROM outbound_action WHERE created_at < $1 ORDER BY request_id, seq`,
      [mainEnded],
    );
    const indexOf = new Map(seeded.map((s, i) => [s.requestId, i]));
    const callsOf = twins.map(() => [] as { command: string; fields: unknown }[]);
    for (const call of sentCalls) callsOf[indexOf.get(call.request_id)!].push({ command: call.nacsis_command, fields: call.fields });
    const ceiling = await rawCatpCeiling(sim.url, catp, twins.map((twin, i) => ({ externalId: recordIds[requests + i], plan: twin.plan, calls: callsOf[i] })), concurrency);
    rows.push({
      what: `raw CATP round trip (minimal client: keep-alive agent, one GETHANDLE, concurrency ${concurrency}, the push's ${ceiling.calls} SERVERPROCEDURECALLs to twin records)`,
      result: `${Math.round(ceiling.perSecond)} calls/s, p50 ${Math.round(ceiling.p50)} ms, p99 ${Math.round(ceiling.p99)} ms${ceiling.refused ? `, ${ceiling.refused} refused` : ''}`,
      target: 'ceiling',
    });
    const goal = ceiling.perSecond >= 1000 ? Math.max(1000, ceiling.perSecond / 2) : ceiling.perSecond / 2;
    httpLatencies.sort((a, b) => a - b);
    const p50 = percentile(latencies, 50);
    const p99 = percentile(latencies, 99);
    const perAction = (cpuS: number) => ((cpuS * 1000) / total).toFixed(2);
    rows.push({
      what: `push of ${total} actions over ${seeded.length} requests (${clients} clients, ${batch > 1 ? `POST /api/actions/bulk of ${batch} requests` : 'one action per POST'}; action-push process, PUSH_CONCURRENCY ${concurrency})`,
      result: `${Math.round(rate)} actions/s (${span.toFixed(1)} s from first enqueue to last SENT) = ${Math.round((100 * rate) / ceiling.perSecond)}% of the ceiling; CPU-ms per action: action-push ${perAction(cpu.child)}, Postgres (its database) ${perAction(cpu.pgOwn)}, bench process ${perAction(cpu.bench)}, other ${perAction(cpu.other)}`,
      target: `≥ 50% of the ceiling (and ≥ 1,000/s if the ceiling allows): ≥ ${Math.round(goal)}/s: ${rate >= goal ? 'met' : 'missed'}`,
    });
    rows.push({
      what: 'push latency, closed loop at saturation, enqueue (HTTP 202) to SENT (sent_at − created_at)',
      result: `p50 ${Math.round(p50)} ms, p99 ${Math.round(p99)} ms, max ${Math.round(latencies.at(-1)!)} ms`,
      target: '(saturation: queueing)',
    });
    rows.push({
      what: `push: the HTTP API alone (${batch > 1 ? 'POST /api/actions/bulk' : 'POST …/actions'} → ${batch > 1 ? 200 : 202})`,
      result: `${Math.round(total / ((accepted - started) / 1000))} actions/s accepted; HTTP p50 ${Math.round(percentile(httpLatencies, 50))} ms, p99 ${Math.round(percentile(httpLatencies, 99))} ms`,
      target: '(part of the above)',
    });

    // Open loop: single actions at a fixed rate of half the measured maximum, each request's actions one after the
    // other (step by step over the requests, so a request's next action is due seconds after its previous one).
    const offered = rate / 2;
    const openRequests = openLoop.slice(0, Math.max(PLANS.length, Math.min(openLoop.length, Math.round((offered * 20) / 5))));
    const schedule = [0, 1, 2, 3, 4].flatMap((step) => openRequests.map((r, i) => ({ ...r, i, step })));
    const chains = openRequests.map(() => Promise.resolve());
    const openMeter = meterFor();
    const openStarted = new Date();
    const t0 = performance.now();
    let behind = 0;
    schedule.forEach(({ requestId, plan, i, step }, n) => {
      chains[i] = chains[i].then(async () => {
        const due = t0 + (n * 1000) / offered;
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
        else if (wait < -50) behind++;
        await api(service.url, 'POST', `/api/requests/${requestId}/actions`, plan.steps[step]);
      });
    });
    await Promise.all(chains);
    const openTotal = schedule.length;
    for (const deadline = Date.now() + 120_000; Date.now() < deadline; await sleep(50)) {
      const { rows: left } = await pg.query(`SELECT count(*)::int AS n FROM outbound_action WHERE created_at >= $1 AND state <> 'SENT'`, [openStarted]);
      if (left[0].n === 0) break;
    }
    const openCpu = openMeter();
    const { rows: openRows } = await pg.query(
      `SELECT array_agg(extract(epoch FROM sent_at - created_at) * 1000 ORDER BY sent_at - created_at) AS latencies, count(*) FILTER (WHERE state = 'SENT')::int AS sent,
              extract(epoch FROM max(created_at) - min(created_at)) AS enqueue_span
         FROM outbound_action WHERE created_at >= $1`,
      [openStarted],
    );
    if (openRows[0].sent !== openTotal) throw new Error(`open loop: ${openRows[0].sent} of ${openTotal} SENT`);
    const openLatencies = (openRows[0].latencies as string[]).map(Number);
    const openP99 = percentile(openLatencies, 99);
    const perOpen = (cpuS: number) => ((cpuS * 1000) / openTotal).toFixed(2);
    rows.push({
      what: `push, open loop: ${openTotal} single actions offered at ${Math.round(offered)}/s (half the maximum above) over ${openRequests.length} requests; enqueue to SENT`,
      result: `p50 ${Math.round(percentile(openLatencies, 50))} ms, p99 ${Math.round(openP99)} ms (sent at ${Math.round(openTotal / Number(openRows[0].enqueue_span))}/s${behind ? `, ${behind} sends late by > 50 ms` : ''}); CPU-ms per action: action-push ${perOpen(openCpu.child)}, Postgres (its database) ${perOpen(openCpu.pgOwn)}, bench process ${perOpen(openCpu.bench)}, other ${perOpen(openCpu.other)}`,
      target: `p99 < 250 ms: ${openP99 < 250 ? 'met' : 'missed'}`,
    });

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
    rows.push({
      what: `push latency at light load (${probeLatencies.length} actions, 1 client, one action at a time)`,
      result: `p50 ${Math.round(percentile(probeLatencies, 50))} ms, p99 ${Math.round(percentile(probeLatencies, 99))} ms`,
      target: `p99 < 250 ms: ${percentile(probeLatencies, 99) < 250 ? 'met' : 'missed'}`,
    });
    notes.push(
      `Push: drain jobs added ${jobs.added}; completed ${JSON.stringify(jobs.completed)}; failed attempts (retried with backoff, PUSH_BACKOFF_MS 500 jittered) ${JSON.stringify(jobs.failed)}.`,
      `Push: ${stats[0].attempts} CATP attempts for ${total} actions. CPU from the first POST to the last SENT seen: ${describeCpu(cpu, 'action-push')}.`,
      `Push, raw CATP ceiling: ${ceiling.calls} calls in ${ceiling.seconds.toFixed(1)} s; CPU: bench process (simulator and client) ${ceiling.benchCpu.toFixed(1)} s.`,
      `Push, open loop: ${describeCpu(openCpu, 'action-push')}.`,
    );
  } finally {
    await service.stop();
    await pg.end();
    await sim.close();
    await dropDatabase(DB);
  }
  return { rows, notes };
}

/** The raw CATP ceiling: each record's calls in order, `concurrency` records at once, over one handle and a
 *  keep-alive agent, with plain http.request (no axios, no retries, no database). */
async function rawCatpCeiling(
  simUrl: string,
  catp: CatpClient,
  records: { externalId: string; plan: Plan; calls: { command: string; fields: unknown }[] }[],
  concurrency: number,
): Promise<{ perSecond: number; p50: number; p99: number; calls: number; refused: number; seconds: number; benchCpu: number }> {
  const handle = await catp.getHandle(US_LOGIN.userId, US_LOGIN.password);
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const target = new URL(`${simUrl}/nacsis/catp`);
  const post = (body: Buffer) =>
    new Promise<string>((resolveBody, reject) => {
      const req = httpRequest(
        { agent, host: target.hostname, port: target.port, path: target.pathname, method: 'POST', headers: { 'Content-Type': 'text/plain', 'Content-Length': body.length } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolveBody(Buffer.concat(chunks).toString('utf8')));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  const latencies: number[] = [];
  let refused = 0;
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  await pool(records, concurrency, async ({ externalId, plan, calls }) => {
    const db = nacsisDatabaseOf(plan.direction, plan.service);
    for (const { command, fields } of calls) {
      const body = encodeFields([{ tag: 'ID', value: externalId }, ...catpElements(fields as never)]);
      const wire = encodeRequest({
        method: 'SERVERPROCEDURECALL', handle: handle.id, frame: '000', version: 'CATP/1.1', encoding: 'UTF8', body,
        headers: [{ name: 'Procedure-name', value: 'ILL' }, { name: 'Database-names', value: db }, { name: 'ILL-command', value: command }, { name: 'Returned-edit-type', value: '2' }],
      });
      const t0 = performance.now();
      const answer = decodeResponse(await post(Buffer.from(wire, 'utf8')));
      latencies.push(performance.now() - t0);
      if (classifyStatus(answer.status) !== 'OK') refused++;
    }
  });
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu0);
  agent.destroy();
  await catp.releaseHandle(handle).catch(() => undefined);
  latencies.sort((a, b) => a - b);
  return { perSecond: latencies.length / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99), calls: latencies.length, refused, seconds, benchCpu: (used.user + used.system) / 1e6 };
}
