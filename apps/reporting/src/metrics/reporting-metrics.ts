import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { getQueueToken } from '@nestjs/bullmq';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Queue } from 'bullmq';
import { Gauge } from 'prom-client';
import { DataSource } from 'typeorm';
import { MetricsService } from '@illbridge/common';
import { ACTIVE_JOB_STATES, JOB_STATES, RECORD_OUTCOMES } from '@illbridge/database/entities';
import { QUEUE } from '@illbridge/queues';
import { COUNTERS_COLUMNS } from '@illbridge/database/job-counters';

/** /metrics of the reporting service: the import queue's depths, and gauges read from Postgres at
 *  scrape time — runs by state, and records by outcome. Records are summed from the counters stored
 *  on finished runs plus the live record events of active runs only, so a scrape never scans the
 *  whole record_event table. A database that is down leaves these gauges empty for that scrape. */
@Injectable()
export class ReportingMetrics implements OnApplicationBootstrap {
  private readonly logger = new Logger(ReportingMetrics.name);

  constructor(
    @Inject(MetricsService) private readonly metrics: MetricsService,
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(getQueueToken(QUEUE.IMPORT)) private readonly importQueue: Queue,
  ) {}

  onApplicationBootstrap() {
    this.metrics.watchQueues(this.importQueue);
    const registry = this.metrics.registry;
    const dataSource = this.dataSource;
    const logger = this.logger;
    if (!registry.getSingleMetric('illbridge_job_runs')) {
      new Gauge({
        name: 'illbridge_job_runs',
        help: 'Import job runs by state',
        labelNames: ['state'],
        registers: [registry],
        async collect() {
          this.reset();
          try {
            const rows: { state: string; count: number }[] = await dataSource.query('SELECT state, count(*)::int AS count FROM job_run GROUP BY state');
            for (const state of JOB_STATES) this.set({ state }, rows.find((r) => r.state === state)?.count ?? 0);
          } catch (error: any) {
            logger.warn(`illbridge_job_runs not collected: ${error.message}`);
          }
        },
      });
    }
    if (!registry.getSingleMetric('illbridge_records')) {
      new Gauge({
        name: 'illbridge_records',
        help: 'External records processed by import runs, by outcome (a counter kept in Postgres)',
        labelNames: ['outcome'],
        registers: [registry],
        async collect() {
          this.reset();
          try {
            const [row] = await dataSource.query(
              `WITH finished AS (
                 SELECT coalesce(sum((counters->>'created')::int), 0)::bigint AS created,
                        coalesce(sum((counters->>'updated')::int), 0)::bigint AS updated,
                        coalesce(sum((counters->>'unchanged')::int), 0)::bigint AS unchanged,
                        coalesce(sum((counters->>'borrowingFailed')::int + (counters->>'lendingFailed')::int), 0)::bigint AS failed
                   FROM job_run WHERE state <> ALL($1::text[]) AND counters IS NOT NULL),
               live AS (
                 SELECT ${COUNTERS_COLUMNS} FROM record_event
                  WHERE job_run_id IN (SELECT id FROM job_run WHERE state = ANY($1::text[])))
               SELECT f.created + l.created AS created, f.updated + l.updated AS updated, f.unchanged + l.unchanged AS unchanged,
                      f.failed + l.bf + l.lf AS failed
                 FROM finished f, live l`,
              [ACTIVE_JOB_STATES],
            );
            const values: Record<string, number> = { CREATED: Number(row.created), UPDATED: Number(row.updated), UNCHANGED: Number(row.unchanged), FAILED: Number(row.failed) };
            for (const outcome of RECORD_OUTCOMES) this.set({ outcome }, values[outcome] ?? 0);
          } catch (error: any) {
            logger.warn(`illbridge_records not collected: ${error.message}`);
          }
        },
      });
    }
  }
}
