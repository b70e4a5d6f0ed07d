import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Queue } from 'bullmq';
import { DataSource, In } from 'typeorm';
import { IntegrationProfileEntity, JobRunEntity } from '@illbridge/database/entities';
import { DEFAULT_JOB_OPTIONS, ImportJobData, QUEUE, SchedulesService } from '@illbridge/queues';

/** Postgres is the truth. At start-up, runs that are PENDING or RUNNING but whose queue job is gone
 *  (the queue store was wiped) are enqueued again with the same job id, so they resume; the profiles'
 *  schedules are reconciled too. */
@Injectable()
export class RecoveryService implements OnApplicationBootstrap {
  private readonly logger = new Logger(RecoveryService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectQueue(QUEUE.IMPORT) private readonly queue: Queue<ImportJobData>,
    private readonly schedules: SchedulesService,
  ) {}

  async onApplicationBootstrap() {
    await this.recover().catch((error) => this.logger.error(`Recovery at start-up failed: ${error.message}`));
  }

  async recover(): Promise<number> {
    const active = await this.dataSource.getRepository(JobRunEntity).find({ where: { state: In(['PENDING', 'RUNNING']) } });
    let requeued = 0;
    for (const run of active) {
      const jobId = run.queueJobId ?? `run-${run.id}`;
      const job = await this.queue.getJob(jobId);
      if (job && !(await job.isFailed()) && !(await job.isCompleted())) continue;
      if (job) await job.remove();
      await this.queue.add(run.jobName, { profileId: run.profileId, jobRunId: run.id, trigger: run.trigger }, { ...DEFAULT_JOB_OPTIONS[QUEUE.IMPORT], jobId });
      if (!run.queueJobId) await this.dataSource.getRepository(JobRunEntity).update({ id: run.id }, { queueJobId: jobId });
      requeued++;
    }
    if (requeued) this.logger.warn(`Re-enqueued ${requeued} interrupted run(s) whose queue job was lost`);
    await this.schedules.reconcile(await this.dataSource.getRepository(IntegrationProfileEntity).find());
    return requeued;
  }
}
