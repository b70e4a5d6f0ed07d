import { BullModule } from '@nestjs/bullmq';
import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig, CoreModule, MeController } from '@illbridge/common';
import { ALL_QUEUES, DEFAULT_JOB_OPTIONS, OverdueSchedule, QueueProcessorsCheckModule, queuesConsumedBy } from '@illbridge/queues';
import { configuredOverdueCheckProcessor, OverdueCheck } from './desk/overdue-check';
import { SavedFiltersController, SavedFiltersService } from './desk/saved-filters';
import { StatisticsController, StatisticsService } from './desk/statistics';
import { ReportEventsApplier } from './events/report-events.applier';
import { configuredReportEventsProcessor } from './events/report-events.processor';
import { JobHistoryController, JobsController } from './jobs/jobs.controller';
import { JobsService } from './jobs/jobs.service';
import { ReportingMetrics } from './metrics/reporting-metrics';
import { FacetCompactionService } from './requests/facet-compaction.service';
import { RequestsController } from './requests/requests.controller';
import { RequestsService } from './requests/requests.service';

/** Monitor jobs, job reports, events reports, request lists with facets; the queue dashboard (main.ts);
 *  the consumer of the workers' report events (live counters of running jobs, metrics). */
@Module({})
export class ReportingModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ReportingModule,
      imports: [
        CoreModule.forRoot({ config, redisRole: 'producer' }),
        // Every queue of the product: the import queue's depth in /metrics, all of them in the dashboard.
        ...ALL_QUEUES.map((name) => BullModule.registerQueue({ name, defaultJobOptions: DEFAULT_JOB_OPTIONS[name] })),
        QueueProcessorsCheckModule.forQueues(queuesConsumedBy('reporting')),
      ],
      controllers: [JobsController, JobHistoryController, RequestsController, MeController, StatisticsController, SavedFiltersController],
      providers: [JobsService, RequestsService, FacetCompactionService, ReportingMetrics, ReportEventsApplier, configuredReportEventsProcessor(config),
        OverdueCheck, OverdueSchedule, configuredOverdueCheckProcessor(config), StatisticsService, SavedFiltersService],
    };
  }
}
