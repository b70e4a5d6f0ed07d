import { OnWorkerEvent, WorkerHost } from '@nestjs/bullmq';
import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, Type } from '@nestjs/common';
import { Job } from 'bullmq';
import { AppConfig, jitteredBackoff, MetricsService } from '@illbridge/common';
import { configuredProcessor, PushJobData, QUEUE } from '@illbridge/queues';
import { Doorbell } from './doorbell';
import { DrainOutcome, LeaseBusyError, PushDrainer, TransientPushError } from './push-drainer';
import { PushSettings } from './push-settings';
import { PushStore } from './push-store';

/** Consumes drain jobs. Errors are thrown, never swallowed: a transient failure or a request held by
 *  another drain is retried by BullMQ with the jittered backoff. */
@Injectable()
export class PushProcessor extends WorkerHost {
  protected readonly logger = new Logger('PushProcessor');

  constructor(private readonly drainer: PushDrainer) {
    super();
  }

  process(job: Job<PushJobData>): Promise<DrainOutcome> {
    return this.drainer.drain(job.data.requestId);
  }

  /** The worker's own errors (Redis gone, a job's keys wiped under it): logged, not printed raw. */
  @OnWorkerEvent('error')
  onError(error: Error) {
    this.logger.warn(`Queue worker: ${error.message}`);
  }

  @OnWorkerEvent('failed')
  onFailed(job: Job<PushJobData> | undefined, error: Error) {
    if (!job) return;
    const final = job.attemptsMade >= (job.opts.attempts ?? 1);
    const text = `Drain job ${job.id} (attempt ${job.attemptsMade}${final ? ', final: the sweep rings again later' : ', will retry'}): ${error.message}`;
    if (error instanceof LeaseBusyError) this.logger.debug(text);
    else if (error instanceof TransientPushError && !final) this.logger.log(text);
    else this.logger.warn(text);
  }
}

/** The processor for one configuration: the concurrency, lock and jittered backoff of the settings (a Retry-After
 *  longer than the backoff is waited for, up to the cap). */
export function configuredPushProcessor(config: AppConfig, settings: PushSettings): Type<PushProcessor> {
  return configuredProcessor(PushProcessor, QUEUE.PUSH, config.redisUrl, {
    concurrency: settings.concurrency,
    lockDuration: settings.lockDurationMs,
    stalledInterval: settings.lockDurationMs,
    maxStalledCount: 3,
    settings: {
      backoffStrategy: (attemptsMade: number, _type?: string, error?: Error) => {
        const delay = jitteredBackoff(attemptsMade, settings.backoffBaseMs, settings.backoffCapMs);
        const retryAfter = error instanceof TransientPushError ? (error.retryAfterMs ?? 0) : 0;
        return Math.max(delay, Math.min(retryAfter, settings.backoffCapMs));
      },
    },
  });
}

/** Postgres is the ordered log; Redis only rings. At start-up, and then every `sweepIntervalMs`,
 *  every request whose actions wait (PENDING, or SENDING after a crash) and that no drain holds gets
 *  its doorbell rung: wiping Redis, a job that ran out of attempts or a dead worker loses nothing. */
@Injectable()
export class PushRecovery implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(PushRecovery.name);
  private timer?: NodeJS.Timeout;
  private sweeping?: Promise<number>;

  constructor(
    private readonly store: PushStore,
    private readonly doorbell: Doorbell,
    private readonly settings: PushSettings,
    private readonly metrics: MetricsService,
  ) {}

  async onApplicationBootstrap() {
    this.metrics.watchQueues(this.doorbell.queue);
    const rung = await this.sweep(true).catch((error) => {
      this.logger.error(`Recovery at start-up failed (the sweep tries again): ${error.message}`);
      return 0;
    });
    if (rung) this.logger.log(`Rang the push doorbell for ${rung} request(s) with actions waiting`);
    if (this.settings.sweepIntervalMs > 0) {
      this.timer = setInterval(() => {
        if (this.sweeping) return;
        this.sweeping = this.sweep(false)
          .catch((error) => {
            this.logger.warn(`Push sweep failed: ${error.message}`);
            return 0;
          })
          .finally(() => (this.sweeping = undefined));
      }, this.settings.sweepIntervalMs);
      this.timer.unref();
    }
  }

  /** At start-up every waiting request; later only those no drain holds now. */
  async sweep(all: boolean): Promise<number> {
    const waiting = await this.store.waitingRequests(!all);
    for (const requestId of waiting) await this.doorbell.ring(requestId);
    return waiting.length;
  }

  async onApplicationShutdown() {
    if (this.timer) clearInterval(this.timer);
    await this.sweeping;
  }
}
