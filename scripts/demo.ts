/* npm run demo — everything, end to end, on this machine: migrations, the four services, the
   simulator, a demo library with partners, a Libris profile and its mapping, one import run, and a
   summary of its report. The services stay up so you can look around; Ctrl+C stops them.
   DEMO_EXIT=1 stops them after the summary (used by the smoke test). */
import { Client } from 'pg';
import Redis from 'ioredis';
import { resolve } from 'path';
import { runMigrations } from '@illbridge/database/migrate';
import { loadConfig } from '@illbridge/common/config';
import { RunningService, SERVICES, ServiceName, startService, waitForHealth } from './lib/services';

const ADMIN_KEY = process.env.BOOTSTRAP_ADMIN_KEY || 'demo-admin-key-change-me-0001';
const LIBRIS_KEY = 'demo-libris-api-key';
const SIGEL = 'Hig';
const NETPUNKT_ISIL = 'DK-820010';
const NETPUNKT_PASSWORD = 'demo-netpunkt-password';
const LOG_DIR = resolve(__dirname, '..', 'demo-logs');

const env = { NODE_ENV: process.env.NODE_ENV || 'development', BOOTSTRAP_ADMIN_KEY: ADMIN_KEY, LOG_LEVEL: process.env.LOG_LEVEL || 'info' };
const config = loadConfig({ ...process.env, ...env });
const url = (name: ServiceName) => `http://127.0.0.1:${SERVICES[name].port}`;

async function call(method: string, target: string, body?: unknown, key = ADMIN_KEY): Promise<any> {
  const res = await fetch(target, {
    method,
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${key}` },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const data = text ? JSON.parse(text) : null;
  if (!res.ok) throw new Error(`${method} ${target} → ${res.status}: ${JSON.stringify(data)}`);
  return data;
}

async function checkDependencies() {
  const problems: string[] = [];
  const admin = new URL(config.databaseUrl);
  admin.pathname = '/postgres';
  const pg = new Client({ connectionString: admin.toString(), connectionTimeoutMillis: 3000 });
  try {
    await pg.connect();
  } catch (error: any) {
    problems.push(`Postgres is not reachable at ${admin.host} (${error.message}). Start it, or set DATABASE_URL.`);
  } finally {
    await pg.end().catch(() => undefined);
  }
  const redis = new Redis(config.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null, connectTimeout: 3000 });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
  } catch (error: any) {
    problems.push(`Redis is not reachable at ${config.redisUrl} (${error.message}). Start it, or set REDIS_URL.`);
  } finally {
    redis.disconnect();
  }
  if (problems.length) {
    console.error(`\nILL Bridge demo cannot start:\n- ${problems.join('\n- ')}\nSee README.md "Requirements".`);
    process.exit(1);
  }
}

/** Creates the profile, or brings an existing one (an earlier demo) up to date. */
async function upsertProfile(admin: string, code: string, body: Record<string, unknown>) {
  const existing = await call('GET', `${admin}/api/integration-profiles?code=${code}`);
  if (!existing.items[0]) return call('POST', `${admin}/api/integration-profiles`, { code, ...body });
  const { integrationType, system, ...changes } = body;
  return call('PATCH', `${admin}/api/integration-profiles/${existing.items[0].id}`, changes);
}

async function ensure(method: string, target: string, body: unknown) {
  try {
    return await call(method, target, body);
  } catch (error: any) {
    if (!/→ 409/.test(error.message)) throw error;
    return null;
  }
}

async function main() {
  console.log('ILL Bridge demo\n');
  await checkDependencies();
  const applied = await runMigrations(config.databaseUrl);
  console.log(`✔ database ready (${applied.length} migration(s) applied)`);

  const services: RunningService[] = [];
  const stopAll = async () => {
    await Promise.all(services.map((s) => s.stop()));
  };
  process.on('SIGINT', () => void stopAll().then(() => process.exit(0)));
  process.on('SIGTERM', () => void stopAll().then(() => process.exit(0)));
  for (const name of Object.keys(SERVICES) as ServiceName[]) services.push(startService(name, env, { logDir: LOG_DIR }));
  try {
    await Promise.all(services.map((s) => waitForHealth(s)));
  } catch (error: any) {
    console.error(`✘ ${error.message}`);
    await stopAll();
    process.exit(1);
  }
  console.log(`✔ services up: ${services.map((s) => `${s.name} ${s.url}`).join(', ')} (logs in demo-logs/)`);

  // The simulator plays Libris: our sigel, its key, and two months of borrowing requests.
  const sim = url('ill-simulator');
  await call('DELETE', `${sim}/_sim/libris`);
  await call('POST', `${sim}/_sim/libris/keys`, { sigel: SIGEL, apiKey: LIBRIS_KEY });
  const today = new Date();
  const from = new Date(today.getTime() - 60 * 86_400_000).toISOString().slice(0, 10);
  await call('POST', `${sim}/_sim/libris/generate`, { sigel: SIGEL, count: 40, from, to: today.toISOString().slice(0, 10), seed: 7, unknownSigelShare: 0.1 });
  // One request placed for a library nobody mapped: it fails alone, with its reason.
  await call('POST', `${sim}/_sim/libris/requests`, { sigel: SIGEL, record: { requesting_library: 'Xyz', title: 'Okänd beställare' } });
  console.log(`✔ simulator holds Libris requests for sigel ${SIGEL} since ${from}`);

  const admin = url('profile-config');
  await ensure('POST', `${admin}/api/libraries`, { code: 'MAIN', name: 'Main library (resource sharing)', resourceSharing: true });
  for (const [code, name] of [
    ['Hig', 'Högskolan i Gävle'],
    ['Gk', 'Göteborgs universitetsbibliotek'],
    ['S', 'Stockholms universitetsbibliotek'],
    ['U', 'Uppsala universitetsbibliotek'],
    ['L', 'Lunds universitetsbibliotek'],
    ['Li', 'Linköpings universitetsbibliotek'],
    ['Um', 'Umeå universitetsbibliotek'],
  ]) {
    await ensure('POST', `${admin}/api/partners`, { code, name, system: 'LIBRIS', active: true });
  }
  const profile = await upsertProfile(admin, 'LIBRIS_DEMO', {
    integrationType: 'RESOURCE_SHARING',
    system: 'LIBRIS',
    name: 'Libris demo',
    description: 'Borrowing requests harvested from the Libris simulator',
    baseUrl: `${sim}/libris/api`,
    libraryCode: SIGEL,
    resourceSharingLibraryCode: 'MAIN',
    authentication: { enabled: true, apiKey: LIBRIS_KEY },
    active: true,
    harvestStartDate: from,
    granularity: 'DAY',
    schedule: { type: 'DAILY', time: '02:30', timezone: 'Europe/Stockholm' },
  });
  await call('PUT', `${admin}/api/integration-profiles/${profile.id}/library-mappings`, [{ libraryCode: 'MAIN', externalLibraryCode: SIGEL }]);
  console.log(`✔ profile "${profile.name}" (${profile.code}) scheduled daily 02:30 Europe/Stockholm, next run ${profile.nextRunAt}`);

  // Netpunkt (Denmark) pushes receipts: a profile with its password, and three receipts from the simulator.
  const netpunkt = await upsertProfile(admin, 'NETPUNKT_DEMO', {
    name: 'Netpunkt demo',
    integrationType: 'RESOURCE_SHARING',
    system: 'NETPUNKT',
    libraryCode: NETPUNKT_ISIL,
    resourceSharingLibraryCode: 'MAIN',
    authentication: { enabled: true, password: NETPUNKT_PASSWORD },
    active: true,
  });
  await call('PUT', `${admin}/api/integration-profiles/${netpunkt.id}/library-mappings`, [{ libraryCode: 'MAIN', externalLibraryCode: NETPUNKT_ISIL }]);
  const receipt = { endpointUrl: `${admin}/netpunkt/receipt`, password: NETPUNKT_PASSWORD, requesterId: NETPUNKT_ISIL, pickUpAgencyId: NETPUNKT_ISIL, responderId: 'DK-710100' };
  const sent = [];
  for (const scenario of ['full', 'article-copy', 'wrong-password']) sent.push({ scenario, ...(await call('POST', `${sim}/_sim/netpunkt/send`, { ...receipt, scenario })) });
  sent.push({ scenario: 'resend', ...(await call('POST', `${sim}/_sim/netpunkt/send`, { ...receipt, scenario: 'resend', orderId: sent[0].orderId })) });
  console.log('✔ Netpunkt receipts sent by the simulator:');
  for (const s of sent) console.log(`    ${s.scenario.padEnd(15)} order ${s.orderId} → ${s.status}${s.message ? ` (${s.message})` : ''}`);

  const { jobRunId } = await call('POST', `${admin}/api/integration-profiles/${profile.id}/run`);
  console.log(`… running "${profile.jobName}" (run ${jobRunId})`);
  const report = await waitForRun(jobRunId);
  printReport(report);
  await printNetpunkt(netpunkt.id);
  console.log(`\nLook around (admin key: ${ADMIN_KEY}):`);
  console.log(`  curl -H "Authorization: Bearer ${ADMIN_KEY}" ${admin}/api/integration-profiles/${profile.id}`);
  console.log(`  OpenAPI: ${admin}/docs · health: ${admin}/health · metrics: ${admin}/metrics`);
  if (process.env.DEMO_EXIT === '1') {
    await stopAll();
    process.exit(report.state === 'COMPLETED_SUCCESSFULLY' || report.state === 'COMPLETED_WITH_ERRORS' ? 0 : 1);
  }
  console.log('\nServices keep running; press Ctrl+C to stop them.');
}

/** The run's report, read from the database the services share (the reporting API will serve it). */
async function waitForRun(jobRunId: string) {
  const pg = new Client({ connectionString: config.databaseUrl });
  await pg.connect();
  try {
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      const { rows } = await pg.query('SELECT * FROM job_run WHERE id = $1', [jobRunId]);
      const run = rows[0];
      if (run && !['PENDING', 'RUNNING'].includes(run.state)) {
        const failed = await pg.query(`SELECT external_id, reason_code, message FROM record_event WHERE job_run_id = $1 AND outcome = 'FAILED' ORDER BY external_id`, [jobRunId]);
        const statuses = await pg.query(
          `SELECT status, external_system_status, count(*)::int AS n FROM rs_request WHERE profile_id = $1 GROUP BY 1, 2 ORDER BY n DESC`,
          [run.profile_id],
        );
        return { ...run, failed: failed.rows, statuses: statuses.rows };
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error('The import run did not finish within 2 minutes; see demo-logs/import-worker.log');
  } finally {
    await pg.end();
  }
}

/** The INBOUND runs of the Netpunkt profile and the requests they made. */
async function printNetpunkt(profileId: string) {
  const pg = new Client({ connectionString: config.databaseUrl });
  await pg.connect();
  try {
    await new Promise((r) => setTimeout(r, 1000)); // receipts are imported by the worker, asynchronously
    const runs = await pg.query(`SELECT state, count(*)::int AS n FROM job_run WHERE profile_id = $1 GROUP BY 1`, [profileId]);
    const requests = await pg.query(`SELECT external_id, format, title FROM rs_request WHERE profile_id = $1 ORDER BY created_at`, [profileId]);
    console.log(`\n=== Netpunkt receipts: ${runs.rows.map((r) => `${r.n} run(s) ${r.state}`).join(', ')}`);
    for (const r of requests.rows) console.log(`  order ${r.external_id}  ${r.format}  ${r.title}`);
  } finally {
    await pg.end();
  }
}

function printReport(run: any) {
  const c = run.counters ?? {};
  console.log(`\n=== ${run.job_name}`);
  console.log(`State: ${run.state}${run.error ? ` — ${run.error_code}: ${run.error}` : ''}`);
  console.log(`Window: ${run.window_from} … ${run.window_to}`);
  console.log(`Records processed: ${c.totalRecordsProcessed}   created ${c.created} · updated ${c.updated} · unchanged ${c.unchanged}`);
  console.log(`Borrowing requests: ${c.borrowingProcessed} processed, ${c.borrowingSucceeded} succeeded, ${c.borrowingFailed} failed`);
  if (run.failed.length) {
    console.log('Failed records:');
    for (const f of run.failed) console.log(`  ${f.external_id}  ${f.reason_code}  ${f.message}`);
  }
  console.log('Requests by status (local ← Libris):');
  for (const s of run.statuses) console.log(`  ${String(s.n).padStart(4)}  ${s.status.padEnd(32)} ← ${s.external_system_status}`);
}

main().catch((error) => {
  console.error(`✘ ${error.message}`);
  process.exit(1);
});
