import { ChildProcess, execFile, spawn } from 'child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { promisify } from 'util';
import { runMigrations } from '@illbridge/database/migrate';
import type { TestDatabase } from '@illbridge/testing';
import { freePort } from '../../scripts/lib/services';

/** Private Postgres and Redis servers for the fault tests: a test that restarts or wipes its own server
 *  disturbs no other test file running beside it. They are the real programs (initdb/pg_ctl of the local
 *  Postgres installation, redis-server), started on free ports in a temporary directory. */

const run = promisify(execFile);

/** The directory of initdb/pg_ctl: PG_BINDIR, else Debian's /usr/lib/postgresql/<newest>/bin, else `pg_config --bindir`. */
async function postgresBinDir(): Promise<string> {
  if (process.env.PG_BINDIR) return process.env.PG_BINDIR;
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    const versions = readdirSync(debian).filter((v) => existsSync(join(debian, v, 'bin', 'pg_ctl'))).sort((a, b) => Number(b) - Number(a));
    if (versions.length) return join(debian, versions[0], 'bin');
  }
  const { stdout } = await run('pg_config', ['--bindir']).catch(() => {
    throw new Error('The fault tests need a local Postgres installation (initdb, pg_ctl): set PG_BINDIR or put pg_config on the PATH');
  });
  return stdout.trim();
}

/** Postgres refuses to run as root: there, its commands run as the `postgres` user. */
async function asPostgresUser(): Promise<{ wrap: (cmd: string, args: string[]) => [string, string[]]; uid?: number; gid?: number }> {
  if (process.getuid?.() !== 0) return { wrap: (cmd, args) => [cmd, args] };
  const uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
  const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
  return { wrap: (cmd, args) => ['runuser', ['-u', 'postgres', '--', cmd, ...args]], uid, gid };
}

export interface PrivatePostgres {
  port: number;
  /** A connection URL for database `name` on this server. */
  url(name: string): string;
  /** Stops the server: `immediate` is a crash (no shutdown checkpoint, recovery at the next start),
   *  `fast` disconnects every client and shuts down cleanly. */
  stop(mode?: 'immediate' | 'fast'): Promise<void>;
  start(): Promise<void>;
  /** Stopped and started again. */
  restart(mode?: 'immediate' | 'fast'): Promise<void>;
  /** Stops the server and removes its files. */
  destroy(): Promise<void>;
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = await postgresBinDir();
  const user = await asPostgresUser();
  const dir = mkdtempSync(join(tmpdir(), 'illbridge-pg-'));
  if (user.uid !== undefined) chownSync(dir, user.uid, user.gid!);
  const data = join(dir, 'data');
  const port = await freePort();
  const pg = (cmd: string, args: string[]) => {
    const [file, argv] = user.wrap(join(bin, cmd), args);
    return run(file, argv, { cwd: dir, maxBuffer: 8 * 1024 * 1024 });
  };
  await pg('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync']);
  const options = `-p ${port} -c listen_addresses=127.0.0.1 -k ${dir} -c fsync=off -c max_connections=200`;
  const start = async () => {
    await pg('pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'server.log'), '-w', '-t', '60', 'start']);
  };
  const stop = async (mode: 'immediate' | 'fast' = 'fast') => {
    await pg('pg_ctl', ['-D', data, '-m', mode, '-w', '-t', '60', 'stop']);
  };
  await start();
  let destroyed = false;
  return {
    port,
    url: (name) => `postgres://postgres@127.0.0.1:${port}/${name}`,
    stop,
    start,
    async restart(mode = 'fast') {
      await stop(mode);
      await start();
    },
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      await stop('immediate').catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface PrivateRedis {
  port: number;
  url: string;
  /** Killed (SIGKILL): every key is gone, since this server keeps nothing on disk. */
  kill(): Promise<void>;
  start(): Promise<void>;
  /** Killed and started again, empty. */
  restartWiped(): Promise<void>;
  destroy(): Promise<void>;
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'illbridge-redis-'));
  let child: ChildProcess | undefined;
  const ping = async () => {
    const Redis = require('ioredis');
    const redis = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    try {
      await redis.connect();
      return (await redis.ping()) === 'PONG';
    } catch {
      return false;
    } finally {
      redis.disconnect();
    }
  };
  const start = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode} (port ${port})`);
      if (await ping()) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`redis-server on port ${port} did not answer within 15 s`);
  };
  const kill = async () => {
    const current = child;
    if (!current || current.exitCode !== null || current.signalCode !== null) return;
    const exited = new Promise<void>((done) => current.once('exit', () => done()));
    current.kill('SIGKILL');
    await exited;
  };
  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill,
    start,
    async restartWiped() {
      await kill();
      await start();
    },
    async destroy() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A database on a private server with every migration applied (the shape `createTestDatabase` gives). */
export async function migratedDatabase(server: PrivatePostgres, name = 'illbridge'): Promise<TestDatabase> {
  const url = server.url(name);
  await runMigrations(url);
  return {
    name,
    url,
    async drop() {
      // The server and its files go with PrivatePostgres.destroy().
    },
  };
}
