import { InjectQueue, OnWorkerEvent, WorkerHost } from '@nestjs/bullmq';
import { Inject, Injectable, Logger, OnApplicationBootstrap, Type } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Job, Queue } from 'bullmq';
import { DataSource } from 'typeorm';
import { configuredProcessor, MaintenanceJobData, QUEUE } from '@illbridge/queues';
import { RetentionRunEntity } from '@illbridge/database/entities';
import { ImportSettings } from './import-settings';

/** The retention job's scheduler on the maintenance queue: daily at 03:30 UTC. */
export const RETENTION_SCHEDULER_ID = 'retention-daily';
export const RETENTION_PATTERN = '30 3 * * *';
/** The personal data of a request that retention purges (set NULL), and that a later import of a request still
 *  closed does not bring back (`RequestWriter`). */
export const PERSONAL_DATA_COLUMNS = ['requester_name', 'requester_id', 'raw'] as const;

/** Requests purged per statement, so that no single transaction holds many rows. */
const PURGE_BATCH = 1000;

/**
 * Personal data retention (RETENTION_DAYS; unset keeps everything). Requests closed longer than that lose their
 * requester name, patron id and raw record (and their Netpunkt receipts their XML and parsed body); the request
 * itself, its history (request events), its record events and every job run's counters stay. Each execution
 * writes a `retention_run` row with how many were purged (`GET /api/retention-runs`, reporting).
 */
@Injectable()
export class RetentionService implements OnApplicationBootstrap {
  private readonly logger = new Logger(RetentionService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(ImportSettings) private readonly settings: ImportSettings,
    @InjectQueue(QUEUE.MAINTENANCE) private readonly queue: Queue<MaintenanceJobData>,
  ) {}

  /** The daily scheduler exists while RETENTION_DAYS is set, and is removed when it is not. */
  async onApplicationBootstrap() {
    try {
      if (this.settings.retentionDays === undefined) await this.queue.removeJobScheduler(RETENTION_SCHEDULER_ID);
      else await this.queue.upsertJobScheduler(RETENTION_SCHEDULER_ID, { pattern: RETENTION_PATTERN, tz: 'UTC' }, { name: 'retention', data: { task: 'retention' } });
    } catch (error: any) {
      this.logger.error(`Could not set the retention schedule (set again at the next start): ${error.message}`);
    }
  }

  /** One execution: purges what closed more than `days` days before `now`; answers its run. */
  async purge(days = this.settings.retentionDays, now = new Date()): Promise<RetentionRunEntity | null> {
    if (days === undefined) return null;
    const runs = this.dataSource.getRepository(RetentionRunEntity);
    const closedBefore = new Date(now.getTime() - days * 86_400_000);
    const run = await runs.save(runs.create({ retentionDays: days, closedBefore }));
    let requests = 0;
    let receipts = 0;
    try {
      for (;;) {
        const [row] = await this.dataSource.query(
          `WITH due AS (
             SELECT id FROM rs_request WHERE closed AND closed_at < $1 AND personal_data_purged_at IS NULL ORDER BY closed_at LIMIT $2 FOR UPDATE SKIP LOCKED
           ), purged AS (
             UPDATE rs_request r SET ${PERSONAL_DATA_COLUMNS.map((c) => `${c} = NULL`).join(', ')}, personal_data_purged_at = now()
               FROM due WHERE r.id = due.id
             RETURNING r.profile_id, r.system, r.external_id
           ), receipts AS (
             UPDATE netpunkt_receipt n SET raw_xml = '', receipt = '{}'::jsonb
               FROM purged WHERE purged.system = 'NETPUNKT' AND n.profile_id = purged.profile_id AND n.order_id = purged.external_id AND n.raw_xml <> ''
             RETURNING n.id
           )
           SELECT (SELECT count(*) FROM purged)::int AS requests, (SELECT count(*) FROM receipts)::int AS receipts`,
          [closedBefore, PURGE_BATCH],
        );
        requests += row.requests;
        receipts += row.receipts;
        if (row.requests < PURGE_BATCH) break;
      }
      await runs.update({ id: run.id }, { finishedAt: new Date(), requestsPurged: requests, receiptsPurged: receipts });
      this.logger.log(`Retention (${days} days): personal data of ${requests} request(s) closed before ${closedBefore.toISOString()} purged`);
    } catch (error: any) {
      await runs.update({ id: run.id }, { finishedAt: new Date(), requestsPurged: requests, receiptsPurged: receipts, error: error.message }).catch(() => undefined);
      throw error;
    }
    return runs.findOneByOrFail({ id: run.id });
  }
}

@Injectable()
export class MaintenanceProcessor extends WorkerHost {
  private readonly logger = new Logger(MaintenanceProcessor.name);

  constructor(private readonly retention: RetentionService) {
    super();
  }

  async process(job: Job<MaintenanceJobData>) {
    if (job.data.task !== 'retention') throw new Error(`Unknown maintenance task ${job.data.task}`);
    const run = await this.retention.purge();
    return run ? { retentionRunId: run.id, requestsPurged: run.requestsPurged } : { skipped: 'RETENTION_DAYS is not set' };
  }

  @OnWorkerEvent('failed')
  onFailed(job: Job<MaintenanceJobData> | undefined, error: Error) {
    this.logger.error(`Maintenance job ${job?.id} (${job?.data.task}) failed: ${error.message}`);
  }
}

export function configuredMaintenanceProcessor(redisUrl: string): Type<MaintenanceProcessor> {
  return configuredProcessor(MaintenanceProcessor, QUEUE.MAINTENANCE, redisUrl, { concurrency: 1 });
}
