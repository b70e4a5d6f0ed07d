import { INestApplication } from '@nestjs/common';
import { randomBytes } from 'crypto';
import { DataSource } from 'typeorm';
import { createTestDatabase, TestDatabase, testConfig, wipeQueuePrefix } from '@illbridge/testing';
import { createActionPushApp } from '../apps/action-push/src/main';
import { PushSettings } from '../apps/action-push/src/push-settings';
import { createReportingApp } from '../apps/reporting/src/main';

/** The largest number of Postgres connections the app's pool opens (node-postgres `Pool` options, as TypeORM made it). */
const poolMaxOf = (app: INestApplication): number => (app.get(DataSource).driver as unknown as { master: { options: { max: number } } }).master.options.max;

/** How many Postgres connections a service may hold: action-push sizes its pool from PUSH_CONCURRENCY (64 drains and the
 *  API queued for 10 connections), the others keep 10, and DATABASE_POOL_SIZE overrides both. */
describe('Postgres pool size of the services', () => {
  const prefix = `ilbt-pool-${randomBytes(4).toString('hex')}`;
  let db: TestDatabase;
  const apps: INestApplication[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
  });

  afterAll(async () => {
    for (const app of apps.reverse()) await app.close();
    await wipeQueuePrefix(testConfig(db.url).redisUrl, prefix);
    await db?.drop();
  });

  const start = async <T extends INestApplication>(made: Promise<T>): Promise<T> => {
    const app = await made;
    apps.push(app);
    await app.init();
    return app;
  };

  it('sizes action-push from its concurrency, keeps 10 elsewhere, and takes DATABASE_POOL_SIZE over both', async () => {
    const config = testConfig(db.url, { queuePrefix: prefix });
    const worker = { worker: true, sweepIntervalMs: 0 };
    expect(poolMaxOf(await start(createActionPushApp(config, new PushSettings({ ...worker, concurrency: 8 }))))).toBe(10);
    expect(poolMaxOf(await start(createActionPushApp(config, new PushSettings({ ...worker, concurrency: 64 }))))).toBe(24);
    expect(poolMaxOf(await start(createReportingApp(config)))).toBe(10);
    const sized = testConfig(db.url, { queuePrefix: prefix, databasePoolSize: 5 });
    expect(poolMaxOf(await start(createActionPushApp(sized, new PushSettings({ ...worker, concurrency: 64 }))))).toBe(5);
    expect(poolMaxOf(await start(createReportingApp(sized)))).toBe(5);
  });
});
