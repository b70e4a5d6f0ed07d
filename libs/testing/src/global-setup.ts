/* Jest global setup: Postgres and Redis must answer (tests never fake them), and a migrated template
   database is made once; each test file clones it (CREATE DATABASE … TEMPLATE), which takes
   milliseconds. Relative imports only: global setup runs outside Jest's module mapper. */
import { createHash } from 'crypto';
import { Client } from 'pg';
import { runMigrations } from '../../database/src/migrate';
import { MIGRATIONS } from '../../database/src/migrations';
import { adminUrl, baseDatabaseUrl, TEST_DB_PREFIX } from './test-env';

const STALE_AFTER_SECONDS = 3 * 3600;

export default async function globalSetup() {
  const admin = new Client({ connectionString: adminUrl(), connectionTimeoutMillis: 3000 });
  try {
    await admin.connect();
  } catch (error: any) {
    throw new Error(`Tests need Postgres at ${adminUrl()} (${error.message}). Start it: see README "Requirements".`);
  }
  // One template per set of migrations, made once and never dropped while in use: several Jest
  // runs on one machine (two developers' terminals) do not disturb each other.
  const template = `illbridge_tpl_${createHash('sha1').update(MIGRATIONS.map((m) => m.toString()).join(',')).digest('hex').slice(0, 12)}`;
  process.env.ILLBRIDGE_TEST_TEMPLATE = template;
  try {
    await admin.query('SELECT pg_advisory_lock(7264002)');
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [template]);
    if (!exists.rowCount) {
      await runMigrations(baseDatabaseUrl(`${template}_wip`));
      await admin.query(`ALTER DATABASE ${template}_wip RENAME TO ${template}`);
    }
    // Databases of interrupted earlier runs (the name carries its creation time).
    const now = Math.floor(Date.now() / 1000);
    const all = await admin.query(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [`${TEST_DB_PREFIX}%`]);
    for (const { datname } of all.rows) {
      const created = Number(String(datname).slice(TEST_DB_PREFIX.length).split('_')[0]);
      if (Number.isFinite(created) && now - created > STALE_AFTER_SECONDS) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`).catch(() => undefined);
    }
  } finally {
    await admin.query('SELECT pg_advisory_unlock(7264002)').catch(() => undefined);
    await admin.end();
  }
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
