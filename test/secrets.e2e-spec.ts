import { readFileSync } from 'fs';
import { Client } from 'pg';
import { resolve } from 'path';
import { createTestDatabase, jsonClient, TEST_ADMIN_KEY, TestDatabase, testConfig, wipeQueuePrefix } from '@illbridge/testing';
import { freePort, RunningService, startService, waitForHealth } from '../scripts/lib/services';

/** External credentials never appear in a response, a log line (even at trace level) or a database column. */
describe('secrets stay secret (end to end)', () => {
  const SECRETS = { libris: 'libris-key-9f8e7d6c5b4a', nacsis: 'nacsis-password-1a2b3c4d', netpunkt: 'netpunkt-password-5e6f7a8b' };
  let db: TestDatabase;
  let service: RunningService;
  const config = () => testConfig(db.url);
  let prefix: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    const c = config();
    prefix = c.queuePrefix;
    service = startService(
      'profile-config',
      { NODE_ENV: 'test', DATABASE_URL: db.url, REDIS_URL: c.redisUrl, QUEUE_PREFIX: prefix, SECRETS_KEY: c.secretsKey, BOOTSTRAP_ADMIN_KEY: TEST_ADMIN_KEY, LOG_LEVEL: 'trace', ALLOW_PRIVATE_TARGETS: 'true' },
      { port: await freePort(), logDir: resolve(__dirname, '..', 'test-artifacts', 'secrets') },
    );
    await waitForHealth(service);
  });

  afterAll(async () => {
    await service?.stop();
    await wipeQueuePrefix('redis://127.0.0.1:6379', prefix);
    await db?.drop();
  });

  it('keeps every credential out of answers, logs and columns', async () => {
    const api = jsonClient(service.url, TEST_ADMIN_KEY);
    await api('POST', '/api/libraries', { code: 'MAIN', name: 'Main', resourceSharing: true });
    const common = { integrationType: 'RESOURCE_SHARING', resourceSharingLibraryCode: 'MAIN', harvestStartDate: '2026-01-01', schedule: { type: 'NOT_SCHEDULED' } };
    const answers = [
      await api('POST', '/api/integration-profiles', { ...common, code: 'L', name: 'L', system: 'LIBRIS', baseUrl: 'http://127.0.0.1:9/x', libraryCode: 'Hig', authentication: { enabled: true, apiKey: SECRETS.libris } }),
      await api('POST', '/api/integration-profiles', { ...common, code: 'N', name: 'N', system: 'NACSIS', baseUrl: 'http://127.0.0.1:9/catp', libraryCode: 'FA012345', authentication: { enabled: true, userId: 'u1', password: SECRETS.nacsis } }),
      await api('POST', '/api/integration-profiles', { code: 'D', name: 'D', integrationType: 'RESOURCE_SHARING', system: 'NETPUNKT', libraryCode: 'DK-820010', resourceSharingLibraryCode: 'MAIN', authentication: { enabled: true, password: SECRETS.netpunkt } }),
    ];
    for (const answer of answers) expect(answer.status).toBe(201);
    // a refused PATCH that carries a secret must not echo it either
    const refused = await api('PATCH', `/api/integration-profiles/${answers[0].body.id}`, { authentication: { apiKey: SECRETS.libris }, bogus: 1 });
    expect(refused.status).toBe(400);
    const listed = await api('GET', '/api/integration-profiles');
    const everything = JSON.stringify([answers.map((a) => a.body), refused.body, listed.body]);
    const pg = new Client({ connectionString: db.url });
    await pg.connect();
    const dump = (await pg.query(`SELECT row_to_json(p)::text AS row FROM integration_profile p`)).rows.map((r) => r.row).join('\n');
    await pg.end();
    await service.stop();
    const log = readFileSync(service.logFile, 'utf8');
    expect(log).toContain('integration-profiles'); // the requests were logged…
    for (const secret of Object.values(SECRETS)) {
      expect(everything).not.toContain(secret); // …but no secret in any answer,
      expect(log).not.toContain(secret); // log line,
      expect(dump).not.toContain(secret); // or column
    }
  });
});
