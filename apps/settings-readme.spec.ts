import { readFileSync } from 'fs';
import { join } from 'path';
import { COMMON_SETTINGS, ConfigError, loadServiceSettings, readSettings, setting } from '@illbridge/common';
import { PUSH_SETTINGS, PushSettings } from './action-push/src/push-settings';
import { IMPORT_SETTINGS, ImportSettings } from './import-worker/src/import-settings';
import { PROFILE_CONFIG_SETTINGS } from './profile-config/src/main';
import { REPORTING_SETTINGS } from './reporting/src/console/console-settings';

const SCHEMAS = { COMMON_SETTINGS, PROFILE_CONFIG_SETTINGS, PUSH_SETTINGS, IMPORT_SETTINGS, REPORTING_SETTINGS };

/** The variable names in the first column of the README's configuration table. */
function readmeSettings(): string[] {
  const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
  const lines = readme.slice(readme.indexOf('## Configuration')).split('\n');
  const first = lines.findIndex((line) => line.startsWith('|'));
  const end = lines.findIndex((line, i) => i > first && !line.startsWith('|'));
  const rows = lines.slice(first + 2, end); // after the header and its |---| line
  return rows.flatMap((row) => [...row.split('|')[1].matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1]));
}

describe('settings', () => {
  it("the README's configuration table lists exactly the settings the services' schemas read", () => {
    const schemaNames = [...new Set(Object.values(SCHEMAS).flatMap((schema) => Object.keys(schema)))].sort();
    const documented = [...new Set(readmeSettings())].sort();
    expect(documented).toEqual(schemaNames);
  });

  it('lists every bad value, naming its variable, in one message', () => {
    let error: unknown;
    try {
      loadServiceSettings(PUSH_SETTINGS, { NODE_ENV: 'test', REDIS_URL: 'nope', PUSH_CONCURRENCY: 'abc', PUSH_LEASE_MS: '-5', PUSH_WORKER: 'maybe', PORT: '70000' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      'REDIS_URL must be a redis:// URL; got "nope"',
      'PORT must be a whole number, from 0 to 65535; got "70000"',
      'PUSH_WORKER must be true or false; got "maybe"',
      'PUSH_CONCURRENCY must be a whole number, at least 1; got "abc"',
      'PUSH_LEASE_MS must be a whole number of milliseconds, at least 1000; got "-5"',
    ]);
  });

  it('takes the defaults when unset or empty, and the values when set', () => {
    expect(readSettings({ A: setting.int(4, { min: 1 }), B: setting.optionalInt({ min: 1 }), C: setting.bool(false) }, { A: '', C: 'true' }).values).toEqual({ A: 4, B: undefined, C: true });
    const push = new PushSettings({}, { PUSH_CONCURRENCY: '3', PUSH_WORKER: 'false' });
    expect([push.concurrency, push.worker, push.leaseMs]).toEqual([3, false, 30_000]);
    const imports = new ImportSettings({}, { IMPORT_HTTP_ATTEMPTS: '2', NACSIS_DB_LOANA: 'LOANX', RETENTION_DAYS: '30' });
    expect([imports.retry, imports.nacsisDatabaseNames.LOANA, imports.retentionDays, new ImportSettings({}, {}).retentionDays]).toEqual([{ attempts: 2, baseDelayMs: 500 }, 'LOANX', 30, undefined]);
    expect(() => new ImportSettings({}, { RETENTION_DAYS: '0', IMPORT_BATCH_SIZE: 'x' })).toThrow(/IMPORT_BATCH_SIZE must be a whole number[\s\S]*RETENTION_DAYS must be a whole number, at least 1; got "0"/);
  });
});
