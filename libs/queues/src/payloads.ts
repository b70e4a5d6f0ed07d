import type { JobCounters, JobState, JobTrigger } from '@illbridge/database/entities';
import { QUEUE } from './names';

/** Payload of each queue's jobs: ids, never entities. */
export interface ImportJobData {
  profileId: string;
  trigger: JobTrigger;
  /** Set when the run was created before enqueueing (run now, inbound receipt); scheduled jobs create theirs. */
  jobRunId?: string;
}
/** The overdue check takes nothing: it reads the requests and their profiles' time zones. */
export type OverdueJobData = Record<string, never>;
export interface PushJobData {
  requestId: string;
}
export interface MaintenanceJobData {
  task: 'retention';
}

/** What the workers tell reporting, over the report-events queue. Every event has a stable id:
 *  the queue drops a second event with the same id, and reporting applies an id only once, so a
 *  redelivered event is never counted twice. */
export type ReportEvent =
  | { type: 'records'; id: string; runId: string; delta: JobCounters }
  | { type: 'run-ended'; id: string; runId: string; state: JobState }
  | { type: 'push'; id: string; requestId: string; actionId: string; result: PushResult };
export type PushResult = 'sent' | 'transient' | 'refused' | 'gave_up';

/** What ILL Bridge tells its notification subscribers (libs/notifications). `id` is stable: an event raised twice
 *  (a redelivered job, a stale schedule seen at every check) is delivered once per subscriber. */
export type NotificationEventType = 'JOB_RUN_ENDED' | 'PUSH_FAILED' | 'SCHEDULE_STALE' | 'NETPUNKT_RECEIPT_REFUSED' | 'REQUESTS_OVERDUE' | 'TEST';
export interface NotificationEvent {
  id: string;
  type: NotificationEventType;
  /** The profile concerned; null for events of no profile (its global subscribers only). */
  profileId: string | null;
  occurredAt: string;
  /** One line for people (the e-mail's subject). */
  summary: string;
  data: Record<string, unknown>;
}
/** A notifications job: an event to fan out (to one subscriber only for a test-send), one delivery to send, or the
 *  periodic stale-schedule check. */
export type NotificationJob =
  | { kind: 'event'; event: NotificationEvent; subscriberId?: string }
  | { kind: 'deliver'; deliveryId: string }
  | { kind: 'stale-check' };

/** Each queue's payload type: enqueueing the wrong payload on a queue is a compile error (`enqueue`). */
export interface QueuePayloads {
  [QUEUE.IMPORT]: ImportJobData;
  [QUEUE.PUSH]: PushJobData;
  [QUEUE.REPORT_EVENTS]: ReportEvent;
  [QUEUE.MAINTENANCE]: MaintenanceJobData;
  [QUEUE.NOTIFICATIONS]: NotificationJob;
  [QUEUE.OVERDUE]: OverdueJobData;
}
