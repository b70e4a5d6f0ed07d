import { randomBytes } from 'crypto';
import { Client } from 'pg';
import type { AppConfig } from '../../common/src/config';

/** Test databases are named `illbridge_t_<epoch seconds>_<random>`, so stale ones can be told apart. */
export const TEST_DB_PREFIX = 'illbridge_t_';
export const TEST_ADMIN_KEY = 'test-admin-key-0123456789abcdef';

export function baseDatabaseUrl(name: string): string {
  const url = new URL(process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres');
  url.pathname = `/${name}`;
  return url.toString();
}
export const adminUrl = () => baseDatabaseUrl('postgres');

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** A fresh, migrated database for one test file (a clone of the template). */
export async function createTestDatabase(): Promise<TestDatabase> {
  const template = process.env.ILLBRIDGE_TEST_TEMPLATE;
  if (!template) throw new Error('ILLBRIDGE_TEST_TEMPLATE is not set: run the tests through Jest (its global setup makes the template)');
  const name = `${TEST_DB_PREFIX}${Math.floor(Date.now() / 1000)}_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: adminUrl() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
  } finally {
    await admin.end();
  }
  return {
    name,
    url: baseDatabaseUrl(name),
    async drop() {
      const c = new Client({ connectionString: adminUrl() });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

/** Configuration for apps under test: own database, own queue prefix, a known admin key. */
export function testConfig(databaseUrl: string, overrides: Partial<AppConfig> = {}): AppConfig {
  return {
    nodeEnv: 'test',
    databaseUrl,
    redisUrl: process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379',
    queuePrefix: `ilbt-${randomBytes(4).toString('hex')}`,
    secretsKey: 'test-secrets-key-0123456789',
    bootstrapAdminKey: TEST_ADMIN_KEY,
    logLevel: process.env.TEST_LOG_LEVEL || 'silent',
    // The simulator and every test server listen on 127.0.0.1.
    allowPrivateTargets: true,
    ...overrides,
  };
}

/** Removes every key of a test's queue prefix. */
export async function wipeQueuePrefix(redisUrl: string, prefix: string): Promise<void> {
  const Redis = require('ioredis');
  const redis = new Redis(redisUrl);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** The environment of a service started as a child process with a test's configuration (plus `extra`). */
export function serviceEnv(config: AppConfig, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    NODE_ENV: 'test',
    DATABASE_URL: config.databaseUrl,
    REDIS_URL: config.redisUrl,
    QUEUE_PREFIX: config.queuePrefix,
    SECRETS_KEY: config.secretsKey,
    BOOTSTRAP_ADMIN_KEY: config.bootstrapAdminKey ?? TEST_ADMIN_KEY,
    LOG_LEVEL: 'info',
    // Libris calls are paced (default 2 a second, for KB's sake); the simulator needs no such care.
    LIBRIS_MAX_REQUESTS_PER_SECOND: '1000',
    ALLOW_PRIVATE_TARGETS: String(config.allowPrivateTargets ?? true),
    ...extra,
  };
}
