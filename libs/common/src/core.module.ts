import { BullModule } from '@nestjs/bullmq';
import { DynamicModule, Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { TypeOrmModule } from '@nestjs/typeorm';
import { dataSourceOptions } from '@illbridge/database/data-source';
import { redisOptions } from '@illbridge/queues/redis';
import { AuditService } from './audit';
import { ApiKeyAuthenticator, ApiKeyGuard } from './auth';
import { APP_CONFIG, AppConfig } from './config';
import { SecretBox } from './crypto';
import { HealthController, RedisHealthIndicator } from './health';
import { MetricsService } from './metrics';

export interface CoreOptions {
  config: AppConfig;
  /** Workers block on Redis until it is back; HTTP services fail fast and answer 503. */
  redisRole: 'worker' | 'producer';
  /** Serve /health and /metrics (every service does; the simulator does not use this module). */
  http?: boolean;
  /** The service's pool size when DATABASE_POOL_SIZE is unset (DEFAULT_POOL_SIZE if not given). */
  poolSize?: number;
}

/** What every service shares: configuration, the database, the BullMQ connection, API-key auth,
 *  secrets, health and metrics. */
@Global()
@Module({})
export class CoreModule {
  static forRoot({ config, redisRole, http = true, poolSize }: CoreOptions): DynamicModule {
    return {
      module: CoreModule,
      imports: [
        TypeOrmModule.forRoot({ ...dataSourceOptions(config.databaseUrl, {}, config.databasePoolSize ?? poolSize), retryAttempts: 5, retryDelay: 2000 }),
        BullModule.forRoot({ connection: redisOptions(config.redisUrl, redisRole), prefix: config.queuePrefix }),
        TerminusModule.forRoot({ logger: false }),
      ],
      controllers: http ? [HealthController] : [],
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: SecretBox, useValue: new SecretBox(config.secretsKey) },
        MetricsService,
        RedisHealthIndicator,
        ApiKeyAuthenticator,
        AuditService,
        { provide: APP_GUARD, useClass: ApiKeyGuard },
      ],
      exports: [APP_CONFIG, SecretBox, MetricsService, ApiKeyAuthenticator, AuditService],
    };
  }
}
