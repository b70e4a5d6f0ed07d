import { BullModule } from '@nestjs/bullmq';
import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig, CoreModule } from '@illbridge/common';
import { DEFAULT_JOB_OPTIONS, QUEUE } from '@illbridge/queues';
import { JobHistoryController, JobsController } from './jobs/jobs.controller';
import { JobsService } from './jobs/jobs.service';
import { ReportingMetrics } from './metrics/reporting-metrics';
import { RequestsController } from './requests/requests.controller';
import { RequestsService } from './requests/requests.service';

/** Monitor jobs, job reports, events reports, request lists with facets. */
@Module({})
export class ReportingModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ReportingModule,
      imports: [
        CoreModule.forRoot({ config, redisRole: 'producer' }),
        BullModule.registerQueue({ name: QUEUE.IMPORT, defaultJobOptions: DEFAULT_JOB_OPTIONS[QUEUE.IMPORT] }),
      ],
      controllers: [JobsController, JobHistoryController, RequestsController],
      providers: [JobsService, RequestsService, ReportingMetrics],
    };
  }
}
