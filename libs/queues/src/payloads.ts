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

/** What the workers tell reporting, over the report-events queue. Every event has a stable id:
 *  the queue drops a second event with the same id, and reporting applies an id only once, so a
 *  redelivered event is never counted twice. */
export type ReportEvent =
  | { type: 'records'; id: string; runId: string; delta: JobCounters }
  | { type: 'run-ended'; id: string; runId: string; state: JobState }
  | { type: 'push'; id: string; requestId: string; actionId: string; result: PushResult };
export type PushResult = 'sent' | 'transient' | 'refused';

/** Each queue's payload type: enqueueing the wrong payload on a queue is a compile error (`enqueue`). */
export interface QueuePayloads {
  [QUEUE.IMPORT]: ImportJobData;
  [QUEUE.PUSH]: PushJobData;
  [QUEUE.REPORT_EVENTS]: ReportEvent;
  [QUEUE.OVERDUE]: OverdueJobData;
}
