import { BullModule } from '@nestjs/bullmq';
import { DynamicModule, Inject, Module, OnApplicationBootstrap, Provider } from '@nestjs/common';
import { AppConfig, CoreModule, MetricsService } from '@illbridge/common';
import { DEFAULT_JOB_OPTIONS, QUEUE, QueueProcessorsCheckModule, queuesConsumedBy } from '@illbridge/queues';
import { ReportEventsPublisher } from '@illbridge/queues/report-events';
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
import { PushSettings } from './push-settings';
import { PushStore } from './push-store';

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
    const worker: Provider[] = settings.worker ? [CatpSessions, Iso18626Connector, { provide: PushConnectors, useClass: OutboundConnectors }, PushDrainer, configuredPushProcessor(config, settings), PushRecovery] : [QueueMetrics];
    return {
      module: ActionPushModule,
      imports: [
        CoreModule.forRoot({ config, redisRole: 'producer' }),
        BullModule.registerQueue({ name: QUEUE.PUSH, defaultJobOptions: DEFAULT_JOB_OPTIONS[QUEUE.PUSH] }),
        BullModule.registerQueue({ name: QUEUE.REPORT_EVENTS, defaultJobOptions: DEFAULT_JOB_OPTIONS[QUEUE.REPORT_EVENTS] }),
        QueueProcessorsCheckModule.forQueues(settings.worker ? queuesConsumedBy('action-push') : []),
      ],
      controllers: [ActionsController, Iso18626ActionsController],
      providers: [{ provide: PushSettings, useValue: settings }, PushStore, Doorbell, Iso18626Actions, ActionsService, ReportEventsPublisher, ...worker],
    };
  }
}
