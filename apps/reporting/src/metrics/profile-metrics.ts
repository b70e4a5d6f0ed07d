import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Gauge } from 'prom-client';
import { DataSource } from 'typeorm';
import { MetricsService } from '@illbridge/common';
import { JOB_STATES } from '@illbridge/database/entities';

/** Seconds between a schedule's runs: what "no successful run within 2× the schedule" (ops/alerts.yml) is measured
 *  against. In real minutes, whatever SCHEDULE_MINUTE_MS says. */
const SCHEDULE_INTERVAL_SQL = `CASE p.schedule_type WHEN 'DAILY' THEN 86400 WHEN 'WEEKLY' THEN 604800
  WHEN 'INTERVAL' THEN p.schedule_every_minutes * 60 END`;

/** Per-profile gauges of /metrics (label `profile`: the profile's code), read from Postgres at scrape time:
 *  "is it still running?" — the last completed run, the last run's state, runs by state, records failed, and the
 *  schedule's interval. A database that is down leaves them empty for that scrape. */
@Injectable()
export class ProfileMetrics implements OnApplicationBootstrap {
  private readonly logger = new Logger(ProfileMetrics.name);

  constructor(
    @Inject(MetricsService) private readonly metrics: MetricsService,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  /** A gauge whose values are the rows of `sql` (each with `profile`, the other labels and `value`). */
  private gauge(name: string, help: string, labelNames: string[], sql: string, fill?: (rows: any[], set: (labels: Record<string, string>, value: number) => void) => void) {
    if (this.metrics.registry.getSingleMetric(name)) return;
    const { dataSource, logger } = this;
    new Gauge({
      name,
      help,
      labelNames,
      registers: [this.metrics.registry],
      async collect() {
        this.reset();
        try {
          const rows: any[] = await dataSource.query(sql);
          const set = (labels: Record<string, string>, value: number) => this.set(labels, value);
          if (fill) fill(rows, set);
          else for (const { value, ...labels } of rows) set(labels, Number(value));
        } catch (error: any) {
          logger.warn(`${name} not collected: ${error.message}`);
        }
      },
    });
  }

  onApplicationBootstrap() {
    this.gauge(
      'illbridge_profile_last_success_timestamp_seconds',
      'When the profile\'s last completed run (COMPLETED_SUCCESSFULLY or COMPLETED_WITH_ERRORS) ended, in Unix seconds',
      ['profile'],
      `SELECT p.code AS profile, extract(epoch FROM max(r.finished_at)) AS value FROM integration_profile p
         JOIN job_run r ON r.profile_id = p.id AND r.state IN ('COMPLETED_SUCCESSFULLY', 'COMPLETED_WITH_ERRORS') AND r.finished_at IS NOT NULL
        GROUP BY p.code`,
    );
    this.gauge(
      'illbridge_profile_last_run_state',
      'The state of the profile\'s last run (1 for that state, 0 for the others)',
      ['profile', 'state'],
      `SELECT DISTINCT ON (p.id) p.code AS profile, r.state FROM integration_profile p JOIN job_run r ON r.profile_id = p.id
        ORDER BY p.id, r.created_at DESC`,
      (rows, set) => {
        for (const row of rows) for (const state of JOB_STATES) set({ profile: row.profile, state }, row.state === state ? 1 : 0);
      },
    );
    this.gauge(
      'illbridge_profile_job_runs',
      'Import job runs of each profile by state',
      ['profile', 'state'],
      `SELECT p.code AS profile, r.state, count(*)::int AS value FROM integration_profile p JOIN job_run r ON r.profile_id = p.id GROUP BY p.code, r.state`,
    );
    this.gauge(
      'illbridge_profile_records_failed',
      'External records that failed in the profile\'s finished runs (a counter kept in Postgres)',
      ['profile'],
      `SELECT p.code AS profile, coalesce(sum((r.counters->>'borrowingFailed')::int + (r.counters->>'lendingFailed')::int), 0)::bigint AS value
         FROM integration_profile p LEFT JOIN job_run r ON r.profile_id = p.id AND r.counters IS NOT NULL GROUP BY p.code`,
    );
    this.gauge(
      'illbridge_profile_schedule_interval_seconds',
      'Seconds between the scheduled runs of each active, scheduled profile',
      ['profile'],
      `SELECT p.code AS profile, ${SCHEDULE_INTERVAL_SQL} AS value FROM integration_profile p
        WHERE p.active AND p.system <> 'NETPUNKT' AND p.schedule_type IN ('DAILY', 'WEEKLY', 'INTERVAL')`,
    );
  }
}
