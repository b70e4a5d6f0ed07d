import { BullModule, InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger, Module } from '@nestjs/common';
import { BEFORE_COMMIT_WAIT_MS, DEFAULT_JOB_OPTIONS, enqueue, QUEUE, QueueOf, settledWithin } from '@illbridge/queues';
import type { NotificationEvent } from '@illbridge/queues/payloads';

/** A BullMQ job id from an event id (job ids may not hold ':'). */
export const eventJobId = (eventId: string) => `event_${eventId.replaceAll(':', '_')}`;

/** The one way services raise notification events: enqueued on the `notifications` queue, fanned out to the
 *  subscribers by the reporting service's worker. Like report events, never makes the caller fail because of
 *  notifications, nor wait on them longer than `notifyBeforeCommit`'s bound: a queue store that is down loses the event, and that is logged. `null` (an event
 *  builder's "nothing to tell") is ignored. */
@Injectable()
export class Notifier {
  private readonly logger = new Logger(Notifier.name);

  constructor(@InjectQueue(QUEUE.NOTIFICATIONS) private readonly queue: QueueOf<typeof QUEUE.NOTIFICATIONS>) {}

  async notify(event: NotificationEvent | null): Promise<void> {
    if (!event) return;
    try {
      await this.raise(event);
    } catch (error) {
      this.logger.warn(`Notification ${event.id} not raised: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** `notify`, waited for up to `withinMs` (`settledWithin`): call it, and await it, before committing what the event
   *  tells of, so that a process killed after its commit has told it already. */
  async notifyBeforeCommit(event: NotificationEvent | null, withinMs = BEFORE_COMMIT_WAIT_MS): Promise<void> {
    if (event && !(await settledWithin(this.notify(event), withinMs))) this.logger.warn(`Notification ${event.id} not on the queue after ${withinMs} ms: going on without waiting for it`);
  }

  /** Enqueues the event (for `subscriberId` only: a test-send); throws when the queue store is down. */
  async raise(event: NotificationEvent, subscriberId?: string): Promise<void> {
    await enqueue(QUEUE.NOTIFICATIONS, this.queue, event.type, { kind: 'event', event, subscriberId }, { jobId: eventJobId(event.id) });
  }
}

/** For services that raise events: the queue and the `Notifier`. */
@Module({
  imports: [BullModule.registerQueue({ name: QUEUE.NOTIFICATIONS, defaultJobOptions: DEFAULT_JOB_OPTIONS[QUEUE.NOTIFICATIONS] })],
  providers: [Notifier],
  exports: [Notifier],
})
export class NotifierModule {}
