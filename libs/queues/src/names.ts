import type { JobsOptions } from 'bullmq';
import type { JobTrigger } from '@illbridge/database/entities/enums';

/** Every queue of the product, in one place. */
export const QUEUE = {
  /** Import jobs: scheduled by one job scheduler per profile, or enqueued by "run now" / a Netpunkt receipt. */
  IMPORT: 'import',
  /** "Drain request R" doorbells: the push worker sends R's pending outbound actions to NACSIS-ILL in order. */
  PUSH: 'nacsis-push',
  /** Events the workers publish for reporting (job run progress, record outcomes, pushes). */
  REPORT_EVENTS: 'report-events',
} as const;
export type QueueName = (typeof QUEUE)[keyof typeof QUEUE];
export const ALL_QUEUES: QueueName[] = Object.values(QUEUE);

/** Payload of each queue's jobs: ids, never entities. */
export interface ImportJobData {
  profileId: string;
  trigger: JobTrigger;
  /** Set when the run was created before enqueueing (run now, inbound receipt); scheduled jobs create theirs. */
  jobRunId?: string;
}
export interface PushJobData {
  requestId: string;
}
export interface QueuePayloads {
  [QUEUE.IMPORT]: ImportJobData;
  [QUEUE.PUSH]: PushJobData;
  [QUEUE.REPORT_EVENTS]: import('./report-events').ReportEvent;
}

/** The job's name shown in the queue dashboard and in job history (product.md §2). */
export function importJobName(profileName: string): string {
  return `Import resource sharing requests using profile ${profileName}`;
}

/** Default options per queue: bounded retries with backoff, bounded retention. */
export const DEFAULT_JOB_OPTIONS: Record<QueueName, JobsOptions> = {
  [QUEUE.IMPORT]: {
    attempts: 3,
    backoff: { type: 'exponential', delay: 10_000 },
    removeOnComplete: { age: 7 * 24 * 3600, count: 1000 },
    removeOnFail: { age: 30 * 24 * 3600, count: 5000 },
  },
  [QUEUE.PUSH]: {
    attempts: 12,
    backoff: { type: 'jittered' },
    removeOnComplete: { age: 24 * 3600, count: 1000 },
    removeOnFail: { age: 30 * 24 * 3600, count: 5000 },
  },
  [QUEUE.REPORT_EVENTS]: {
    attempts: 10,
    backoff: { type: 'exponential', delay: 1000 },
    removeOnComplete: { age: 3600, count: 1000 },
    removeOnFail: { age: 7 * 24 * 3600, count: 5000 },
  },
};

/** Capped exponential backoff with jitter: random in [ceiling/2, ceiling], ceiling = min(cap, base·2^(n-1)). */
export function jitteredBackoff(attemptsMade: number, baseMs = 500, capMs = 60_000): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, attemptsMade - 1));
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}
