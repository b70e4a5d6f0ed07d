import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger } from '@nestjs/common';
import { Queue } from 'bullmq';
import { IntegrationProfileEntity } from '@illbridge/database/entities';
import { ImportJobs } from './import-jobs';
import { QUEUE } from './names';
import type { ImportJobData, OverdueJobData } from './payloads';
import { OVERDUE_SCHEDULER_ID, overdueRepeatSpec, RepeatSpec, repeatSpecFor, SCHEDULER_ID_PREFIX, schedulerIdFor } from './schedule';

type ScheduledProfile = Pick<
  IntegrationProfileEntity,
  'id' | 'name' | 'system' | 'active' | 'scheduleType' | 'scheduleTime' | 'scheduleDayOfWeek' | 'scheduleEveryMinutes' | 'scheduleTimezone'
>;

/** The schedule a profile wants, or null: inactive, unscheduled and Netpunkt (pushed) profiles want none. */
export function wantedSchedule(profile: ScheduledProfile): RepeatSpec | null {
  if (!profile.active || profile.system === 'NETPUNKT') return null;
  return repeatSpecFor({
    type: profile.scheduleType,
    time: profile.scheduleTime,
    dayOfWeek: profile.scheduleDayOfWeek,
    everyMinutes: profile.scheduleEveryMinutes,
    timezone: profile.scheduleTimezone,
  });
}

/** Keeps BullMQ job schedulers equal to what the profiles in the database want: one per active,
 *  scheduled profile, none otherwise. The database is the truth; Redis is rebuilt from it. */
@Injectable()
export class SchedulesService {
  private readonly logger = new Logger(SchedulesService.name);

  constructor(@InjectQueue(QUEUE.IMPORT) private readonly queue: Queue<ImportJobData>) {}

  async apply(profile: ScheduledProfile): Promise<void> {
    const id = schedulerIdFor(profile.id);
    const spec = wantedSchedule(profile);
    if (!spec) {
      await this.queue.removeJobScheduler(id);
      return;
    }
    await this.queue.upsertJobScheduler(id, spec, ImportJobs.scheduledJob(profile));
  }

  async remove(profileId: string): Promise<void> {
    await this.queue.removeJobScheduler(schedulerIdFor(profileId));
  }

  /** Rebuilds missing schedulers and removes orphans. Returns what it changed. */
  async reconcile(profiles: ScheduledProfile[]): Promise<{ upserted: number; removed: number }> {
    const wanted = new Set<string>();
    let upserted = 0;
    for (const profile of profiles) {
      if (!wantedSchedule(profile)) continue;
      wanted.add(schedulerIdFor(profile.id));
      await this.apply(profile);
      upserted++;
    }
    let removed = 0;
    for (const scheduler of await this.queue.getJobSchedulers(0, -1)) {
      const id = scheduler.id ?? scheduler.key;
      if (id.startsWith(SCHEDULER_ID_PREFIX) && !wanted.has(id)) {
        await this.queue.removeJobScheduler(id);
        removed++;
      }
    }
    this.logger.log(`Schedules reconciled: ${upserted} kept or rebuilt, ${removed} orphan(s) removed`);
    return { upserted, removed };
  }

  /** The scheduler's next run, as BullMQ holds it; null when the profile has no scheduler. */
  async nextRunAt(profileId: string): Promise<Date | null> {
    const scheduler = await this.queue.getJobScheduler(schedulerIdFor(profileId));
    return scheduler?.next ? new Date(scheduler.next) : null;
  }
}

/** The overdue check's one job scheduler (upserted by reporting, its consumer, at start-up; an upsert of the same
 *  id changes nothing, so several reporting instances keep one scheduler). */
@Injectable()
export class OverdueSchedule {
  constructor(@InjectQueue(QUEUE.OVERDUE) private readonly queue: Queue<OverdueJobData>) {}

  async apply(): Promise<void> {
    await this.queue.upsertJobScheduler(OVERDUE_SCHEDULER_ID, overdueRepeatSpec(), { name: 'overdue-check', data: {} });
  }

  /** Runs the check now (besides the schedule). */
  async runNow(): Promise<void> {
    await this.queue.add('overdue-check', {});
  }
}
