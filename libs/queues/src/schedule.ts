import { CronExpressionParser } from 'cron-parser';
import type { DayOfWeek, ScheduleType } from '@illbridge/database/entities/enums';

export interface ScheduleSpec {
  type: ScheduleType;
  time?: string | null;
  dayOfWeek?: DayOfWeek | null;
  everyMinutes?: number | null;
  timezone?: string | null;
}

/** BullMQ job scheduler repeat options: a cron pattern in the profile's zone, or a fixed interval. */
export type RepeatSpec = { pattern: string; tz: string } | { every: number };

const CRON_DAY: Record<DayOfWeek, number> = { SUN: 0, MON: 1, TUE: 2, WED: 3, THU: 4, FRI: 5, SAT: 6 };

/** Stable scheduler id derived from the profile id: one scheduler per profile, ever. */
export function schedulerIdFor(profileId: string): string {
  return `import-profile:${profileId}`;
}
export const SCHEDULER_ID_PREFIX = 'import-profile:';

/** How long a schedule's "minute" is, for INTERVAL schedules: 60 000 ms, except where `NODE_ENV` is `test` or
 *  `development` and `SCHEDULE_MINUTE_MS` is set (tests let `everyMinutes: 5` fire every second, so a schedule is
 *  seen to fire end to end). Never shortened in production. */
export function scheduleMinuteMs(env: NodeJS.ProcessEnv = process.env): number {
  const shortened = Number(env.SCHEDULE_MINUTE_MS);
  return ['test', 'development'].includes(env.NODE_ENV ?? '') && Number.isSafeInteger(shortened) && shortened >= 10 ? shortened : 60_000;
}

/** The overdue check's scheduler: one for the whole product. It fires every `OVERDUE_CHECK_MS` (default one hour,
 *  at least a second), so that each library's midnight, in its own time zone, is met within the hour. */
export const OVERDUE_SCHEDULER_ID = 'overdue-check';
export function overdueRepeatSpec(env: NodeJS.ProcessEnv = process.env): { every: number } {
  const every = Number(env.OVERDUE_CHECK_MS);
  return { every: Number.isSafeInteger(every) && every >= 1000 ? every : 3_600_000 };
}

export function repeatSpecFor(schedule: ScheduleSpec, minuteMs = scheduleMinuteMs()): RepeatSpec | null {
  const tz = schedule.timezone || 'UTC';
  const [hour, minute] = (schedule.time ?? '').split(':').map(Number);
  switch (schedule.type) {
    case 'DAILY':
      return { pattern: `${minute} ${hour} * * *`, tz };
    case 'WEEKLY':
      return { pattern: `${minute} ${hour} * * ${CRON_DAY[schedule.dayOfWeek as DayOfWeek]}`, tz };
    case 'INTERVAL':
      return { every: Number(schedule.everyMinutes) * minuteMs };
    default:
      return null;
  }
}

/** When a schedule fires next after `from` — the same computation BullMQ makes (cron-parser with
 *  the zone; intervals aligned to multiples of `every`). */
export function nextRunAfter(spec: RepeatSpec, from: Date): Date {
  if ('every' in spec) return new Date((Math.floor(from.getTime() / spec.every) + 1) * spec.every);
  return CronExpressionParser.parse(spec.pattern, { currentDate: from, tz: spec.tz }).next().toDate();
}
