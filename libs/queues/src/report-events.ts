import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger } from '@nestjs/common';
import { enqueue, QueueOf } from './enqueue';
import { QUEUE } from './names';
import type { ReportEvent } from './payloads';

export type { PushResult, ReportEvent } from './payloads';

/** Publishes report events without ever making a worker wait on, or fail because of, reporting:
 *  a queue store that is down loses the event (the run's final counters are computed by the worker
 *  from its record events anyway), and the failure is logged. */
@Injectable()
export class ReportEventsPublisher {
  private readonly logger = new Logger(ReportEventsPublisher.name);

  constructor(@InjectQueue(QUEUE.REPORT_EVENTS) private readonly queue: QueueOf<typeof QUEUE.REPORT_EVENTS>) {}

  async publish(event: ReportEvent): Promise<void> {
    try {
      // BullMQ job ids may not hold ':'; the event id itself is kept as it is.
      await enqueue(QUEUE.REPORT_EVENTS, this.queue, event.type, event, { jobId: event.id.replaceAll(':', '_') });
    } catch (error) {
      this.logger.warn(`Report event ${event.id} not published: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
