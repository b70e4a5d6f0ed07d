import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger } from '@nestjs/common';
import type { Queue } from 'bullmq';
import type { JobCounters, JobState } from '@illbridge/database/entities';
import { DEFAULT_JOB_OPTIONS, QUEUE } from './names';

/** What the workers tell reporting, over the report-events queue. Every event has a stable id:
 *  the queue drops a second event with the same id, and reporting applies an id only once, so a
 *  redelivered event is never counted twice. */
export type ReportEvent =
  | { type: 'records'; id: string; runId: string; delta: JobCounters }
  | { type: 'run-ended'; id: string; runId: string; state: JobState }
  | { type: 'push'; id: string; requestId: string; actionId: string; result: PushResult };
export type PushResult = 'sent' | 'transient' | 'refused';

/** Publishes report events without ever making a worker wait on, or fail because of, reporting:
 *  a queue store that is down loses the event (the run's final counters are computed by the worker
 *  from its record events anyway), and the failure is logged. */
@Injectable()
export class ReportEventsPublisher {
  private readonly logger = new Logger(ReportEventsPublisher.name);

  constructor(@InjectQueue(QUEUE.REPORT_EVENTS) private readonly queue: Queue<ReportEvent>) {}

  async publish(event: ReportEvent): Promise<void> {
    try {
      // BullMQ job ids may not hold ':'; the event id itself is kept as it is.
      await this.queue.add(event.type, event, { ...DEFAULT_JOB_OPTIONS[QUEUE.REPORT_EVENTS], jobId: event.id.replaceAll(':', '_') });
    } catch (error: any) {
      this.logger.warn(`Report event ${event.id} not published: ${error.message}`);
    }
  }
}
