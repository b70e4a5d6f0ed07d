import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger } from '@nestjs/common';
import { enqueueAll, QueueOf } from './enqueue';
import { QUEUE } from './names';
import type { ReportEvent } from './payloads';
import { BEFORE_COMMIT_WAIT_MS, settledWithin } from './within';

export type { PushResult, ReportEvent } from './payloads';

/** Publishes report events without ever making a worker fail because of reporting, nor wait on it longer than
 *  `publishBeforeCommit`'s bound:
 *  a queue store that is down loses the event (the run's final counters are computed by the worker
 *  from its record events anyway), and the failure is logged. The events published in one turn of the event loop
 *  (the pushes of concurrent drains, say) go to Redis together, in one `addBulk`; `publish` resolves once its event
 *  was added, or given up.
 *
 *  An event that reports a change about to be committed is published with `publishBeforeCommit` and waited for: a
 *  process killed after its commit and before its event reached Redis would lose the event for good (nobody redoes a
 *  committed change), while one killed between the event and the commit leaves work the surviving process redoes and
 *  reports again under the same event id — applied once by reporting. */
@Injectable()
export class ReportEventsPublisher {
  private readonly logger = new Logger(ReportEventsPublisher.name);
  private pending: { event: ReportEvent; added: () => void }[] = [];

  constructor(@InjectQueue(QUEUE.REPORT_EVENTS) private readonly queue: QueueOf<typeof QUEUE.REPORT_EVENTS>) {}

  publish(event: ReportEvent): Promise<void> {
    return new Promise((added) => {
      this.pending.push({ event, added });
      if (this.pending.length === 1) setImmediate(() => void this.flush());
    });
  }

  /** `publish`, waited for up to `withinMs` (a Redis that does not answer in time costs the event, never the worker's
   *  progress): call it, and await it, before committing what the event reports. */
  async publishBeforeCommit(event: ReportEvent, withinMs = BEFORE_COMMIT_WAIT_MS): Promise<void> {
    if (!(await settledWithin(this.publish(event), withinMs))) this.logger.warn(`Report event ${event.id} not on the queue after ${withinMs} ms: going on without waiting for it`);
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    try {
      // BullMQ job ids may not hold ':'; the event id itself is kept as it is.
      await enqueueAll(
        QUEUE.REPORT_EVENTS,
        this.queue,
        batch.map(({ event }) => ({ name: event.type, data: event, options: { jobId: event.id.replaceAll(':', '_') } })),
      );
    } catch (error) {
      const ids = batch.map(({ event }) => event.id);
      this.logger.warn(`Report event${ids.length > 1 ? 's' : ''} ${ids.slice(0, 5).join(', ')}${ids.length > 5 ? ` and ${ids.length - 5} more` : ''} not published: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      for (const { added } of batch) added();
    }
  }
}
