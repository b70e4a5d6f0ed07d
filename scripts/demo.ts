/* npm run demo — everything, end to end, on this machine: migrations, the four services, the
   simulator, a demo library with partners, a Libris profile and its mapping, one import run, and a
   summary of its report; the staff console (built first if missing or stale) with an operator and a viewer key.
   The services stay up so you can look around; Ctrl+C stops them.
   DEMO_EXIT=1 stops them after the summary (used by the smoke test). */
import { Client } from 'pg';
import Redis from 'ioredis';
import { resolve } from 'path';
import { runMigrations } from '@illbridge/database/migrate';
import { loadConfig } from '@illbridge/common/config';
import { ensureConsoleBuilt } from './lib/console-build';
import { RunningService, SERVICES, ServiceName, startService, waitForHealth } from './lib/services';

const ADMIN_KEY = process.env.BOOTSTRAP_ADMIN_KEY || 'demo-admin-key-change-me-0001';
const LIBRIS_KEY = 'demo-libris-api-key';
const SIGEL = 'Hig';
const NETPUNKT_ISIL = 'DK-820010';
const NETPUNKT_PASSWORD = 'demo-netpunkt-password';
const NACSIS_ID = 'FA012345';
const NACSIS_USER = 'demo';
const NACSIS_PASSWORD = 'demo-nacsis-password';
const LOG_DIR = resolve(__dirname, '..', 'demo-logs');

// The simulator listens on 127.0.0.1, a private target that production refuses (ALLOW_PRIVATE_TARGETS).
const env = { NODE_ENV: process.env.NODE_ENV || 'development', BOOTSTRAP_ADMIN_KEY: ADMIN_KEY, LOG_LEVEL: process.env.LOG_LEVEL || 'info', ALLOW_PRIVATE_TARGETS: 'true' };
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
  // The staff console is served by reporting from its build output: built here on a fresh clone, or when its sources changed.
  if (await ensureConsoleBuilt()) console.log('✔ staff console built (dist/console)');

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

  // NACSIS-ILL (Japan): the simulator plays NACSIS with our participant id and a mix of borrowing and lending records.
  await call('DELETE', `${sim}/_sim/nacsis`);
  await call('POST', `${sim}/_sim/nacsis/participants`, { participantId: NACSIS_ID, userId: NACSIS_USER, password: NACSIS_PASSWORD, name: 'デモ大学附属図書館' });
  await call('POST', `${sim}/_sim/nacsis/generate`, { ourParticipantId: NACSIS_ID, count: 24, seed: 5 });
  const nacsis = await upsertProfile(admin, 'NACSIS_DEMO', {
    name: 'NACSIS-ILL demo',
    integrationType: 'RESOURCE_SHARING',
    system: 'NACSIS',
    baseUrl: `${sim}/nacsis/catp`,
    libraryCode: NACSIS_ID,
    resourceSharingLibraryCode: 'MAIN',
    authentication: { enabled: true, userId: NACSIS_USER, password: NACSIS_PASSWORD },
    active: true,
    harvestStartDate: from,
    granularity: 'DAY',
    schedule: { type: 'DAILY', time: '03:00', timezone: 'Asia/Tokyo' },
  });
  await call('PUT', `${admin}/api/integration-profiles/${nacsis.id}/library-mappings`, [{ libraryCode: 'MAIN', externalLibraryCode: NACSIS_ID }]);
  console.log(`✔ profile "${nacsis.name}" (${nacsis.code}) synchronises daily at 03:00 Asia/Tokyo, next run ${nacsis.nextRunAt}`);

  const { jobRunId } = await call('POST', `${admin}/api/integration-profiles/${profile.id}/run`);
  console.log(`… running "${profile.jobName}" (run ${jobRunId})`);
  const report = await waitForRun(jobRunId);
  await printReport(report);
  await printNetpunkt(netpunkt.id);
  const sync = await call('POST', `${admin}/api/integration-profiles/${nacsis.id}/run`);
  console.log(`\n… running "${nacsis.jobName}" (run ${sync.jobRunId})`);
  await printReport(await waitForRun(sync.jobRunId));
  await demoBorrowingRequest(sim, nacsis.id);
  const staffKeys = await demoStaffKeys(admin);
  console.log(`\nStaff console: ${url('reporting')}/console/  — sign in with one of these API keys:`);
  console.log(`  admin     ${ADMIN_KEY}`);
  console.log(`  operator  ${staffKeys.operator}`);
  console.log(`  viewer    ${staffKeys.viewer}`);
  console.log(`\nLook around (admin key: ${ADMIN_KEY}):`);
  console.log(`  curl -H "Authorization: Bearer ${ADMIN_KEY}" ${admin}/api/integration-profiles/${profile.id}`);
  console.log(`  curl -H "Authorization: Bearer ${ADMIN_KEY}" ${url('reporting')}/api/jobs/${jobRunId}`);
  console.log(`  queue dashboard: ${url('reporting')}/queues (any user name, password = the admin key)`);
  console.log(`  OpenAPI: ${admin}/docs · health: ${admin}/health · metrics: ${admin}/metrics`);
  if (process.env.DEMO_EXIT === '1') {
    await stopAll();
    process.exit(report.state === 'COMPLETED_SUCCESSFULLY' || report.state === 'COMPLETED_WITH_ERRORS' ? 0 : 1);
  }
  console.log('\nServices keep running; press Ctrl+C to stop them.');
}

/** A borrowing request created in ILL Bridge: the lenders of a title located in NACSIS-CAT (the simulator's
 *  holdings), the request created with them as candidates, ordered in NACSIS-ILL, and shown once the ORDER is sent. */
async function demoBorrowingRequest(sim: string, profileId: string) {
  const pushApi = url('action-push');
  const lenders = [
    { participantId: 'FA900001', name: '東京デモ大学附属図書館' },
    { participantId: 'FA900002', name: '京都デモ大学附属図書館' },
  ];
  for (const lender of lenders) await call('POST', `${sim}/_sim/nacsis/participants`, lender);
  const title = { bibId: 'AN10184701', title: '免疫薬理', issn: '0000-0000' };
  await call('POST', `${sim}/_sim/nacsis/holdings`, {
    ...title,
    holdings: [{ participantId: NACSIS_ID, volumes: ['1-20'] }, { participantId: 'FA900001', location: '総合図', volumes: ['1-20'] }, { participantId: 'FA900002', volumes: ['8-12'] }],
  });
  const found = await call('GET', `${pushApi}/api/nacsis/holdings?profileId=${profileId}&bibId=${title.bibId}`);
  const created = await call('POST', `${pushApi}/api/borrowing-requests`, {
    profileId,
    format: 'COPY',
    title: title.title,
    bibId: title.bibId,
    issn: title.issn,
    volume: '12',
    issue: '3',
    pages: '45-52',
    articleTitle: 'Sample article',
    requesterId: 'P-0042',
    requesterName: '佐藤 花子',
    pickupLibraryCode: 'MAIN',
    lenders: found.holdings.map((h: any) => ({ participantId: h.participantId, name: h.name ?? undefined, location: h.location ?? undefined })),
    nacsis: { accounting: 'pb', copyType: '電子複写', staff: 'ILL担当 TEL=000-000-0001', address: '〒000-0001 デモ市1-1 デモ大学附属図書館' },
  });
  await call('POST', `${pushApi}/api/borrowing-requests/${created.id}/order`, {});
  const deadline = Date.now() + 30_000;
  let action: any;
  while (Date.now() < deadline) {
    [action] = await call('GET', `${pushApi}/api/requests/${created.id}/outbound-actions`);
    if (action && ['SENT', 'FAILED'].includes(action.state)) break;
    await new Promise((r) => setTimeout(r, 300));
  }
  const request = await call('GET', `${url('reporting')}/api/requests/${created.id}`);
  console.log(`\n=== Borrowing request created in ILL Bridge and ordered in NACSIS-ILL`);
  console.log(`Holdings of ${title.bibId} (${title.title}), our library left out: ${found.holdings.map((h: any) => `${h.participantId} ${h.name ?? ''}`.trim()).join(' · ')}`);
  console.log(`Request ${request.requestNumber}: ORDER ${action?.state ?? 'not pushed'}${action?.lastError ? ` (${action.lastError})` : ''}`);
  console.log(`  NACSIS ID ${request.externalId} · ${request.externalSystemStatus ?? '—'} · status ${request.status} · partner ${request.partnerCode ?? '—'} · candidates ${request.partners.join(', ')}`);
  console.log(`  curl -H "Authorization: Bearer ${ADMIN_KEY}" ${url('reporting')}/api/requests/${created.id}`);
}

/** An operator and a viewer key for the console. Keys are shown only when created, so an earlier demo's are
 *  deleted and new ones made (API keys are stored as hashes). */
async function demoStaffKeys(admin: string): Promise<{ operator: string; viewer: string }> {
  const names = { operator: 'demo operator', viewer: 'demo viewer' } as const;
  const existing: { id: string; name: string }[] = await call('GET', `${admin}/api/api-keys`);
  for (const key of existing.filter((k) => Object.values(names).includes(k.name as any))) await call('DELETE', `${admin}/api/api-keys/${key.id}`);
  const operator = await call('POST', `${admin}/api/api-keys`, { name: names.operator, role: 'operator' });
  const viewer = await call('POST', `${admin}/api/api-keys`, { name: names.viewer, role: 'viewer' });
  return { operator: operator.key, viewer: viewer.key };
}

/** The run's report from the reporting API, once the run has ended. */
async function waitForRun(jobRunId: string) {
  const reporting = url('reporting');
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const report = await call('GET', `${reporting}/api/jobs/${jobRunId}`);
    if (!['PENDING', 'RUNNING'].includes(report.state)) return report;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error('The import run did not finish within 2 minutes; see demo-logs/import-worker.log');
}

async function printReport(report: any) {
  const c = report.counters;
  console.log(`\n=== ${report.jobName}`);
  console.log(`State: ${report.state}${report.error ? ` — ${report.error.code}: ${report.error.message}` : ''}`);
  console.log(`Window: ${report.window?.from} … ${report.window?.to}`);
  console.log(`Records processed: ${c.totalRecordsProcessed}   created ${c.created} · updated ${c.updated} · unchanged ${c.unchanged}`);
  console.log(`Borrowing requests: ${c.borrowingProcessed} processed, ${c.borrowingSucceeded} succeeded, ${c.borrowingFailed} failed`);
  if (report.failedBorrowing.length) {
    console.log('Failed records:');
    for (const f of report.failedBorrowing) console.log(`  ${f.externalId}  ${f.reasonCode}  ${f.message}`);
  }
  if (c.lendingProcessed) console.log(`Lending requests: ${c.lendingProcessed} processed, ${c.lendingSucceeded} succeeded, ${c.lendingFailed} failed`);
  for (const f of report.failedLending) console.log(`  ${f.externalId}  ${f.reasonCode}  ${f.message}`);
  for (const direction of ['borrowing', 'lending']) {
    const list = await call('GET', `${url('reporting')}/api/${direction}-requests?profileId=${report.profileId}&limit=1`);
    if (!list.total) continue;
    console.log(`${direction === 'borrowing' ? 'Borrowing' : 'Lending'} requests of the profile: ${list.total}`);
    console.log(`  by local status:      ${list.facets.status.map((f: any) => `${f.value} ${f.count}`).join(' · ')}`);
    console.log(`  by external status:   ${list.facets.externalSystemStatus.map((f: any) => `${f.value ?? '—'} ${f.count}`).join(' · ')}`);
  }
  console.log(`Events report: ${url('reporting')}/api/jobs/${report.id}/events (CSV: …/events.csv)`);
}

/** The INBOUND runs of the Netpunkt profile and the requests they made, from the reporting API. */
async function printNetpunkt(profileId: string) {
  const reporting = url('reporting');
  const history = await call('GET', `${reporting}/api/integration-profiles/${profileId}/job-history`);
  const states = new Map<string, number>();
  for (const run of history.items) states.set(run.state, (states.get(run.state) ?? 0) + 1);
  const requests = await call('GET', `${reporting}/api/borrowing-requests?profileId=${profileId}`);
  console.log(`\n=== Netpunkt receipts: ${[...states].map(([state, n]) => `${n} run(s) ${state}`).join(', ')}`);
  for (const r of requests.items) console.log(`  order ${r.externalId}  ${r.format}  ${r.title}`);
}

main().catch((error) => {
  console.error(`✘ ${error.message}`);
  process.exit(1);
});
