import { OnWorkerEvent, WorkerHost } from '@nestjs/bullmq';
import { Injectable, Logger, Type } from '@nestjs/common';
import { Job, UnrecoverableError } from 'bullmq';
import { configuredProcessor, ImportJobData, QUEUE } from '@illbridge/queues';
import { ImportRunner, JobOutcome } from './import-runner';
import { ImportSettings } from './import-settings';

/** Consumes import jobs. Errors are thrown, never swallowed: an unexpected one (the database down) is retried by
 *  BullMQ with backoff, and the retry resumes the same run. A run that ended FAILED (authentication refused, a
 *  mapping missing, a bad profile, the source unreachable after its retries) fails its job for good
 *  (`UnrecoverableError`), so the queue dashboard shows it failed, with the reason. */
@Injectable()
export class ImportProcessor extends WorkerHost {
  private readonly logger = new Logger(ImportProcessor.name);

  constructor(private readonly runner: ImportRunner) {
    super();
  }

  async process(job: Job<ImportJobData>): Promise<JobOutcome> {
    const outcome = await this.runner.execute(job);
    if (outcome.state === 'FAILED') throw new UnrecoverableError(`Run ${outcome.jobRunId} failed: ${outcome.error ? `${outcome.error.code}: ${outcome.error.message}` : 'see its report'}`);
    return outcome;
  }

  /** The worker's own errors (Redis gone, a job's keys wiped under it): logged, not printed raw. */
  @OnWorkerEvent('error')
  onError(error: Error) {
    this.logger.warn(`Queue worker: ${error.message}`);
  }

  @OnWorkerEvent('failed')
  async onFailed(job: Job<ImportJobData> | undefined, error: Error) {
    if (!job) return;
    if (error instanceof UnrecoverableError || error.name === 'UnrecoverableError') {
      this.logger.warn(`Import job ${job.id} failed for good: ${error.message}`);
      return; // its run has ended FAILED already
    }
    const final = job.attemptsMade >= (job.opts.attempts ?? 1);
    this.logger.error(`Import job ${job.id} failed (attempt ${job.attemptsMade}${final ? ', final' : ', will retry'}): ${error.message}`);
    if (final) await this.runner.giveUp(job, error).catch((e) => this.logger.error(`Could not mark the run failed: ${e.message}`));
  }
}

/** The processor with the settings' concurrency and lock (a worker that died is noticed after the lock ran out). */
export function configuredImportProcessor(redisUrl: string, settings: ImportSettings): Type<ImportProcessor> {
  return configuredProcessor(ImportProcessor, QUEUE.IMPORT, redisUrl, {
    concurrency: settings.concurrency,
    lockDuration: settings.lockDurationMs,
    stalledInterval: settings.lockDurationMs,
    maxStalledCount: 3,
  });
}
