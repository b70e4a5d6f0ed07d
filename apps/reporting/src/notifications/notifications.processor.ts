import { getQueueToken, OnWorkerEvent, WorkerHost } from '@nestjs/bullmq';
import { Inject, Injectable, Logger, OnApplicationBootstrap, Type } from '@nestjs/common';
import type { Job, Queue } from 'bullmq';
import { AppConfig, jitteredBackoff, MetricsService } from '@illbridge/common';
import { NotificationDelivery, NotificationSettings, StaleSchedules } from '@illbridge/notifications';
import { configuredProcessor, QUEUE } from '@illbridge/queues';
import type { NotificationJob } from '@illbridge/queues/payloads';

/** The id of the job scheduler of the stale-schedule check. */
export const STALE_CHECK_SCHEDULER = 'notifications-stale-check';

/** Consumes the notifications queue: fans events out, sends deliveries (a failed attempt throws, BullMQ retries it
 *  with the shared jittered backoff), and runs the stale-schedule check. */
@Injectable()
export class NotificationsProcessor extends WorkerHost {
  private readonly logger = new Logger('NotificationsProcessor');

  constructor(
    private readonly delivery: NotificationDelivery,
    private readonly stale: StaleSchedules,
  ) {
    super();
  }

  async process(job: Job<NotificationJob>): Promise<unknown> {
    const data = job.data;
    switch (data.kind) {
      case 'event':
        return { deliveries: await this.delivery.fanOut(data.event, data.subscriberId) };
      case 'deliver':
        return { result: await this.delivery.deliver(data.deliveryId, job.attemptsMade, job.opts.attempts ?? 1) };
      case 'stale-check':
        return { stale: await this.stale.check() };
    }
  }

  @OnWorkerEvent('error')
  onError(error: Error) {
    this.logger.warn(`Queue worker: ${error.message}`);
  }
}

export function configuredNotificationsProcessor(config: AppConfig, settings: NotificationSettings): Type<NotificationsProcessor> {
  return configuredProcessor(NotificationsProcessor, QUEUE.NOTIFICATIONS, config.redisUrl, {
    concurrency: 4,
    settings: { backoffStrategy: (attemptsMade: number) => jitteredBackoff(attemptsMade, settings.backoffBaseMs, settings.backoffCapMs) },
  });
}

/** At start-up: the stale-schedule check's job scheduler (every NOTIFY_STALE_CHECK_MS; removed when 0), and the
 *  notifications queue's depth in /metrics. A queue store that is down does not stop the service. */
@Injectable()
export class StaleCheckScheduler implements OnApplicationBootstrap {
  private readonly logger = new Logger(StaleCheckScheduler.name);

  constructor(
    @Inject(getQueueToken(QUEUE.NOTIFICATIONS)) private readonly queue: Queue<NotificationJob>,
    private readonly settings: NotificationSettings,
    private readonly metrics: MetricsService,
  ) {}

  async onApplicationBootstrap() {
    this.metrics.watchQueues(this.queue);
    try {
      if (this.settings.staleCheckEveryMs > 0) {
        await this.queue.upsertJobScheduler(
          STALE_CHECK_SCHEDULER,
          { every: this.settings.staleCheckEveryMs },
          { name: 'stale-check', data: { kind: 'stale-check' }, opts: { attempts: 1, removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } } },
        );
      } else {
        await this.queue.removeJobScheduler(STALE_CHECK_SCHEDULER);
      }
    } catch (error: any) {
      this.logger.error(`Could not set up the stale-schedule check: ${error.message}`);
    }
  }
}
