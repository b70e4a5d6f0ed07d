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
