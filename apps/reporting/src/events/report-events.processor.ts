import { OnWorkerEvent, WorkerHost } from '@nestjs/bullmq';
import { Injectable, Logger, Type } from '@nestjs/common';
import type { Job } from 'bullmq';
import { AppConfig } from '@illbridge/common';
import { configuredProcessor, QUEUE } from '@illbridge/queues';
import type { ReportEvent } from '@illbridge/queues/report-events';
import { ReportEventsApplier } from './report-events.applier';

/** Consumes the report-events queue. Errors are thrown so BullMQ retries; the applier's id check
 *  makes a retry or redelivery harmless. */
@Injectable()
export class ReportEventsProcessor extends WorkerHost {
  private readonly logger = new Logger('ReportEventsProcessor');

  constructor(private readonly applier: ReportEventsApplier) {
    super();
  }

  async process(job: Job<ReportEvent>): Promise<{ applied: boolean }> {
    return { applied: await this.applier.apply(job.data) };
  }

  /** The worker's own errors (Redis gone, a job's keys wiped under it): logged, not printed raw. */
  @OnWorkerEvent('error')
  onError(error: Error) {
    this.logger.warn(`Queue worker: ${error.message}`);
  }
}

/** The processor with its own worker connection (workers wait for Redis; the HTTP API fails fast). */
export function configuredReportEventsProcessor(config: AppConfig): Type<ReportEventsProcessor> {
  return configuredProcessor(ReportEventsProcessor, QUEUE.REPORT_EVENTS, config.redisUrl, { concurrency: 4 });
}
