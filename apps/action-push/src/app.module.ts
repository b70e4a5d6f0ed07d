import { BullModule } from '@nestjs/bullmq';
import { DynamicModule, Inject, Module, OnApplicationBootstrap, Provider } from '@nestjs/common';
import { AppConfig, CoreModule, MetricsService } from '@illbridge/common';
import { DEFAULT_JOB_OPTIONS, QUEUE, QueueProcessorsCheckModule, queuesConsumedBy } from '@illbridge/queues';
import { ReportEventsPublisher } from '@illbridge/queues/report-events';
import { NotifierModule } from '@illbridge/notifications';
import { ActionsController } from './actions.controller';
import { ActionsService } from './actions.service';
import { CatpSessions } from './catp-sessions';
import { Doorbell } from './doorbell';
import { Iso18626Actions } from './iso18626/iso18626-actions';
import { Iso18626ActionsController } from './iso18626/iso18626-actions.controller';
import { Iso18626Connector, OutboundConnectors } from './iso18626/iso18626-connector';
import { PushConnectors } from './push-connector';
import { PushDrainer } from './push-drainer';
import { configuredPushProcessor, PushRecovery } from './push.processor';
import { PushMetrics } from './push-metrics';
import { PushSettings, pushPoolSize } from './push-settings';
import { PushStore } from './push-store';
import { BorrowingController } from './borrowing/borrowing.controller';
import { BorrowingService } from './borrowing/borrowing.service';
import { BorrowingStore } from './borrowing/borrowing-store';

/** Without the worker, the API still shows the push queue's depth in /metrics. */
class QueueMetrics implements OnApplicationBootstrap {
  constructor(
    @Inject(MetricsService) private readonly metrics: MetricsService,
    @Inject(Doorbell) private readonly doorbell: Doorbell,
  ) {}
  onApplicationBootstrap() {
    this.metrics.watchQueues(this.doorbell.queue);
  }
}

/** Staff actions on requests and their push to NACSIS-ILL through an ordered retry queue: the HTTP
 *  API, and (unless `settings.worker` is false) the push worker in the same process. */
@Module({})
export class ActionPushModule {
  static forRoot(config: AppConfig, settings = new PushSettings()): DynamicModule {
    const worker: Provider[] = settings.worker ? [Iso18626Connector, { provide: PushConnectors, useClass: OutboundConnectors }, PushDrainer, configuredPushProcessor(config, settings), PushRecovery] : [QueueMetrics];
    // CATP sessions: the worker's pushes and the API's NACSIS-CAT holdings search (borrowing).
    const borrowing: Provider[] = [CatpSessions, BorrowingStore, BorrowingService];
    return {
      module: ActionPushModule,
      imports: [
        CoreModule.forRoot({ config, redisRole: 'producer', poolSize: pushPoolSize(settings) }),
        BullModule.registerQueue({ name: QUEUE.PUSH, defaultJobOptions: DEFAULT_JOB_OPTIONS[QUEUE.PUSH] }),
        BullModule.registerQueue({ name: QUEUE.REPORT_EVENTS, defaultJobOptions: DEFAULT_JOB_OPTIONS[QUEUE.REPORT_EVENTS] }),
        QueueProcessorsCheckModule.forQueues(settings.worker ? queuesConsumedBy('action-push') : []),
        NotifierModule,
      ],
      controllers: [ActionsController, BorrowingController, Iso18626ActionsController],
      providers: [{ provide: PushSettings, useValue: settings }, PushStore, Doorbell, Iso18626Actions, ActionsService, ReportEventsPublisher, PushMetrics, ...borrowing, ...worker],
    };
  }
}
