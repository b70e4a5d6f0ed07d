import type { JobsOptions, Queue } from 'bullmq';
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
