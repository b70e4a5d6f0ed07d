import { ChildProcess, execFileSync, spawn } from 'child_process';
import { mkdtempSync, readFileSync, rmSync } from 'fs';
import { createServer } from 'net';
import { tmpdir } from 'os';
import { join } from 'path';
import Redis from 'ioredis';
import { redisOptions } from './redis';

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

/** `rediss://` URLs: our Redis factory speaks TLS to a real redis-server started with `--tls-port` (a self-signed
 *  certificate for localhost), verifies the server's certificate, and a plain `redis://` URL does not speak TLS. */
describe('rediss:// URLs (a real TLS Redis)', () => {
  let dir: string;
  let server: ChildProcess;
  let port: number;
  let ca: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'illbridge-redis-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
      '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost'], { stdio: 'ignore' });
    ca = readFileSync(join(dir, 'cert.pem'), 'utf8');
    port = await freePort();
    server = spawn('redis-server', ['--port', '0', '--tls-port', String(port), '--tls-cert-file', join(dir, 'cert.pem'), '--tls-key-file', join(dir, 'key.pem'),
      '--tls-auth-clients', 'no', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
    const deadline = Date.now() + 10_000;
    for (;;) {
      const probe = new Redis({ ...redisOptions(`rediss://localhost:${port}`, 'producer'), tls: { ca }, lazyConnect: true, retryStrategy: () => null });
      probe.on('error', () => undefined);
      try {
        await probe.connect();
        await probe.ping();
        break;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((r) => setTimeout(r, 100));
      } finally {
        probe.disconnect();
      }
    }
  });

  afterAll(async () => {
    if (server && server.exitCode === null) {
      const exited = new Promise((done) => server.once('exit', done));
      server.kill('SIGKILL');
      await exited;
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('connects over TLS with a rediss:// URL (the server trusted through the CA Node is given)', async () => {
    const options = redisOptions(`rediss://localhost:${port}/2`, 'worker');
    expect(options.tls).toBeDefined();
    // Node trusts its own CA list plus NODE_EXTRA_CA_CERTS; in this test the self-signed certificate is passed directly.
    const redis = new Redis({ ...options, tls: { ...options.tls, ca } });
    try {
      await redis.set('tls-probe', 'yes');
      expect(await redis.get('tls-probe')).toBe('yes');
      expect(redis.options.db).toBe(2);
    } finally {
      redis.disconnect();
    }
  });

  it('verifies the server certificate: one no CA vouches for is refused', async () => {
    const redis = new Redis({ ...redisOptions(`rediss://localhost:${port}`, 'producer'), lazyConnect: true, retryStrategy: () => null });
    const errors: string[] = [];
    redis.on('error', (error) => errors.push(error.message));
    try {
      await expect(redis.connect()).rejects.toThrow();
      expect(errors.join('; ')).toMatch(/self[- ]signed|certificate/i);
    } finally {
      redis.disconnect();
    }
  });

  it('does not speak TLS with a redis:// URL', async () => {
    const redis = new Redis({ ...redisOptions(`redis://localhost:${port}`, 'producer'), lazyConnect: true, retryStrategy: () => null });
    redis.on('error', () => undefined);
    try {
      await expect(redis.connect().then(() => redis.ping())).rejects.toThrow();
    } finally {
      redis.disconnect();
    }
  });
});
