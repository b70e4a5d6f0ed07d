import { portSetting, setting, settingsOrThrow } from '@illbridge/common';
import type { RetryPolicy } from '@illbridge/connectors/http-retry';
import type { NacsisDatabase } from '@illbridge/connectors/nacsis/nacsis-mapper';

/** Every setting the import worker reads besides the common ones (validated at start-up with them: main.ts). */
export const IMPORT_SETTINGS = {
  PORT: portSetting(3004),
  IMPORT_BATCH_SIZE: setting.int(500, { min: 1 }),
  IMPORT_CONCURRENCY: setting.int(4, { min: 1 }),
  IMPORT_MAX_WINDOW_RECORDS: setting.int(1_000, { min: 1 }),
  IMPORT_MAX_WINDOW_BYTES: setting.int(4_000_000, { min: 1024 }),
  IMPORT_WRITE_CONCURRENCY: setting.int(2, { min: 1 }),
  IMPORT_REFRESH_CONCURRENCY: setting.int(4, { min: 1 }),
  LIBRIS_MAX_REQUESTS_PER_SECOND: setting.int(2, { min: 1 }),
  LIBRIS_REFRESH_PER_RUN: setting.int(500, { min: 1 }),
  IMPORT_HTTP_TIMEOUT_MS: setting.ms(10_000, 1),
  IMPORT_HTTP_ATTEMPTS: setting.int(4, { min: 1 }),
  IMPORT_HTTP_BACKOFF_MS: setting.ms(500),
  NACSIS_LOOKUP_IDS: setting.int(20, { min: 1 }),
  NACSIS_MOVED_ON_PER_RUN: setting.int(1_000, { min: 1 }),
  NACSIS_DB_COPYO: setting.text('COPYO', /^[A-Za-z0-9_]+$/, 'letters, digits and _ only'),
  NACSIS_DB_LOANO: setting.text('LOANO', /^[A-Za-z0-9_]+$/, 'letters, digits and _ only'),
  NACSIS_DB_COPYA: setting.text('COPYA', /^[A-Za-z0-9_]+$/, 'letters, digits and _ only'),
  NACSIS_DB_LOANA: setting.text('LOANA', /^[A-Za-z0-9_]+$/, 'letters, digits and _ only'),
  IMPORT_LOCK_MS: setting.ms(30_000, 1000),
  IMPORT_RECOVERY_MS: setting.ms(15_000),
  IMPORT_STALE_RUN_MS: setting.ms(120_000, 1),
  /** Read by main.ts before the app is made (V8 flags). */
  IMPORT_HEAP_GROWING_PERCENT: setting.int(30, { min: 0, max: 1000 }),
  IMPORT_V8_FLAGS: setting.optionalText(),
  /** Personal data retention: unset keeps everything; else closed requests lose their requester name, patron id
   *  and raw record this many days after they closed (a daily job). */
  RETENTION_DAYS: setting.optionalInt({ min: 1 }),
};

/** Tunables of the import worker (IMPORT_SETTINGS from the environment). Tests pass overrides. */
export class ImportSettings {
  batchSize: number;
  concurrency: number;
  /** A Libris window is at most 31 days; after a window that brought more records than this, the next
   *  windows are shortened (down to 1 day) so that about this many records are held at a time. */
  maxWindowRecords: number;
  /** A window whose response body passes this many bytes is neither read to its end nor parsed, but asked for
   *  again in half the days (down to 1 day), so the first window of a dense period is not held either. */
  maxWindowBodyBytes: number;
  /** Libris: batches written at a time (each on its own connection) while the next is read and prepared. */
  writeConcurrency: number;
  refreshConcurrency: number;
  /** Libris: at most this many open requests are refreshed by LF number per run, least recently refreshed first
   *  (500 at the default 2 a second: 250 s, within a 5-minute interval): every open request within ⌈open ÷ this⌉ runs. */
  refreshPerRun: number;
  /** NACSIS: at most this many open lending requests the harvest did not bring are looked up by ID per run (to find
   *  those moved on from us), least recently looked up first: all within ⌈open lending ÷ this⌉ runs. */
  nacsisMovedOnPerRun: number;
  /** Libris: calls a second at most, per run (KB may throttle or block a client that overloads its API). */
  librisMaxRequestsPerSecond: number;
  httpTimeoutMs: number;
  retry: Partial<RetryPolicy>;
  /** NACSIS-ILL: ids per OR search when open requests are looked up by ID (small, so that an answer cut short by the
   *  server's page size or a limit on hits is noticed, never taken for "not there"). */
  nacsisLookupIds: number;
  /** NACSIS-ILL: the names the server knows the four ILL files by (nacsis-catp.md §6.1; COPYA/LOANA are inferred,
   *  not seen in any source), so that a different real name is a setting, not a code change. */
  nacsisDatabaseNames: Record<NacsisDatabase, string>;
  /** BullMQ lock: a worker that died is noticed after this long and its job retried. */
  lockDurationMs: number;
  /** How often the worker looks for runs whose queue job was lost (Redis wiped or restarted empty) and
   *  for a wiped queue store (then the profiles' schedules are rebuilt). 0 = only at start-up. */
  recoveryIntervalMs: number;
  /** A RUNNING run whose job is gone is taken over only when it has shown no progress for this long
   *  (another worker may still be running it: its job was lost, not its process). */
  staleRunMs: number;
  /** RETENTION_DAYS: undefined keeps personal data. */
  retentionDays: number | undefined;

  constructor(overrides: Partial<ImportSettings> = {}, env: NodeJS.ProcessEnv = process.env) {
    const s = settingsOrThrow(IMPORT_SETTINGS, env);
    this.batchSize = s.IMPORT_BATCH_SIZE;
    this.concurrency = s.IMPORT_CONCURRENCY;
    this.maxWindowRecords = s.IMPORT_MAX_WINDOW_RECORDS;
    this.maxWindowBodyBytes = s.IMPORT_MAX_WINDOW_BYTES;
    this.writeConcurrency = s.IMPORT_WRITE_CONCURRENCY;
    this.refreshConcurrency = s.IMPORT_REFRESH_CONCURRENCY;
    this.refreshPerRun = s.LIBRIS_REFRESH_PER_RUN;
    this.nacsisMovedOnPerRun = s.NACSIS_MOVED_ON_PER_RUN;
    this.librisMaxRequestsPerSecond = s.LIBRIS_MAX_REQUESTS_PER_SECOND;
    this.httpTimeoutMs = s.IMPORT_HTTP_TIMEOUT_MS;
    this.retry = { attempts: s.IMPORT_HTTP_ATTEMPTS, baseDelayMs: s.IMPORT_HTTP_BACKOFF_MS };
    this.nacsisLookupIds = s.NACSIS_LOOKUP_IDS;
    this.nacsisDatabaseNames = { COPYO: s.NACSIS_DB_COPYO, LOANO: s.NACSIS_DB_LOANO, COPYA: s.NACSIS_DB_COPYA, LOANA: s.NACSIS_DB_LOANA };
    this.lockDurationMs = s.IMPORT_LOCK_MS;
    this.recoveryIntervalMs = s.IMPORT_RECOVERY_MS;
    this.staleRunMs = s.IMPORT_STALE_RUN_MS;
    this.retentionDays = s.RETENTION_DAYS;
    Object.assign(this, overrides);
  }
}
