import { DataSource, DataSourceOptions } from 'typeorm';
import { ENTITIES } from './entities';
import { MIGRATIONS } from './migrations';

// A `date` column (rs_request.due_date) is a calendar day, answered as its `YYYY-MM-DD` text, never as a JS Date at
// the server's local midnight (node-postgres' default).
// eslint-disable-next-line @typescript-eslint/no-require-imports
require('pg').types.setTypeParser(1082, (value: string) => value);

/** Postgres connections a process holds at most, unless its service sizes its pool otherwise (action-push: from
 *  PUSH_CONCURRENCY) or DATABASE_POOL_SIZE says. */
export const DEFAULT_POOL_SIZE = 10;

/** One definition of the connection, used by the apps, the migration CLI and the tests.
 *  `synchronize` is never on: migrations are the schema. */
export function dataSourceOptions(databaseUrl: string, extra: Partial<DataSourceOptions> = {}, poolSize = DEFAULT_POOL_SIZE): DataSourceOptions {
  return {
    type: 'postgres',
    url: databaseUrl,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    synchronize: false,
    migrationsRun: false,
    logging: false, // expected failures (unique violations) are handled where they happen; the rest are thrown and logged by the caller
    uuidExtension: 'pgcrypto',
    extra: { max: poolSize, connectionTimeoutMillis: 5000, application_name: 'ill-bridge' },
    ...extra,
  } as DataSourceOptions;
}

export function createDataSource(databaseUrl: string, extra: Partial<DataSourceOptions> = {}): DataSource {
  return new DataSource(dataSourceOptions(databaseUrl, extra));
}
