import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { IntegrationProfileEntity, JobRunEntity } from '@illbridge/database/entities';
import { ImportJobs, importJobId, SchedulesService } from '@illbridge/queues';
import { ImportRunner } from './import-runner';
import { ImportSettings } from './import-settings';

/** Postgres is the truth; Redis may lose everything (restarted empty, flushed). At start-up and then every
 *  `recoveryIntervalMs`:
 *  - runs that are PENDING, or RUNNING without progress for `staleRunMs` and not running in this process,
 *    whose queue job is gone or failed for good, are enqueued again under the same job id, so they resume
 *    (a run whose job was lost while a worker still runs it shows progress and is left to that worker);
 *  - when the queue store has lost its mark (it was wiped), the profiles' schedules are rebuilt and the
 *    mark set again; at start-up they are reconciled in any case. */
@Injectable()
export class RecoveryService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(RecoveryService.name);
  private timer?: NodeJS.Timeout;
  private sweeping?: Promise<unknown>;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly importJobs: ImportJobs,
    private readonly schedules: SchedulesService,
    private readonly runner: ImportRunner,
    private readonly settings: ImportSettings,
  ) {}

  async onApplicationBootstrap() {
    await this.recover({ reconcile: true }).catch((error) => this.logger.error(`Recovery at start-up failed: ${error.message}`));
    if (this.settings.recoveryIntervalMs > 0) {
      this.timer = setInterval(() => {
        if (this.sweeping) return;
        this.sweeping = this.recover({ reconcile: false })
          .catch((error) => this.logger.warn(`Recovery sweep failed (tried again in ${this.settings.recoveryIntervalMs} ms): ${error.message}`))
          .finally(() => (this.sweeping = undefined));
      }, this.settings.recoveryIntervalMs);
      this.timer.unref();
    }
  }

  async onApplicationShutdown() {
    clearInterval(this.timer);
    await this.sweeping;
  }

  /** The key whose absence tells that the queue store was wiped since the schedules were last rebuilt. */
  private get markKey(): string {
    return `${this.importJobs.queue.opts.prefix ?? 'bull'}:${this.importJobs.queue.name}:recovery-mark`;
  }

  /** Re-enqueues lost runs and, when asked or when the store was wiped, rebuilds the schedules.
   *  Answers how many runs were enqueued again. */
  async recover(options: { reconcile: boolean } = { reconcile: true }): Promise<number> {
    const requeued = await this.requeueLostRuns();
    const redis = await this.importJobs.queue.getBackend().client;
    const wiped = !(await redis.hexists(this.markKey, 'at'));
    if (options.reconcile || wiped) {
      if (wiped && !options.reconcile) this.logger.warn('The queue store was wiped: rebuilding the profiles’ schedules');
      await this.schedules.reconcile(await this.dataSource.getRepository(IntegrationProfileEntity).find());
      await redis.hset(this.markKey, { at: new Date().toISOString() });
    }
    return requeued;
  }

  private async requeueLostRuns(): Promise<number> {
    const candidates: JobRunEntity[] = await this.dataSource
      .getRepository(JobRunEntity)
      .createQueryBuilder('run')
      .where(`run.state = 'PENDING' OR (run.state = 'RUNNING' AND run.updated_at < now() - make_interval(secs => :stale))`, { stale: this.settings.staleRunMs / 1000 })
      .getMany();
    let requeued = 0;
    for (const run of candidates) {
      if (this.runner.active.has(run.id)) continue;
      const jobId = run.queueJobId ?? importJobId(run.id);
      const job = await this.importJobs.queue.getJob(jobId);
      if (job && !(await job.isFailed()) && !(await job.isCompleted())) continue;
      if (job) await job.remove();
      // Same job id: if the job is added meanwhile by whoever made the run, BullMQ keeps one.
      await this.importJobs.enqueueRun({ ...run, queueJobId: jobId });
      if (!run.queueJobId) await this.dataSource.getRepository(JobRunEntity).update({ id: run.id }, { queueJobId: jobId });
      requeued++;
    }
    if (requeued) this.logger.warn(`Re-enqueued ${requeued} interrupted run(s) whose queue job was lost`);
    return requeued;
  }
}
