/* Jest global setup: Postgres and Redis must answer (tests never fake them), and a migrated template
   database is made once; each test file clones it (CREATE DATABASE … TEMPLATE), which takes
   milliseconds. Relative imports only: global setup runs outside Jest's module mapper. */
import { Client } from 'pg';
import { runMigrations } from '../../database/src/migrate';
import { TEMPLATE_DB, adminUrl, baseDatabaseUrl } from './test-env';

export default async function globalSetup() {
  const admin = new Client({ connectionString: adminUrl(), connectionTimeoutMillis: 3000 });
  try {
    await admin.connect();
  } catch (error: any) {
    throw new Error(`Tests need Postgres at ${adminUrl()} (${error.message}). Start it: see README "Requirements".`);
  }
  try {
    await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [TEMPLATE_DB]);
    await admin.query(`DROP DATABASE IF EXISTS ${TEMPLATE_DB}`);
    // Leftovers of interrupted earlier runs.
    const stale = await admin.query(`SELECT datname FROM pg_database WHERE datname LIKE 'illbridge_t\\_%' ESCAPE '\\'`);
    for (const { datname } of stale.rows) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`).catch(() => undefined);
  } finally {
    await admin.end();
  }
  await runMigrations(baseDatabaseUrl(TEMPLATE_DB));
  const Redis = require('ioredis');
  const redis = new Redis(process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379', { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error: any) {
    throw new Error(`Tests need Redis (${error.message}). Start it: see README "Requirements".`);
  } finally {
    redis.disconnect();
  }
}
