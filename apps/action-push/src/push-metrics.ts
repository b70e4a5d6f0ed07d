import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Gauge } from 'prom-client';
import { DataSource } from 'typeorm';
import { MetricsService } from '@illbridge/common';

/** `illbridge_push_failed_requests` on action-push's /metrics: the requests whose push is held by a FAILED action
 *  (sync state PUSH_FAILED: refused by NACSIS, or given up), by profile code, read from Postgres at scrape time
 *  (index ix_rs_request_sync). A database that is down leaves the gauge empty for that scrape. */
@Injectable()
export class PushMetrics implements OnApplicationBootstrap {
  private readonly logger = new Logger(PushMetrics.name);

  constructor(
    @Inject(MetricsService) private readonly metrics: MetricsService,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  onApplicationBootstrap() {
    const registry = this.metrics.registry;
    if (registry.getSingleMetric('illbridge_push_failed_requests')) return;
    const dataSource = this.dataSource;
    const logger = this.logger;
    new Gauge({
      name: 'illbridge_push_failed_requests',
      help: 'Requests whose NACSIS push stopped (sync state PUSH_FAILED: refused, or given up) until an operator retries or discards, by profile',
      labelNames: ['profile'],
      registers: [registry],
      async collect() {
        this.reset();
        try {
          const rows: { profile: string | null; count: number }[] = await dataSource.query(
            `SELECT p.code AS profile, count(*)::int AS count
               FROM rs_request r LEFT JOIN integration_profile p ON p.id = r.profile_id
              WHERE r.sync_state = 'PUSH_FAILED' GROUP BY p.code`,
          );
          // The profiles that can push (NACSIS) always show, at 0 when nothing is held.
          const profiles: { code: string }[] = await dataSource.query(`SELECT code FROM integration_profile WHERE system = 'NACSIS'`);
          for (const { code } of profiles) this.set({ profile: code }, 0);
          for (const row of rows) this.set({ profile: row.profile ?? '' }, row.count);
        } catch (error) {
          logger.warn(`illbridge_push_failed_requests not collected: ${(error as Error).message}`);
        }
      },
    });
  }
}
