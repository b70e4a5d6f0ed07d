import { ChildProcess, spawn } from 'child_process';
import { createWriteStream, mkdirSync } from 'fs';
import { join, resolve } from 'path';

const ROOT = resolve(__dirname, '..', '..');

/** The product's processes and where they listen (api.md "Running"). */
export const SERVICES = {
  'profile-config': { entry: 'apps/profile-config/src/main.ts', port: 3001 },
  'action-push': { entry: 'apps/action-push/src/main.ts', port: 3002 },
  reporting: { entry: 'apps/reporting/src/main.ts', port: 3003 },
  'import-worker': { entry: 'apps/import-worker/src/main.ts', port: 3004 },
  'ill-simulator': { entry: 'apps/ill-simulator/src/main.ts', port: 4010 },
} as const;
export type ServiceName = keyof typeof SERVICES;

export interface RunningService {
  name: ServiceName;
  url: string;
  process: ChildProcess;
  logFile: string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts one service as a child process: from source (SWC, as `npm run start:*`), or with `fromDist` compiled,
 *  from `dist/` (as in production and Docker: `npm run build` first). Its JSON log goes to `logDir/<name>.log`. */
export function startService(name: ServiceName, env: NodeJS.ProcessEnv, options: { port?: number; logDir: string; fromDist?: boolean }): RunningService {
  const port = options.port ?? SERVICES[name].port;
  mkdirSync(options.logDir, { recursive: true });
  const logFile = join(options.logDir, `${name}.log`);
  const log = createWriteStream(logFile, { flags: 'a' });
  const entry = options.fromDist
    ? [join(ROOT, 'scripts', 'dist-run.js'), SERVICES[name].entry.replace(/\.ts$/, '.js')]
    : [join(ROOT, 'scripts', 'run.js'), SERVICES[name].entry];
  // ILLBRIDGE_CPU_PROF_DIR (investigations, e.g. the bench's BENCH_CPU_PROF): a V8 CPU profile of the service, written
  // when it exits, in <dir>/<name>/ (Node 20 refuses --cpu-prof in NODE_OPTIONS, so it goes on the command line).
  const profDir = env.ILLBRIDGE_CPU_PROF_DIR;
  const profile = profDir ? ['--cpu-prof', `--cpu-prof-dir=${join(resolve(profDir), name)}`] : [];
  const child = spawn(process.execPath, [...profile, ...entry], {
    cwd: ROOT,
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  return {
    name,
    url: `http://127.0.0.1:${port}`,
    process: child,
    logFile,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Waits until `url` answers 200, or fails with the service's exit or a timeout. */
export async function waitForHealth(service: RunningService, path = '/health', timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (service.process.exitCode !== null) throw new Error(`${service.name} exited with code ${service.process.exitCode}; see ${service.logFile}`);
    try {
      const res = await fetch(`${service.url}${path}`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${service.name} did not become healthy within ${timeoutMs / 1000}s; see ${service.logFile}`);
}

/** A TCP port that was free a moment ago (for child processes that must be reached by URL). */
export async function freePort(): Promise<number> {
  const { createServer } = await import('net');
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as import('net').AddressInfo;
      server.close(() => resolvePort(port));
    });
  });
}
