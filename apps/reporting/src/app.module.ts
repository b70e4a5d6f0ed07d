import { BullModule } from '@nestjs/bullmq';
import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig, CoreModule, MeController } from '@illbridge/common';
import { NotificationDelivery, NotificationSettings, StaleSchedules } from '@illbridge/notifications';
import { ALL_QUEUES, DEFAULT_JOB_OPTIONS, OverdueSchedule, QueueProcessorsCheckModule, queuesConsumedBy } from '@illbridge/queues';
import { AuditController } from './audit/audit.controller';
import { configuredOverdueCheckProcessor, OverdueCheck } from './desk/overdue-check';
import { SavedFiltersController, SavedFiltersService } from './desk/saved-filters';
import { StatisticsController, StatisticsService } from './desk/statistics';
import { ReportEventsApplier } from './events/report-events.applier';
import { configuredReportEventsProcessor } from './events/report-events.processor';
import { JobHistoryController, JobsController } from './jobs/jobs.controller';
import { JobsService } from './jobs/jobs.service';
import { ProfileMetrics } from './metrics/profile-metrics';
import { ReportingMetrics } from './metrics/reporting-metrics';
import { configuredNotificationsProcessor, StaleCheckScheduler } from './notifications/notifications.processor';
import { FacetCompactionService } from './requests/facet-compaction.service';
import { RequestsController } from './requests/requests.controller';
import { RequestsService } from './requests/requests.service';

/** Monitor jobs, job reports, events reports, request lists with facets; the queue dashboard (main.ts);
 *  the consumer of the workers' report events (live counters of running jobs, metrics). */
@Module({})
export class ReportingModule {
  static forRoot(config: AppConfig, notifications = new NotificationSettings()): DynamicModule {
    return {
      module: ReportingModule,
      imports: [
        CoreModule.forRoot({ config, redisRole: 'producer' }),
        // Every queue of the product: the import queue's depth in /metrics, all of them in the dashboard.
        ...ALL_QUEUES.map((name) => BullModule.registerQueue({ name, defaultJobOptions: DEFAULT_JOB_OPTIONS[name] })),
        QueueProcessorsCheckModule.forQueues(queuesConsumedBy('reporting')),
      ],
      controllers: [JobsController, JobHistoryController, RequestsController, MeController, AuditController, StatisticsController, SavedFiltersController],
      providers: [JobsService, RequestsService, FacetCompactionService, ReportingMetrics, ReportEventsApplier, configuredReportEventsProcessor(config),
        // Notifications: the delivering worker and the stale-schedule check (libs/notifications).
        { provide: NotificationSettings, useValue: notifications }, NotificationDelivery, StaleSchedules, configuredNotificationsProcessor(config, notifications), StaleCheckScheduler, ProfileMetrics,
        // The desk: the overdue check, statistics, saved filters.
        OverdueCheck, OverdueSchedule, configuredOverdueCheckProcessor(config), StatisticsService, SavedFiltersService],
    };
  }
}
