import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger } from '@nestjs/common';
import { Job } from 'bullmq';
import { ImportJobData, QUEUE } from '@illbridge/queues';
import { ImportRunner } from './import-runner';

/** Consumes import jobs. Errors are thrown, never swallowed: BullMQ retries with backoff. */
@Processor(QUEUE.IMPORT, {
  concurrency: Number(process.env.IMPORT_CONCURRENCY || 4),
  lockDuration: Number(process.env.IMPORT_LOCK_MS || 30_000),
  stalledInterval: Number(process.env.IMPORT_LOCK_MS || 30_000),
  maxStalledCount: 3,
})
export class ImportProcessor extends WorkerHost {
  private readonly logger = new Logger(ImportProcessor.name);

  constructor(private readonly runner: ImportRunner) {
    super();
  }

  process(job: Job<ImportJobData>) {
    return this.runner.execute(job);
  }

  /** The worker's own errors (Redis gone, a job's keys wiped under it): logged, not printed raw. */
  @OnWorkerEvent('error')
  onError(error: Error) {
    this.logger.warn(`Queue worker: ${error.message}`);
  }

  @OnWorkerEvent('failed')
  async onFailed(job: Job<ImportJobData> | undefined, error: Error) {
    if (!job) return;
    const final = job.attemptsMade >= (job.opts.attempts ?? 1);
    this.logger.error(`Import job ${job.id} failed (attempt ${job.attemptsMade}${final ? ', final' : ', will retry'}): ${error.message}`);
    if (final) await this.runner.giveUp(job, error).catch((e) => this.logger.error(`Could not mark the run failed: ${e.message}`));
  }
}
