import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import { Queue } from 'bullmq';
import { randomBytes } from 'crypto';
import { DEFAULT_JOB_OPTIONS, PushJobData, QUEUE } from '@illbridge/queues';

/** The job will still run and read the ordered log after whatever was committed before the ring. */
const STILL_TO_RUN = new Set(['waiting', 'delayed', 'prioritized', 'waiting-children']);
export const DRAIN_JOB_NAME = 'drain';

export function drainJobId(requestId: string): string {
  return `drain-${requestId}`;
}

/** The doorbell of the push queue (engineering.md "Queues"): Postgres holds the ordered log of a
 *  request's actions; a "drain request R" job only says that there is something to push.
 *
 *  Ring after the transaction that wrote the action has committed. One job per request (`drain-<id>`):
 *  - waiting or delayed: nothing to do, it will read the log after our commit;
 *  - active: it may already have read the log and be finishing, so a second job (`drain-<id>-<suffix>`)
 *    rings after it (it waits for the lease, then drains whatever is left);
 *  - completed or failed (kept for a while by the retention settings, and BullMQ would ignore an add
 *    with the same id): removed and added again;
 *  - missing: added.
 *  A ring that is lost anyway (Redis down at that moment) is caught by the worker's start-up recovery
 *  and its periodic sweep, which ring every request whose actions wait. */
@Injectable()
export class Doorbell {
  constructor(@InjectQueue(QUEUE.PUSH) readonly queue: Queue<PushJobData>) {}

  async ring(requestId: string): Promise<string> {
    const jobId = drainJobId(requestId);
    const job = await this.queue.getJob(jobId);
    const state = job ? await job.getState() : 'missing';
    if (STILL_TO_RUN.has(state)) return jobId;
    if (state === 'active') {
      const again = `${jobId}-${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
      await this.add(requestId, again);
      return again;
    }
    if (job) await job.remove().catch(() => undefined);
    await this.add(requestId, jobId);
    return jobId;
  }

  private async add(requestId: string, jobId: string): Promise<void> {
    await this.queue.add(DRAIN_JOB_NAME, { requestId }, { ...DEFAULT_JOB_OPTIONS[QUEUE.PUSH], jobId });
  }
}
