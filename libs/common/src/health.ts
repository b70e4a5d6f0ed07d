import { Controller, Get, Header, Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import Redis from 'ioredis';
import { redisOptions } from '@illbridge/queues/redis';
import { Public } from './auth';
import { APP_CONFIG, AppConfig } from './config';
import { MetricsService } from './metrics';

/** Redis answers PING within a second. A dedicated fail-fast connection, so a Redis outage shows at once. */
@Injectable()
export class RedisHealthIndicator implements OnModuleDestroy {
  private readonly client: Redis;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly indicators: HealthIndicatorService,
  ) {
    this.client = new Redis({ ...redisOptions(config.redisUrl, 'producer'), lazyConnect: true });
    this.client.on('error', () => undefined); // reported by the check, not as an unhandled error
  }

  async check(key = 'redis') {
    const session = this.indicators.check(key);
    try {
      if (this.client.status === 'wait' || this.client.status === 'end') await this.client.connect().catch(() => undefined);
      const answer = await Promise.race([
        this.client.ping(),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), 1000).unref()),
      ]);
      return answer === 'PONG' ? session.up() : session.down({ message: `unexpected answer ${answer}` });
    } catch (error: any) {
      return session.down({ message: error?.message ?? 'unreachable' });
    }
  }

  async onModuleDestroy() {
    this.client.disconnect();
  }
}

@ApiExcludeController()
@Controller()
@Public()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly redis: RedisHealthIndicator,
    private readonly metrics: MetricsService,
  ) {}

  /** Postgres and Redis, as before; the same answer as /health/ready (kept for existing probes). */
  @Get('health')
  @HealthCheck()
  check() {
    return this.ready();
  }

  /** The process is up and answers; no dependency is asked (a liveness probe: restart only a hung process). */
  @Get('health/live')
  live() {
    return { status: 'ok', info: { process: { status: 'up', uptimeSeconds: Math.round(process.uptime()) } } };
  }

  /** Postgres and Redis reachable: 200, else 503 naming the one that is down (a readiness probe). */
  @Get('health/ready')
  @HealthCheck()
  ready() {
    return this.health.check([() => this.db.pingCheck('database', { timeout: 1500 }), () => this.redis.check('redis')]);
  }

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4')
  async metricsText(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
