import type { JobsOptions } from 'bullmq';

/** Every queue of the product, in one place. */
export const QUEUE = {
  /** Import jobs: scheduled by one job scheduler per profile, or enqueued by "run now" / a Netpunkt receipt. */
  IMPORT: 'import',
  /** "Drain request R" doorbells: the push worker sends R's pending outbound actions to NACSIS-ILL in order. */
  PUSH: 'nacsis-push',
  /** Events the workers publish for reporting (job run progress, record outcomes, pushes). */
  REPORT_EVENTS: 'report-events',
  /** Housekeeping of the import worker: the daily personal data retention job (RETENTION_DAYS). */
  MAINTENANCE: 'maintenance',
  /** Notifications (libs/notifications): an event to fan out to its subscribers, one delivery to send, the stale-schedule check. */
  NOTIFICATIONS: 'notifications',
  /** The overdue check: one job scheduler (`OverdueSchedule`) fires it every hour; reporting records an OVERDUE
   *  event on each request that became overdue. */
  OVERDUE: 'overdue-check',
} as const;
export type QueueName = (typeof QUEUE)[keyof typeof QUEUE];
export const ALL_QUEUES: QueueName[] = Object.values(QUEUE);

/** The one service whose worker processes each queue (checked at its start-up: `QueueProcessorsCheck`). */
export const QUEUE_CONSUMER: Record<QueueName, 'import-worker' | 'action-push' | 'reporting'> = {
  [QUEUE.IMPORT]: 'import-worker',
  [QUEUE.PUSH]: 'action-push',
  [QUEUE.REPORT_EVENTS]: 'reporting',
  [QUEUE.MAINTENANCE]: 'import-worker',
  [QUEUE.NOTIFICATIONS]: 'reporting',
  [QUEUE.OVERDUE]: 'reporting',
};

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
  [QUEUE.MAINTENANCE]: {
    attempts: 3,
    backoff: { type: 'exponential', delay: 60_000 },
    removeOnComplete: { age: 30 * 24 * 3600, count: 100 },
    removeOnFail: { age: 30 * 24 * 3600, count: 100 },
  },
  // A delivery's own attempts come from the notification settings (NOTIFY_ATTEMPTS); the jittered backoff is the
  // reporting worker's (libs/common/src/backoff.ts).
  [QUEUE.NOTIFICATIONS]: {
    attempts: 8,
    backoff: { type: 'jittered' },
    removeOnComplete: { age: 24 * 3600, count: 1000 },
    removeOnFail: { age: 7 * 24 * 3600, count: 5000 },
  },
  [QUEUE.OVERDUE]: {
    attempts: 3,
    backoff: { type: 'exponential', delay: 30_000 },
    removeOnComplete: { age: 7 * 24 * 3600, count: 200 },
    removeOnFail: { age: 30 * 24 * 3600, count: 200 },
  },
};
