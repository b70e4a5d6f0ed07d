import { randomBytes } from 'crypto';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '@illbridge/database/data-source';
import { ApiKeyEntity } from '@illbridge/database/entities';
import { createTestDatabase, TestDatabase, testConfig } from '@illbridge/testing';
import { API_KEY_CACHE_SIZE, ApiKeyAuthenticator, newApiKey } from './auth';
import { sha256 } from './crypto';

/** The API-key cache against the real Postgres and Redis (issue 22, item 6). */
describe('ApiKeyAuthenticator (integration)', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  const authenticators: ApiKeyAuthenticator[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    dataSource = await new DataSource(dataSourceOptions(db.url)).initialize();
  });

  afterAll(async () => {
    for (const a of authenticators) a.onModuleDestroy();
    await dataSource?.destroy();
    await db?.drop();
  });

  const authenticator = (config = testConfig(db.url)) => {
    const a = new ApiKeyAuthenticator(dataSource, config);
    a.onModuleInit();
    authenticators.push(a);
    return a;
  };

  it(`holds at most ${API_KEY_CACHE_SIZE} keys however many unknown keys are tried, and still knows a key in use`, async () => {
    const a = authenticator();
    const key = newApiKey();
    await dataSource.getRepository(ApiKeyEntity).insert({ name: 'in use', role: 'viewer', keyHash: sha256(key), keyPrefix: key.slice(0, 8) });
    const tries = API_KEY_CACHE_SIZE + 5_000;
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < tries) {
          const i = next++;
          expect(await a.roleOf(`unknown-${i}-${randomBytes(8).toString('hex')}`)).toBeNull();
          if (i % 1000 === 0) expect(await a.roleOf(key)).toBe('viewer');
        }
      }),
    );
    expect(a.cachedKeys).toBe(API_KEY_CACHE_SIZE);
    expect(await a.roleOf(key)).toBe('viewer');
  }, 120_000);

  it('a revocation on one service reaches another at once (Redis pub/sub), not when its cache expires', async () => {
    const config = testConfig(db.url);
    const [here, there] = [authenticator(config), authenticator(config)];
    const key = newApiKey();
    const [{ id }] = (await dataSource.getRepository(ApiKeyEntity).insert({ name: 'soon revoked', role: 'operator', keyHash: sha256(key), keyPrefix: key.slice(0, 8) })).identifiers;
    await new Promise((r) => setTimeout(r, 200)); // both subscribed
    expect(await there.roleOf(key)).toBe('operator'); // cached there
    expect(await here.revoke(id)).toBe(true);
    const started = Date.now();
    while ((await there.roleOf(key)) !== null) {
      expect(Date.now() - started).toBeLessThan(1000);
      await new Promise((r) => setTimeout(r, 20));
    }
  });
});
