import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import { Queue } from 'bullmq';
import { DEFAULT_JOB_OPTIONS, PushJobData, QUEUE } from '@illbridge/queues';
import { PushSettings } from './push-settings';

export const DRAIN_JOB_NAME = 'drain';

/** The deduplication id of a request's drain jobs. */
export function drainDeduplicationId(requestId: string): string {
  return `drain-${requestId}`;
}

/** The doorbell of the push queue (engineering.md "Queues"): Postgres holds the ordered log of a
 *  request's actions; a "drain request R" job only says that there is something to push.
 *
 *  Ring after the transaction that wrote the action has committed. One Redis round trip: an `add`
 *  deduplicated per request (BullMQ `deduplication` with `keepLastIfActive`), which BullMQ resolves
 *  atomically against the request's current drain job:
 *  - none (or only finished ones): a new job is added;
 *  - waiting or delayed: nothing is added, that job will read the log after our commit;
 *  - active: it may already have read the log and be finishing, so BullMQ keeps a next job that it
 *    adds as soon as the active one finishes (it then waits for the lease and drains what is left).
 *  The job waits `ringDelayMs` (delayed), so that actions taken back to back go in one drain.
 *  The dedup key is dropped when its job completes or fails for good (or found stale after a wipe).
 *  A ring that is lost anyway (Redis down at that moment) is caught by the worker's start-up recovery
 *  and its periodic sweep, which ring every request whose actions wait. */
@Injectable()
export class Doorbell {
  constructor(
    @InjectQueue(QUEUE.PUSH) readonly queue: Queue<PushJobData>,
    private readonly settings: PushSettings,
  ) {}

  async ring(requestId: string): Promise<void> {
    await this.queue.add(DRAIN_JOB_NAME, { requestId }, this.jobOptions(requestId));
  }

  /** Rings for each of these requests in one Redis round trip (`addBulk`: each job deduplicated as `ring` does). */
  async ringAll(requestIds: string[]): Promise<void> {
    await this.queue.addBulk(requestIds.map((requestId) => ({ name: DRAIN_JOB_NAME, data: { requestId }, opts: this.jobOptions(requestId) })));
  }

  private jobOptions(requestId: string) {
    return {
      ...DEFAULT_JOB_OPTIONS[QUEUE.PUSH],
      ...(this.settings.ringDelayMs > 0 && { delay: this.settings.ringDelayMs }),
      deduplication: { id: drainDeduplicationId(requestId), keepLastIfActive: true },
    };
  }
}
