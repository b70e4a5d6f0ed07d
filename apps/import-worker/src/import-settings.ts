import type { RetryPolicy } from '@illbridge/connectors/http-retry';
import type { NacsisDatabase } from '@illbridge/connectors/nacsis/nacsis-mapper';

/** Tunables of the import worker (environment, with defaults for production). */
export class ImportSettings {
  batchSize = Number(process.env.IMPORT_BATCH_SIZE || 500);
  concurrency = Number(process.env.IMPORT_CONCURRENCY || 4);
  /** A Libris window is at most 31 days; after a window that brought more records than this, the next
   *  windows are shortened (down to 1 day) so that about this many records are held at a time. */
  maxWindowRecords = Number(process.env.IMPORT_MAX_WINDOW_RECORDS || 1_000);
  /** A window whose response body passes this many bytes is neither read to its end nor parsed, but asked for
   *  again in half the days (down to 1 day), so the first window of a dense period is not held either. */
  maxWindowBodyBytes = Number(process.env.IMPORT_MAX_WINDOW_BYTES || 4_000_000);
  /** Libris: batches written at a time (each on its own connection) while the next is read and prepared. */
  writeConcurrency = Number(process.env.IMPORT_WRITE_CONCURRENCY || 2);
  refreshConcurrency = Number(process.env.IMPORT_REFRESH_CONCURRENCY || 4);
  /** Libris: calls a second at most, per run (KB may throttle or block a client that overloads its API). */
  librisMaxRequestsPerSecond = Number(process.env.LIBRIS_MAX_REQUESTS_PER_SECOND || 2);
  httpTimeoutMs = Number(process.env.IMPORT_HTTP_TIMEOUT_MS || 10_000);
  retry: Partial<RetryPolicy> = {
    attempts: Number(process.env.IMPORT_HTTP_ATTEMPTS || 4),
    baseDelayMs: Number(process.env.IMPORT_HTTP_BACKOFF_MS || 500),
  };
  /** NACSIS-ILL: ids per OR search when open requests are looked up by ID (small, so that an answer cut short by the
   *  server's page size or a limit on hits is noticed, never taken for "not there"). */
  nacsisLookupIds = Number(process.env.NACSIS_LOOKUP_IDS || 20);
  /** NACSIS-ILL: the names the server knows the four ILL files by (nacsis-catp.md §6.1; COPYA/LOANA are inferred,
   *  not seen in any source), so that a different real name is a setting, not a code change. */
  nacsisDatabaseNames: Record<NacsisDatabase, string> = {
    COPYO: process.env.NACSIS_DB_COPYO || 'COPYO',
    LOANO: process.env.NACSIS_DB_LOANO || 'LOANO',
    COPYA: process.env.NACSIS_DB_COPYA || 'COPYA',
    LOANA: process.env.NACSIS_DB_LOANA || 'LOANA',
  };
  /** BullMQ lock: a worker that died is noticed after this long and its job retried. */
  lockDurationMs = Number(process.env.IMPORT_LOCK_MS || 30_000);
  /** How often the worker looks for runs whose queue job was lost (Redis wiped or restarted empty) and
   *  for a wiped queue store (then the profiles' schedules are rebuilt). 0 = only at start-up. */
  recoveryIntervalMs = Number(process.env.IMPORT_RECOVERY_MS ?? 15_000);
  /** A RUNNING run whose job is gone is taken over only when it has shown no progress for this long
   *  (another worker may still be running it: its job was lost, not its process). */
  staleRunMs = Number(process.env.IMPORT_STALE_RUN_MS || 120_000);

  constructor(overrides: Partial<ImportSettings> = {}) {
    Object.assign(this, overrides);
  }
}
