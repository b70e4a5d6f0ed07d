import { BullModule, getQueueToken } from '@nestjs/bullmq';
import { DynamicModule, Inject, Module, OnApplicationBootstrap } from '@nestjs/common';
import { Queue } from 'bullmq';
import { AppConfig, CoreModule, MetricsService } from '@illbridge/common';
import { DEFAULT_JOB_OPTIONS, ImportJobs, QUEUE, QueueProcessorsCheckModule, queuesConsumedBy, ReportEventsPublisher, SchedulesService } from '@illbridge/queues';
import { NotifierModule } from '@illbridge/notifications';
import { ImportSettings } from './import-settings';
import { configuredImportProcessor } from './import.processor';
import { ImporterRegistry, IMPORTERS, ImportRunner } from './import-runner';
import { LibrisImporter } from './libris/libris-importer';
import { NacsisImporter } from './nacsis/nacsis-importer';
import { NetpunktImporter } from './netpunkt/netpunkt-importer';
import { RecoveryService } from './recovery.service';
import { configuredMaintenanceProcessor, RetentionService } from './retention';
import { JobRunsService } from './runs/job-runs.service';
import { RunProgress } from './runs/run-progress';

class QueueMetrics implements OnApplicationBootstrap {
  constructor(
    @Inject(MetricsService) private readonly metrics: MetricsService,
    @Inject(getQueueToken(QUEUE.IMPORT)) private readonly queue: Queue,
  ) {}
  onApplicationBootstrap() {
    this.metrics.watchQueues(this.queue);
  }
}

@Module({})
export class ImportWorkerModule {
  static forRoot(config: AppConfig, settings = new ImportSettings()): DynamicModule {
    return {
      module: ImportWorkerModule,
      imports: [
        CoreModule.forRoot({ config, redisRole: 'worker' }),
        BullModule.registerQueue({ name: QUEUE.IMPORT, defaultJobOptions: DEFAULT_JOB_OPTIONS[QUEUE.IMPORT] }),
        BullModule.registerQueue({ name: QUEUE.REPORT_EVENTS, defaultJobOptions: DEFAULT_JOB_OPTIONS[QUEUE.REPORT_EVENTS] }),
        BullModule.registerQueue({ name: QUEUE.MAINTENANCE, defaultJobOptions: DEFAULT_JOB_OPTIONS[QUEUE.MAINTENANCE] }),
        QueueProcessorsCheckModule.forQueues(queuesConsumedBy('import-worker')),
        NotifierModule,
      ],
      providers: [
        { provide: ImportSettings, useValue: settings },
        ReportEventsPublisher,
        JobRunsService,
        RunProgress,
        LibrisImporter,
        NetpunktImporter,
        NacsisImporter,
        {
          provide: IMPORTERS,
          inject: [LibrisImporter, NetpunktImporter, NacsisImporter],
          useFactory: (libris: LibrisImporter, netpunkt: NetpunktImporter, nacsis: NacsisImporter): ImporterRegistry => ({ LIBRIS: libris, NETPUNKT: netpunkt, NACSIS: nacsis }),
        },
        ImportRunner,
        configuredImportProcessor(config.redisUrl, settings),
        ImportJobs,
        SchedulesService,
        RecoveryService,
        QueueMetrics,
        RetentionService,
        configuredMaintenanceProcessor(config.redisUrl),
      ],
    };
  }
}
