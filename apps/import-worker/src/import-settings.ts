import type { RetryPolicy } from '@illbridge/connectors/http-retry';

/** Tunables of the import worker (environment, with defaults for production). */
export class ImportSettings {
  batchSize = Number(process.env.IMPORT_BATCH_SIZE || 500);
  concurrency = Number(process.env.IMPORT_CONCURRENCY || 4);
  refreshConcurrency = Number(process.env.IMPORT_REFRESH_CONCURRENCY || 4);
  httpTimeoutMs = Number(process.env.IMPORT_HTTP_TIMEOUT_MS || 10_000);
  retry: Partial<RetryPolicy> = {
    attempts: Number(process.env.IMPORT_HTTP_ATTEMPTS || 4),
    baseDelayMs: Number(process.env.IMPORT_HTTP_BACKOFF_MS || 500),
  };
  /** BullMQ lock: a worker that died is noticed after this long and its job retried. */
  lockDurationMs = Number(process.env.IMPORT_LOCK_MS || 30_000);

  constructor(overrides: Partial<ImportSettings> = {}) {
    Object.assign(this, overrides);
  }
}
