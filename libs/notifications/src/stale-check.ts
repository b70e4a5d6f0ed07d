import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { IntegrationProfileEntity } from '@illbridge/database/entities';
import { nextRunAfter, RepeatSpec, scheduleMinuteMs, wantedSchedule } from '@illbridge/queues';
import { NotificationDelivery } from './delivery';
import { scheduleStaleEvent } from './events';
import { NotificationSettings } from './settings';

/** When a schedule that has been waited on since `since` (its profile's last run, or the last change of the profile)
 *  was due, if it is overdue by more than `marginMs` at `now`; null while it is not. */
export function overdueSince(spec: RepeatSpec, since: Date, now: Date, marginMs: number): Date | null {
  const due = nextRunAfter(spec, since);
  return now.getTime() > due.getTime() + marginMs ? due : null;
}

/** The periodic check (a BullMQ job scheduler on the notifications queue): each active, scheduled profile whose
 *  schedule was due more than the margin ago with no run since raises SCHEDULE_STALE, once per stale period (the
 *  event's id is the profile and the due time; a run, or a change of the profile, starts a new period). */
@Injectable()
export class StaleSchedules {
  private readonly logger = new Logger(StaleSchedules.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly delivery: NotificationDelivery,
    private readonly settings: NotificationSettings,
  ) {}

  /** Answers the profiles found stale. */
  async check(now = new Date()): Promise<string[]> {
    const profiles: (IntegrationProfileEntity & { lastRunAt: Date | null })[] = await this.dataSource
      .getRepository(IntegrationProfileEntity)
      .createQueryBuilder('p')
      .addSelect('(SELECT max(r.created_at) FROM job_run r WHERE r.profile_id = p.id)', 'last_run_at')
      .where('p.active')
      .getRawAndEntities()
      .then(({ entities, raw }) => entities.map((p, i) => Object.assign(p, { lastRunAt: raw[i].last_run_at ? new Date(raw[i].last_run_at) : null })));
    const stale: string[] = [];
    const marginMs = this.settings.staleMarginMinutes * scheduleMinuteMs();
    for (const profile of profiles) {
      const spec = wantedSchedule(profile);
      if (!spec) continue;
      const since = profile.lastRunAt && profile.lastRunAt > profile.updatedAt ? profile.lastRunAt : profile.updatedAt;
      const due = overdueSince(spec, since, now, marginMs);
      if (!due) continue;
      stale.push(profile.code);
      await this.delivery.fanOut(scheduleStaleEvent(profile, due, profile.lastRunAt, this.settings.staleMarginMinutes));
    }
    if (stale.length) this.logger.warn(`Stale schedules: ${stale.join(', ')}`);
    return stale;
  }
}
