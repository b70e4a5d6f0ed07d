import { BullModule } from '@nestjs/bullmq';
import { DynamicModule, Inject, Logger, Module, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Queue } from 'bullmq';
import { DataSource } from 'typeorm';
import { AppConfig, CoreModule, MetricsService } from '@illbridge/common';
import { IntegrationProfileEntity } from '@illbridge/database/entities';
import { DEFAULT_JOB_OPTIONS, ImportJobs, QUEUE, QueueProcessorsCheckModule, SchedulesService, settledWithin } from '@illbridge/queues';
import { getQueueToken } from '@nestjs/bullmq';
import { ApiKeysController } from './api-keys/api-keys.controller';
import { Iso18626EndpointController, Iso18626MessagesController } from './iso18626/iso18626.controller';
import { Iso18626InboundService } from './iso18626/iso18626-inbound.service';
import { LibrariesController } from './libraries/libraries.controller';
import { PartnersController } from './partners/partners.controller';
import { NetpunktReceiptsController } from './netpunkt/netpunkt-receipts.controller';
import { NetpunktReceiptsService } from './netpunkt/netpunkt-receipts.service';
import { NetpunktThrottle } from './netpunkt/netpunkt-throttle';
import { StoredReceiptsController } from './netpunkt/stored-receipts.controller';
import { StoredReceiptsService } from './netpunkt/stored-receipts.service';
import { NotifierModule } from '@illbridge/notifications';
import { NotificationSubscribersController } from './notifications/notification-subscribers.controller';
import { LibraryMappingsService } from './profiles/library-mappings.service';
import { ProfilesController } from './profiles/profiles.controller';
import { ProfilesService } from './profiles/profiles.service';

/** At start-up the schedules are rebuilt from the database: missing schedulers (queue store wiped)
 *  come back, orphans go. A queue store that is down does not stop the API from starting. */
const RECONCILE_WAIT_MS = 5000;

class ScheduleReconciler implements OnApplicationBootstrap {
  private readonly logger = new Logger('ScheduleReconciler');
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(SchedulesService) private readonly schedules: SchedulesService,
    @Inject(MetricsService) private readonly metrics: MetricsService,
    @Inject(getQueueToken(QUEUE.IMPORT)) private readonly importQueue: Queue,
  ) {}

  async onApplicationBootstrap() {
    this.metrics.watchQueues(this.importQueue);
    // Waits for Redis at most RECONCILE_WAIT_MS: past it the API starts (and /health/ready says Redis is down) while
    // the reconciliation goes on in the background as soon as Redis answers.
    const reconciled = this.dataSource
      .getRepository(IntegrationProfileEntity)
      .find()
      .then((profiles) => this.schedules.reconcile(profiles))
      .catch((error: any) => this.logger.error(`Could not reconcile schedules at start-up (they are rebuilt at the next start): ${error.message}`));
    const waited = await settledWithin(reconciled, RECONCILE_WAIT_MS);
    if (!waited) this.logger.warn(`Schedules not reconciled within ${RECONCILE_WAIT_MS} ms (is Redis down?); starting, and reconciling when Redis answers`);
  }
}

@Module({})
export class ProfileConfigModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ProfileConfigModule,
      imports: [
        CoreModule.forRoot({ config, redisRole: 'producer' }),
        BullModule.registerQueue({ name: QUEUE.IMPORT, defaultJobOptions: DEFAULT_JOB_OPTIONS[QUEUE.IMPORT] }),
        QueueProcessorsCheckModule.forQueues([]),
        NotifierModule,
      ],
      controllers: [ApiKeysController, LibrariesController, PartnersController, ProfilesController, NetpunktReceiptsController, StoredReceiptsController, NotificationSubscribersController, Iso18626EndpointController, Iso18626MessagesController],
      providers: [ImportJobs, SchedulesService, ProfilesService, LibraryMappingsService, NetpunktReceiptsService, NetpunktThrottle, StoredReceiptsService, ScheduleReconciler, Iso18626InboundService],
    };
  }
}
