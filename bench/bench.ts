/* npm run bench — measures against the local Postgres, Redis and the simulator, prints a table per part
   and writes it into BENCHMARKS.md with the machine it ran on. Not part of npm test.

   BENCH_ONLY=libris,nacsis,push,list,statistics,sync   the parts to run (default all)
   BENCH_RECORDS (20000)                Libris import and NACSIS sync size
   BENCH_PUSH_ACTIONS (5000)            actions pushed, over BENCH_PUSH_ACTIONS/5 requests
   BENCH_LIST_ROWS (1000000)            requests loaded for the list benchmark
   BENCH_SYNC_REQUESTS (100000)         requests already synced before the timed incremental runs (sync: NACSIS, Libris)
   BENCH_STATISTICS_ROWS (1000000)      requests (with their history) loaded for the statistics benchmark; BENCH_STATISTICS_CALLS (30)
   also BENCH_PUSH_CONCURRENCY (64), BENCH_PUSH_CLIENTS (50), BENCH_PUSH_BATCH (1; N > 1: the clients send POST /api/actions/bulk of N requests), BENCH_LIST_CALLS (30), BENCH_KEEP_LIST_DB=true,
   BENCH_SERVICE_NODE_OPTIONS (passed to the child services as NODE_OPTIONS, e.g. --trace-gc), BENCH_CPU_PROF=true (each service
   writes a V8 CPU profile on exit into test-artifacts/bench/cpu-prof/<service>/: open it in Chrome DevTools),
   BENCH_FROM_SOURCE=true (run the services from source through SWC instead of building dist/ first),
   BENCH_DB_SUFFIX (Libris, push, list: appended to the database name, to keep a run apart from another on the same Postgres)

   The import worker and action-push run as their own processes, compiled (`npm run build` into dist/, as in
   production and Docker), unless BENCH_FROM_SOURCE=true.

   Each part uses its own database (illbridge_bench_<part>, dropped afterwards) and queue prefix
   (bench-<pid>-<part>). In BENCHMARKS.md each part and size has its own section between
   `<!-- bench:begin <part>@<size> -->` markers: a run replaces only the sections it measured, the text
   outside the markers (findings) is kept. */
import { existsSync, readFileSync, writeFileSync } from 'fs';
import { cpus, platform, release, totalmem } from 'os';
import { resolve } from 'path';
import { execFileSync } from 'child_process';
import { envNumber, PartResult, Row, SERVICES_FROM_DIST } from './lib';
import { librisBench } from './libris';
import { listBench } from './list';
import { nacsisBench } from './nacsis';
import { pushBench } from './push';
import { statisticsBench } from './statistics';
import { syncBench } from './sync';

const PARTS = ['libris', 'nacsis', 'push', 'list', 'statistics', 'sync'] as const;
type Part = (typeof PARTS)[number];
const RECORDS = envNumber('BENCH_RECORDS', 20_000);
const PUSH_ACTIONS = envNumber('BENCH_PUSH_ACTIONS', 5_000);
const LIST_ROWS = envNumber('BENCH_LIST_ROWS', 1_000_000);
const STATISTICS_ROWS = envNumber('BENCH_STATISTICS_ROWS', 1_000_000);
const SYNC_REQUESTS = envNumber('BENCH_SYNC_REQUESTS', 100_000);
const FILE = resolve(__dirname, '..', 'BENCHMARKS.md');

const TITLES: Record<Part, (size: number) => string> = {
  libris: (n) => `Libris import, ${n} records`,
  nacsis: (n) => `NACSIS-ILL sync, ${n} records`,
  push: (n) => `Push of ${n} actions to NACSIS-ILL`,
  list: (n) => `Request list with facets, ${n} requests`,
  statistics: (n) => `Statistics, ${n} requests`,
  sync: (n) => `Near-real-time sync (INTERVAL 5 min), ${n} requests synced`,
};
const SIZES: Record<Part, number> = { libris: RECORDS, nacsis: RECORDS, push: PUSH_ACTIONS, list: LIST_ROWS, statistics: STATISTICS_ROWS, sync: SYNC_REQUESTS };
const RUN: Record<Part, (size: number, prefix: string) => Promise<PartResult>> = { libris: librisBench, nacsis: nacsisBench, push: pushBench, list: listBench, statistics: statisticsBench, sync: syncBench };

function selected(): Part[] {
  const only = (process.env.BENCH_ONLY ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = only.filter((p) => !PARTS.includes(p as Part));
  if (unknown.length) throw new Error(`BENCH_ONLY: unknown part(s) ${unknown.join(', ')} (known: ${PARTS.join(', ')})`);
  return only.length ? PARTS.filter((p) => only.includes(p)) : [...PARTS];
}

const table = (rows: Row[]) => ['| measurement | result | target |', '|---|---|---|', ...rows.map((r) => `| ${r.what} | ${r.result} | ${r.target} |`)].join('\n');

const BEGIN = '<!-- bench:sections -->';
const END = '<!-- bench:sections-end -->';
const SKELETON = `# Benchmarks

Measured by \`npm run bench\` (bench/bench.ts; see its header for the parts and sizes). Postgres and Redis local, the
simulator in the bench process, the import worker and action-push as their own processes (compiled, from dist/).

${BEGIN}
${END}
`;

/** Replaces (or adds) the sections of the parts measured now; keeps the others and the text around them. */
function writeSections(measured: Map<string, string>) {
  let text = existsSync(FILE) ? readFileSync(FILE, 'utf8') : SKELETON;
  if (!text.includes(BEGIN) || !text.includes(END)) text = SKELETON + '\n' + text.replace(/^# Benchmarks\n/, '## Earlier notes\n');
  const [head, rest] = text.split(BEGIN);
  const [body, tail] = rest.split(END);
  const sections = new Map<string, string>();
  for (const m of body.matchAll(/<!-- bench:begin (\S+) -->\n([\s\S]*?)<!-- bench:end \1 -->/g)) sections.set(m[1], m[2]);
  for (const [key, value] of measured) sections.set(key, value);
  const order = (key: string) => {
    const [part, size] = key.split('@');
    return PARTS.indexOf(part as Part) * 1e12 + Number(size);
  };
  const rendered = [...sections.keys()]
    .sort((a, b) => order(a) - order(b))
    .map((key) => `<!-- bench:begin ${key} -->\n${sections.get(key)!.trim()}\n<!-- bench:end ${key} -->`)
    .join('\n\n');
  writeFileSync(FILE, `${head}${BEGIN}\n${rendered}\n${END}${tail}`);
}

async function main() {
  const parts = selected();
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, ${platform()} ${release()}, Node ${process.version}`;
  console.log(`ILL Bridge benchmark: ${parts.join(', ')}\nMachine: ${machine}\n`);
  if (SERVICES_FROM_DIST && parts.some((p) => p !== 'list' && p !== 'statistics')) {
    console.log('Building dist/ (npm run build): the services run compiled, as deployed');
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: resolve(__dirname, '..'), stdio: 'inherit' });
  }
  const measured = new Map<string, string>();
  let failed = false;
  for (const part of parts) {
    const size = SIZES[part];
    const started = Date.now();
    console.log(`== ${TITLES[part](size)}`);
    try {
      const result = await RUN[part](size, `bench-${process.pid}-${part}`);
      const section = [
        `### ${TITLES[part](size)}`,
        '',
        `Measured on ${new Date().toISOString().slice(0, 10)} (${((Date.now() - started) / 1000).toFixed(0)} s). Machine: ${machine}.`,
        '',
        table(result.rows),
        ...(result.notes.length ? ['', ...result.notes.map((n) => `- ${n}`)] : []),
      ].join('\n');
      console.log(`${table(result.rows)}\n${result.notes.map((n) => `- ${n}`).join('\n')}\n`);
      measured.set(`${part}@${size}`, section);
      writeSections(measured);
    } catch (error) {
      failed = true;
      console.error(`${part} failed:`, error);
    }
  }
  if (failed) throw new Error('some parts failed (see above); the others were written to BENCHMARKS.md');
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error?.message ?? error);
    process.exit(1);
  },
);
