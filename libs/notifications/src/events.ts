import { randomUUID } from 'crypto';
import type { JobState } from '@illbridge/database/entities';
import type { NotificationEvent, NotificationEventType } from '@illbridge/queues/payloads';

export type { NotificationEvent, NotificationEventType } from '@illbridge/queues/payloads';
export const NOTIFICATION_EVENT_TYPES: readonly NotificationEventType[] = ['JOB_RUN_ENDED', 'PUSH_FAILED', 'SCHEDULE_STALE', 'NETPUNKT_RECEIPT_REFUSED', 'REQUESTS_OVERDUE', 'TEST'];

/** The final run states that are told. */
const TOLD_RUN_STATES: readonly JobState[] = ['FAILED', 'COMPLETED_WITH_ERRORS'];

const event = (id: string, type: NotificationEventType, profileId: string | null, summary: string, data: Record<string, unknown>): NotificationEvent => ({
  id,
  type,
  profileId,
  occurredAt: new Date().toISOString(),
  summary,
  data,
});

/** A run ended FAILED or COMPLETED_WITH_ERRORS (null for any other state: nothing to tell). */
export function runEndedEvent(
  run: { id: string; profileId: string; jobName: string },
  state: JobState,
  counters?: { totalRecordsProcessed?: number; borrowingFailed?: number; lendingFailed?: number } | null,
  error?: { code: string; message: string } | null,
): NotificationEvent | null {
  if (!TOLD_RUN_STATES.includes(state)) return null;
  const failed = (counters?.borrowingFailed ?? 0) + (counters?.lendingFailed ?? 0);
  const summary = `${run.jobName}: ${state}${error ? ` (${error.code}: ${error.message})` : failed ? ` (${failed} record(s) failed)` : ''}`;
  return event(`run-ended:${run.id}`, 'JOB_RUN_ENDED', run.profileId, summary, {
    runId: run.id,
    jobName: run.jobName,
    state,
    errorCode: error?.code ?? null,
    error: error?.message ?? null,
    recordsProcessed: counters?.totalRecordsProcessed ?? null,
    recordsFailed: failed,
  });
}

/** NACSIS-ILL refused a staff action for good: the action is FAILED and holds its request's queue. One event per
 *  failed attempt (`attempt`: the action's attempt that failed), so an action an operator retried that fails again is
 *  told again, while the same failure redone after a crash is the same event. */
export function pushFailedEvent(push: { requestId: string; profileId: string | null; actionId: string; attempt: number; action: string; seq: number; message: string }): NotificationEvent {
  return event(`push-failed:${push.actionId}:${push.attempt}`, 'PUSH_FAILED', push.profileId, `${push.action} (#${push.seq}) on request ${push.requestId} refused by NACSIS-ILL: ${push.message}`, {
    requestId: push.requestId,
    actionId: push.actionId,
    action: push.action,
    seq: push.seq,
    error: push.message,
  });
}

/** A profile's schedule should have fired at `expectedAt` and no run came (`lastRunAt`: its last run, if any). The id
 *  holds `expectedAt`: every check of the same stale period raises the same event, told once. */
export function scheduleStaleEvent(profile: { id: string; code: string }, expectedAt: Date, lastRunAt: Date | null, marginMinutes: number): NotificationEvent {
  return event(`schedule-stale:${profile.id}:${expectedAt.toISOString()}`, 'SCHEDULE_STALE', profile.id, `Profile ${profile.code}: no run since its schedule was due at ${expectedAt.toISOString()} (margin ${marginMinutes} min)`, {
    expectedAt: expectedAt.toISOString(),
    lastRunAt: lastRunAt?.toISOString() ?? null,
    marginMinutes,
  });
}

/** A Netpunkt receipt refused for a reason other than a wrong password (unreadable, no profile, pickup not mapped). */
export function netpunktRefusedEvent(profileId: string | null, orderId: string | null, reason: string): NotificationEvent {
  return event(`netpunkt-refused:${randomUUID()}`, 'NETPUNKT_RECEIPT_REFUSED', profileId, `Netpunkt receipt${orderId ? ` for order ${orderId}` : ''} refused: ${reason}`, { orderId, reason });
}

/** The overdue check found requests of one profile (null: of no profile) that became overdue: one event per profile
 *  and check, its id made from the first OVERDUE history event it tells, so a check's event is told once. */
export function requestsOverdueEvent(profile: { id: string; code: string } | null, overdue: { requestId: string; eventId: string; dueDate: string }[]): NotificationEvent {
  const requests = [...overdue].sort((a, b) => Number(a.eventId) - Number(b.eventId));
  return event(
    `requests-overdue:${profile?.id ?? 'none'}:${requests[0].eventId}`,
    'REQUESTS_OVERDUE',
    profile?.id ?? null,
    `${profile ? `Profile ${profile.code}: ` : ''}${requests.length} request(s) became overdue`,
    { count: requests.length, requests: requests.map(({ requestId, dueDate }) => ({ requestId, dueDate })) },
  );
}

/** The test-send of one subscriber. */
export function testEvent(profileId: string | null): NotificationEvent {
  return event(`test:${randomUUID()}`, 'TEST', profileId, 'Test notification from ILL Bridge', {});
}
