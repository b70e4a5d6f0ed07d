/* Shared helpers of the benchmark parts: databases, the admin API, processes, percentiles. */
import { readdirSync, readFileSync } from 'fs';
import { resolve } from 'path';
import { Client } from 'pg';
import { runMigrations } from '@illbridge/database/migrate';
import { createProfileConfigApp } from '../apps/profile-config/src/main';
import { freePort, startService, waitForHealth } from '../scripts/lib/services';

export const ADMIN_KEY = 'bench-admin-key-0123456789';
export const SECRETS_KEY = 'bench-secrets-key-0123';
export const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
export const LOG_DIR = resolve(__dirname, '..', 'test-artifacts', 'bench');

export const envNumber = (name: string, fallback: number) => {
  const value = Number(process.env[name]);
  return process.env[name] && Number.isFinite(value) ? value : fallback;
};

/** One line of the result table. */
export interface Row {
  what: string;
  result: string;
  target: string;
}

/** What a part hands back: its table rows and free-text notes (measured evidence). */
export interface PartResult {
  rows: Row[];
  notes: string[];
}

export function dbUrl(name: string) {
  const url = new URL(process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres');
  url.pathname = `/${name}`;
  return url.toString();
}

/** Every part works in its own database (`illbridge_bench_<part>`), dropped and migrated afresh. */
export async function freshDatabase(name: string): Promise<string> {
  await dropDatabase(name);
  await runMigrations(dbUrl(name));
  return dbUrl(name);
}

export async function dropDatabase(name: string): Promise<void> {
  const admin = new Client({ connectionString: dbUrl('postgres') });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
}

/** The config an in-process app of ours gets. */
export function appConfig(databaseUrl: string, queuePrefix: string) {
  return { nodeEnv: 'test', databaseUrl, redisUrl: REDIS_URL, queuePrefix, secretsKey: SECRETS_KEY, bootstrapAdminKey: ADMIN_KEY, logLevel: 'silent', allowPrivateTargets: true };
}

/** The environment of a child service of ours. */
/** The services run as deployed: compiled, from dist/ (bench.ts builds it first). BENCH_FROM_SOURCE=true runs them
 *  from source through SWC instead, as `npm run start:*` does (quicker to start, ~60 MB more resident memory). */
export const SERVICES_FROM_DIST = process.env.BENCH_FROM_SOURCE !== 'true';

export function serviceEnv(databaseUrl: string, queuePrefix: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const nodeOptions = process.env.BENCH_SERVICE_NODE_OPTIONS; // e.g. --trace-gc, --max-old-space-size=128 (investigations)
  return {
    NODE_ENV: 'test', DATABASE_URL: databaseUrl, REDIS_URL, QUEUE_PREFIX: queuePrefix, SECRETS_KEY, BOOTSTRAP_ADMIN_KEY: ADMIN_KEY, LOG_LEVEL: 'warn', ALLOW_PRIVATE_TARGETS: 'true',
    LIBRIS_MAX_REQUESTS_PER_SECOND: '100000', // the throughput runs measure us, not KB's pace (the refresh cost at the default pace is reported apart)
    ...(nodeOptions && { NODE_OPTIONS: nodeOptions }),
    // BENCH_CPU_PROF=true: each service writes a V8 CPU profile on exit (test-artifacts/bench/cpu-prof/<service>/).
    ...(process.env.BENCH_CPU_PROF === 'true' && { ILLBRIDGE_CPU_PROF_DIR: 'test-artifacts/bench/cpu-prof' }),
    ...extra,
  };
}

/** JSON over HTTP with the admin key; throws on anything but 2xx. */
export async function api(base: string, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${ADMIN_KEY}` },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await res.json().catch(() => null);
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(data)}`);
  return data;
}

/** Peak resident memory of a process (VmHWM), in MB. */
export function peakMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

/** Resident memory of a process now (VmRSS), in MB. */
export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

/** CPU seconds (user + system) a process has used so far. */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  // utime and stime are fields 14 and 15 of /proc/<pid>/stat (here 11 and 12 after the comm).
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** CPU seconds all Postgres processes have used so far, including backends that have exited
 *  (counted in their parent's cutime/cstime). */
export function postgresCpuSeconds(): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== 'postgres') continue;
      const fields = readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1].split(' ');
      total += (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / 100;
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

/** CPU seconds each live Postgres backend connected to `database` has used so far (their command line names it), by
 *  pid: what our own statements cost, apart from other databases' (another bench or a test run on the same server). */
export function databaseCpuByBackend(database: string): Map<string, number> {
  const byPid = new Map<string, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== 'postgres') continue;
      if (!readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(` ${database} `)) continue;
      const fields = readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1].split(' ');
      byPid.set(entry, (Number(fields[11]) + Number(fields[12])) / 100);
    } catch {
      // gone meanwhile
    }
  }
  return byPid;
}

/** The CPU seconds `database`'s backends use from now on, sampled every 250 ms so that a backend that exits meanwhile
 *  (a pool closing an idle connection) still counts what it used up to its last sample. */
function databaseCpuMeter(database: string): () => number {
  const first = databaseCpuByBackend(database);
  const last = new Map(first);
  const sample = () => {
    for (const [pid, seconds] of databaseCpuByBackend(database)) last.set(pid, seconds);
  };
  const timer = setInterval(sample, 250);
  timer.unref();
  return () => {
    clearInterval(timer);
    sample();
    let total = 0;
    for (const [pid, seconds] of last) total += seconds - (first.get(pid) ?? 0);
    return total;
  };
}

/** CPU seconds the whole machine has been busy so far (all processes: ours, Postgres, Redis, anyone else's). */
export function machineBusySeconds(): number {
  const [, ...values] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
  const [user, nice, system, , , irq, softirq, steal] = values.map(Number);
  return (user + nice + system + irq + softirq + steal) / 100;
}

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls a job run until it ends; returns it with the wall time since `started`. */
export async function waitForRun(pg: Client, jobRunId: string, started: number, timeoutMs = 30 * 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = (await pg.query('SELECT state, counters, error FROM job_run WHERE id = $1', [jobRunId])).rows[0];
    if (run && !['PENDING', 'RUNNING'].includes(run.state)) return { seconds: (Date.now() - started) / 1000, run };
    if (Date.now() > deadline) throw new Error(`job run ${jobRunId} did not end within ${timeoutMs / 1000}s`);
    await sleep(100);
  }
}

/** Runs `fn` on every item with at most `limit` in flight. */
export async function pool<T>(items: T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        await fn(items[index], index);
      }
    }),
  );
}

export const fmt = (n: number) => Math.round(n).toLocaleString('en-US').replace(/,/g, ' ');

/** CPU used between start and stop by a child process of ours, this process (the simulator and the
 *  HTTP clients), Postgres, and the rest of the machine (Redis, anyone else's jobs). */
export function cpuMeter(childPid: number, database?: string) {
  const ownPg = database ? databaseCpuMeter(database) : () => NaN;
  const t0 = { child: cpuSeconds(childPid), bench: process.cpuUsage(), pg: postgresCpuSeconds(), machine: machineBusySeconds(), wall: Date.now() };
  return () => {
    const bench = process.cpuUsage(t0.bench);
    const child = cpuSeconds(childPid) - t0.child;
    const self = (bench.user + bench.system) / 1e6;
    const pg = postgresCpuSeconds() - t0.pg;
    const machine = machineBusySeconds() - t0.machine;
    const wall = (Date.now() - t0.wall) / 1000;
    return { wall, child, bench: self, pg, pgOwn: ownPg(), other: Math.max(0, machine - child - self - pg), machine };
  };
}

export type CpuUse = ReturnType<ReturnType<typeof cpuMeter>>;

export const describeCpu = (cpu: CpuUse, child: string) =>
  `${cpu.wall.toFixed(1)} s wall, ${(2 * cpu.wall).toFixed(1)} CPU-s available; used: ${child} ${cpu.child.toFixed(1)} s, bench process (simulator, clients) ${cpu.bench.toFixed(1)} s, ` +
  `Postgres ${cpu.pg.toFixed(1)} s, other (Redis, other jobs) ${cpu.other.toFixed(1)} s`;

/** profile-config in-process, the import worker as its own process, and a pg client: what the import
 *  benchmarks share. `timedRun` runs a profile now and answers the ended run, its time and the worker's CPU. */
export async function startImportStack(url: string, prefix: string) {
  const admin = await createProfileConfigApp(appConfig(url, prefix));
  await admin.listen(0, '127.0.0.1');
  const base = (await admin.getUrl()).replace('[::1]', '127.0.0.1');
  const worker = startService('import-worker', serviceEnv(url, prefix), { port: await freePort(), logDir: LOG_DIR, fromDist: SERVICES_FROM_DIST });
  await waitForHealth(worker);
  const pg = new Client({ connectionString: url });
  await pg.connect();
  await sleep(1000);
  // The high-water mark after start-up (the worker runs from source: SWC compiles it at start) and the RSS then.
  const idlePeak = peakMb(worker.process.pid!);
  const idleRss = rssMb(worker.process.pid!);
  return {
    admin,
    base,
    worker,
    pg,
    idlePeak,
    idleRss,
    async timedRun(profileId: string) {
      const meter = cpuMeter(worker.process.pid!, new URL(url).pathname.slice(1));
      const started = Date.now();
      const { jobRunId } = await api(base, 'POST', `/api/integration-profiles/${profileId}/run`);
      const result = await waitForRun(pg, jobRunId, started);
      return { ...result, id: jobRunId as string, cpu: meter() };
    },
    async close() {
      await pg.end();
      await worker.stop();
      await admin.close();
    },
  };
}
