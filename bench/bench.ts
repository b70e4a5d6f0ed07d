/* npm run bench — measures against the local Postgres, Redis and the simulator, prints a table and
   writes it to BENCHMARKS.md with the machine it ran on. Not part of npm test.
   BENCH_RECORDS (default 20000) sets the size of the Libris import. */
import { Queue, QueueEvents, Worker } from 'bullmq';
import { writeFileSync, readFileSync } from 'fs';
import { cpus, totalmem, platform, release } from 'os';
import { resolve } from 'path';
import { Client } from 'pg';
import { runMigrations } from '@illbridge/database/migrate';
import { createProfileConfigApp } from '../apps/profile-config/src/main';
import { startSimulator } from '../apps/ill-simulator/src/simulator';
import { freePort, startService, waitForHealth } from '../scripts/lib/services';

const RECORDS = Number(process.env.BENCH_RECORDS || 20_000);
const DB_NAME = 'illbridge_bench';
const ADMIN_KEY = 'bench-admin-key-0123456789';
const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const PREFIX = `bench-${process.pid}`;
const rows: { what: string; result: string; target: string }[] = [];

function dbUrl(name: string) {
  const url = new URL(process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres');
  url.pathname = `/${name}`;
  return url.toString();
}

async function freshDatabase(): Promise<string> {
  const admin = new Client({ connectionString: dbUrl('postgres') });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
  await admin.end();
  await runMigrations(dbUrl(DB_NAME));
  return dbUrl(DB_NAME);
}

/** Ceiling 1: a raw multi-row INSERT … ON CONFLICT of request-shaped rows with pg, 500 per statement. */
async function rawUpsertCeiling(url: string): Promise<number> {
  const pg = new Client({ connectionString: url });
  await pg.connect();
  const [{ id: profileId }] = (
    await pg.query(`INSERT INTO integration_profile (code, name, system, library_code, resource_sharing_library_code, version) VALUES ('RAW', 'raw', 'LIBRIS', 'X', 'X', 1) RETURNING id`)
  ).rows;
  const columns = ['profile_id', 'system', 'direction', 'external_id', 'status', 'external_system_status', 'owner_library_code', 'title', 'author', 'partners', 'raw', 'content_hash'];
  const started = process.hrtime.bigint();
  for (let offset = 0; offset < RECORDS; offset += 500) {
    const params: unknown[] = [];
    const values: string[] = [];
    for (let i = offset; i < Math.min(RECORDS, offset + 500); i++) {
      const row = [profileId, 'LIBRIS', 'BORROWING', `RAW-${i}`, 'REQUEST_SENT_TO_PARTNER', 'Uteliggande', 'MAIN', `Titel ${i} om åäö`, 'Författare', '["Gk","U"]', JSON.stringify({ lf_number: `RAW-${i}`, title: `Titel ${i}` }), 'x'.repeat(40)];
      values.push(`(${row.map((v) => (params.push(v), `$${params.length}`)).join(', ')})`);
    }
    await pg.query(
      `INSERT INTO rs_request (${columns.join(', ')}) VALUES ${values.join(', ')}
       ON CONFLICT (profile_id, direction, external_id) DO UPDATE SET status = EXCLUDED.status, title = EXCLUDED.title, raw = EXCLUDED.raw, updated_at = now()`,
      params,
    );
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await pg.query(`DELETE FROM integration_profile WHERE code = 'RAW'`);
  await pg.end();
  return RECORDS / seconds;
}

/** Ceiling 2: a no-op BullMQ job, enqueued and completed (round trip through Redis). */
async function bullmqRoundTrip(): Promise<{ perSecond: number; p50: number }> {
  const connection = { host: '127.0.0.1', port: 6379, maxRetriesPerRequest: null };
  const queue = new Queue('bench-noop', { connection, prefix: PREFIX });
  const events = new QueueEvents('bench-noop', { connection, prefix: PREFIX });
  const worker = new Worker('bench-noop', async () => undefined, { connection, prefix: PREFIX, concurrency: 50 });
  await Promise.all([worker.waitUntilReady(), events.waitUntilReady()]);
  const n = 5000;
  const latencies: number[] = [];
  const added = new Map<string, number>();
  let done = 0;
  const finished = new Promise<void>((resolveDone) =>
    events.on('completed', ({ jobId }) => {
      latencies.push(Date.now() - (added.get(jobId) ?? Date.now()));
      if (++done === n) resolveDone();
    }),
  );
  const started = Date.now();
  for (let i = 0; i < n; i += 100) {
    const jobs = await queue.addBulk(Array.from({ length: 100 }, (_, k) => ({ name: 'noop', data: { i: i + k }, opts: { removeOnComplete: true } })));
    for (const job of jobs) added.set(job.id!, Date.now());
  }
  await finished;
  const seconds = (Date.now() - started) / 1000;
  await worker.close();
  await events.close();
  await queue.obliterate({ force: true });
  await queue.close();
  latencies.sort((a, b) => a - b);
  return { perSecond: n / seconds, p50: latencies[Math.floor(n / 2)] };
}

async function api(base: string, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${base}${path}`, { method, headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${ADMIN_KEY}` }, body: body === undefined ? undefined : JSON.stringify(body) });
  const data = await res.json().catch(() => null);
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(data)}`);
  return data;
}

/** Peak resident memory of a process (VmHWM), in MB. */
function peakMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

async function main() {
  console.log(`ILL Bridge benchmark: ${RECORDS} records\n`);
  const url = await freshDatabase();
  const raw = await rawUpsertCeiling(url);
  rows.push({ what: `raw multi-row INSERT … ON CONFLICT (pg, 500 rows/statement), ${RECORDS} rows`, result: `${Math.round(raw)} rows/s`, target: 'ceiling' });
  const bull = await bullmqRoundTrip();
  rows.push({ what: 'no-op BullMQ job round trip (5,000 jobs, concurrency 50)', result: `${Math.round(bull.perSecond)} jobs/s, p50 ${bull.p50} ms`, target: 'ceiling' });

  const sim = await startSimulator({ logLevels: false });
  const config = { nodeEnv: 'test', databaseUrl: url, redisUrl: REDIS_URL, queuePrefix: PREFIX, secretsKey: 'bench-secrets-key-0123', bootstrapAdminKey: ADMIN_KEY, logLevel: 'silent' };
  const admin = await createProfileConfigApp(config);
  await admin.listen(0, '127.0.0.1');
  const base = (await admin.getUrl()).replace('[::1]', '127.0.0.1');
  const worker = startService(
    'import-worker',
    { NODE_ENV: 'test', DATABASE_URL: url, REDIS_URL, QUEUE_PREFIX: PREFIX, SECRETS_KEY: config.secretsKey, LOG_LEVEL: 'warn' },
    { port: await freePort(), logDir: resolve(__dirname, '..', 'test-artifacts', 'bench') },
  );
  await waitForHealth(worker);
  try {
    const today = new Date();
    const from = new Date(today.getTime() - 299 * 86_400_000).toISOString().slice(0, 10);
    await fetch(`${sim.url}/_sim/libris/keys`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ sigel: 'Hig', apiKey: 'k' }) });
    await fetch(`${sim.url}/_sim/libris/generate`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ sigel: 'Hig', count: RECORDS, from, to: today.toISOString().slice(0, 10), seed: 1, unknownSigelShare: 0 }),
    });
    await api(base, 'POST', '/api/libraries', { code: 'MAIN', name: 'Main', resourceSharing: true });
    const profile = await api(base, 'POST', '/api/integration-profiles', {
      code: 'BENCH', name: 'Bench', integrationType: 'RESOURCE_SHARING', system: 'LIBRIS', baseUrl: `${sim.url}/libris/api`, libraryCode: 'Hig',
      resourceSharingLibraryCode: 'MAIN', authentication: { enabled: true, apiKey: 'k' }, harvestStartDate: from, schedule: { type: 'NOT_SCHEDULED' },
    });
    await api(base, 'PUT', `/api/integration-profiles/${profile.id}/library-mappings`, [{ libraryCode: 'MAIN', externalLibraryCode: 'Hig' }]);
    const pg = new Client({ connectionString: url });
    await pg.connect();
    const timedRun = async () => {
      const started = Date.now();
      const { jobRunId } = await api(base, 'POST', `/api/integration-profiles/${profile.id}/run`);
      for (;;) {
        const run = (await pg.query('SELECT state, counters FROM job_run WHERE id = $1', [jobRunId])).rows[0];
        if (!['PENDING', 'RUNNING'].includes(run.state)) return { seconds: (Date.now() - started) / 1000, run };
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    const first = await timedRun();
    const firstRate = RECORDS / first.seconds;
    rows.push({ what: `Libris import, first run (${first.run.counters.created} created)`, result: `${Math.round(firstRate)} records/s (${first.seconds.toFixed(1)} s)`, target: `≥ 50% of raw ceiling (${Math.round(raw / 2)}/s): ${firstRate >= raw / 2 ? 'met' : 'missed'}` });
    // Read everything again: the cursor is cleared so the second run sees every window, and nothing changed.
    await pg.query('UPDATE integration_profile SET harvest_cursor = NULL WHERE id = $1', [profile.id]);
    const second = await timedRun();
    const secondRate = RECORDS / second.seconds;
    rows.push({ what: `Libris import, unchanged re-run (${second.run.counters.unchanged} unchanged)`, result: `${Math.round(secondRate)} records/s (${second.seconds.toFixed(1)} s)`, target: `≥ 2× first run: ${secondRate >= 2 * firstRate ? 'met' : 'missed'} (${(secondRate / firstRate).toFixed(2)}×)` });
    const peak = peakMb(worker.process.pid!);
    rows.push({ what: `import worker peak memory (RSS high-water mark) at ${RECORDS} records`, result: `${Math.round(peak)} MB`, target: `< 300 MB at 100,000: ${RECORDS >= 100_000 ? (peak < 300 ? 'met' : 'missed') : 'run with BENCH_RECORDS=100000'}` });
    await pg.end();
  } finally {
    await worker.stop();
    await admin.close();
    await sim.close();
  }

  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, ${platform()} ${release()}, Node ${process.version}`;
  const table = ['| measurement | result | target |', '|---|---|---|', ...rows.map((r) => `| ${r.what} | ${r.result} | ${r.target} |`)].join('\n');
  console.log(table);
  writeFileSync(
    resolve(__dirname, '..', 'BENCHMARKS.md'),
    `# Benchmarks\n\nMeasured by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}.\nMachine: ${machine}.\nPostgres and Redis local, the simulator in-process, the import worker as its own process.\n\n${table}\n\nNot measured yet (issue 8): NACSIS sync of 20,000 records, push of 5,000 actions, request list with facets over 1,000,000 requests.\n`,
  );
  const admin2 = new Client({ connectionString: dbUrl('postgres') });
  await admin2.connect();
  await admin2.query(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
  await admin2.end();
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
