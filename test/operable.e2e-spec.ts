import { resolve } from 'path';
import { createTestDatabase, serviceEnv, TestDatabase, testConfig, wipeQueuePrefix } from '@illbridge/testing';
import { freePort, RunningService, startService, waitForHealth } from '../scripts/lib/services';

/** Operable services, as an operator sees them: a bad setting stops a service with a message naming it;
 *  liveness answers without asking Postgres or Redis, readiness says which of them is down. */
describe('operable services (end to end)', () => {
  const logDir = resolve(__dirname, '..', 'test-artifacts', 'operable');
  let db: TestDatabase;
  const config = () => testConfig(db.url);
  const started: RunningService[] = [];
  const prefixes: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
  });

  afterAll(async () => {
    for (const service of started) await service.stop();
    for (const prefix of prefixes) await wipeQueuePrefix(config().redisUrl, prefix);
    await db?.drop();
  });

  const start = async (name: Parameters<typeof startService>[0], extra: Record<string, string>) => {
    const c = config();
    prefixes.push(c.queuePrefix);
    const service = startService(name, serviceEnv(c, extra), { port: await freePort(), logDir });
    started.push(service);
    return service;
  };

  it('PUSH_CONCURRENCY=abc stops action-push with a message naming it (and every other bad value)', async () => {
    const service = await start('action-push', { PUSH_CONCURRENCY: 'abc', PUSH_SWEEP_MS: '-1', REDIS_URL: 'http://127.0.0.1:6379' });
    let stderr = '';
    service.process.stderr!.on('data', (chunk) => (stderr += chunk));
    const code = await new Promise<number | null>((done) => service.process.once('exit', (exitCode) => done(exitCode)));
    expect(code).toBe(1);
    expect(stderr).toContain('Invalid configuration');
    expect(stderr).toContain('PUSH_CONCURRENCY must be a whole number, at least 1; got "abc"');
    expect(stderr).toContain('PUSH_SWEEP_MS must be a whole number of milliseconds, at least 0; got "-1"');
    expect(stderr).toContain('REDIS_URL must be a redis:// URL; got "http://127.0.0.1:6379"');
  });

  it('/health/live answers while Redis is unreachable; /health/ready answers 503 naming Redis', async () => {
    const closed = await freePort(); // nothing listens there
    const service = await start('profile-config', { REDIS_URL: `redis://127.0.0.1:${closed}` });
    await waitForHealth(service, '/health/live');
    const live = await fetch(`${service.url}/health/live`);
    expect(live.status).toBe(200);
    expect(await live.json()).toMatchObject({ status: 'ok' });
    const ready = await fetch(`${service.url}/health/ready`);
    expect(ready.status).toBe(503);
    const body: any = await ready.json();
    expect(body.details.redis.status).toBe('down');
    expect(body.details.database.status).toBe('up');
    expect((await fetch(`${service.url}/health`)).status).toBe(503); // /health as before: the same checks
  });

  it('/health/ready answers 200 when Postgres and Redis are reachable', async () => {
    const service = await start('profile-config', {});
    await waitForHealth(service, '/health/ready');
    const ready = await fetch(`${service.url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as any).details).toMatchObject({ database: { status: 'up' }, redis: { status: 'up' } });
  });
});
