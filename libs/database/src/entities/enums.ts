/** Shared vocabularies of the domain (product.md §1–5). The request's own (directions, statuses, formats) belong to
 *  the workflow rules and the external systems to the connectors; they are re-exported here for the entities. */
export * from '@illbridge/workflow/vocabulary';
export * from '@illbridge/connectors/systems';

export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const INTEGRATION_TYPES = ['RESOURCE_SHARING'] as const;
export const GRANULARITIES = ['DAY', 'SECOND'] as const;
export type Granularity = (typeof GRANULARITIES)[number];

export const SCHEDULE_TYPES = ['NOT_SCHEDULED', 'DAILY', 'WEEKLY', 'INTERVAL'] as const;
export type ScheduleType = (typeof SCHEDULE_TYPES)[number];
export const DAYS_OF_WEEK = ['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'] as const;
export type DayOfWeek = (typeof DAYS_OF_WEEK)[number];

export const SYNC_STATES = ['IN_SYNC', 'PUSH_PENDING', 'PUSH_FAILED'] as const;
export type SyncState = (typeof SYNC_STATES)[number];

export const JOB_TRIGGERS = ['SCHEDULED', 'MANUAL', 'INBOUND'] as const;
export type JobTrigger = (typeof JOB_TRIGGERS)[number];

/** SKIPPED: a scheduled tick that met a run of the same profile still active (error code JOB_ALREADY_RUNNING). */
export const JOB_STATES = ['PENDING', 'RUNNING', 'COMPLETED_SUCCESSFULLY', 'COMPLETED_WITH_ERRORS', 'FAILED', 'ABORTED', 'SKIPPED'] as const;
export type JobState = (typeof JOB_STATES)[number];
export const ACTIVE_JOB_STATES: readonly JobState[] = ['PENDING', 'RUNNING'];

export const JOB_STAGES = ['QUEUED', 'STARTING', 'HARVESTING', 'REFRESHING', 'FINALIZING', 'DONE'] as const;
export type JobStage = (typeof JOB_STAGES)[number];

export const RECORD_OUTCOMES = ['CREATED', 'UPDATED', 'UNCHANGED', 'FAILED'] as const;
export type RecordOutcome = (typeof RECORD_OUTCOMES)[number];

export const REQUEST_EVENT_TYPES = [
  'CREATED', 'UPDATED', 'STATUS_CHANGED', 'ACTION_REQUESTED', 'ACTION_PUSHED', 'ACTION_FAILED', 'ACTION_DISCARDED', 'RECONCILED',
  'OVERDUE',
] as const;
export type RequestEventType = (typeof REQUEST_EVENT_TYPES)[number];

export const OUTBOUND_STATES = ['PENDING', 'SENDING', 'SENT', 'FAILED', 'DISCARDED'] as const;
export type OutboundState = (typeof OUTBOUND_STATES)[number];
