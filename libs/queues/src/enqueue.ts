import type { JobsOptions, Queue } from 'bullmq';
import { setTimeout as delay } from 'timers/promises';
import { DEFAULT_JOB_OPTIONS, QueueName } from './names';
import type { QueuePayloads } from './payloads';

/** A queue typed by its name: its jobs carry that queue's payload. */
export type QueueOf<Q extends QueueName> = Queue<QueuePayloads[Q]>;

/** The one way jobs are added: `data` must be queue `name`'s payload, and the queue's default options (attempts,
 *  backoff, retention) apply under what the caller adds (job id, delay, deduplication). */
export async function enqueue<Q extends QueueName>(queueName: Q, queue: QueueOf<Q>, jobName: string, data: QueuePayloads[Q], options: JobsOptions = {}): Promise<void> {
  await (queue as Queue).add(jobName, data, { ...DEFAULT_JOB_OPTIONS[queueName], ...options });
}

/** `enqueue` for many jobs of one queue in one Redis round trip (`addBulk`), each with the queue's default options
 *  under its own. */
export async function enqueueAll<Q extends QueueName>(queueName: Q, queue: QueueOf<Q>, jobs: { name: string; data: QueuePayloads[Q]; options?: JobsOptions }[]): Promise<void> {
  await (queue as Queue).addBulk(jobs.map((job) => ({ name: job.name, data: job.data, opts: { ...DEFAULT_JOB_OPTIONS[queueName], ...job.options } })));
}

/** How long a worker waits for an event it raises before committing the change the event tells of. */
export const BEFORE_COMMIT_WAIT_MS = 2000;

/** Waits for `added` (an event on its way to Redis) at most `withinMs`: true once added, false when the time ran out
 *  (the event may still arrive later). For events raised before the commit of what they tell: a process killed after
 *  its commit and before its event reached Redis would lose the event for good, while one killed before its commit
 *  leaves the work to be redone and told again under the same event id. */
export async function addedWithin(added: Promise<unknown>, withinMs = BEFORE_COMMIT_WAIT_MS): Promise<boolean> {
  const timer = new AbortController();
  try {
    return await Promise.race([added.then(() => true), delay(withinMs, false, { signal: timer.signal }).catch(() => false)]);
  } finally {
    timer.abort();
  }
}
