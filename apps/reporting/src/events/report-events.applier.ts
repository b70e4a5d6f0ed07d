import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Counter } from 'prom-client';
import { DataSource } from 'typeorm';
import { MetricsService } from '@illbridge/common';
import { ACTIVE_JOB_STATES } from '@illbridge/database/entities';
import { ZERO_COUNTERS } from '@illbridge/database/job-counters';
import type { ReportEvent } from '@illbridge/queues/report-events';

const COUNTER_KEYS = Object.keys(ZERO_COUNTERS);
/** counters + $2 (a delta), key by key, in SQL: concurrent events for one run add up without losing any. */
const ADD_DELTA = `jsonb_build_object(${COUNTER_KEYS.map((k) => `'${k}', COALESCE((counters->>'${k}')::int, 0) + COALESCE(($2::jsonb->>'${k}')::int, 0)`).join(', ')})`;

/** Applies report events to reporting's projections: the live counters of running job runs, and the
 *  Prometheus counters of records by outcome, pushes by result and runs by final state. Each event
 *  id is applied once (report_event table, in the same transaction), so a redelivery counts nothing twice. */
@Injectable()
export class ReportEventsApplier {
  private readonly records: Counter<string>;
  private readonly pushes: Counter<string>;
  private readonly runsEnded: Counter<string>;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    metrics: MetricsService,
  ) {
    this.records = metrics.counter('illbridge_report_records_total', 'External records imported, by outcome (from report events)', ['outcome']);
    this.pushes = metrics.counter('illbridge_report_pushes_total', 'Pushes of staff actions to NACSIS-ILL, by result (from report events)', ['result']);
    this.runsEnded = metrics.counter('illbridge_report_runs_ended_total', 'Import job runs ended, by final state (from report events)', ['state']);
  }

  /** True when the event was new and applied; false for a redelivery. */
  async apply(event: ReportEvent): Promise<boolean> {
    const applied = await this.dataSource.transaction(async (em) => {
      const inserted: unknown[] = await em.query(`INSERT INTO report_event (id, type) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING RETURNING id`, [event.id, event.type]);
      if (!inserted.length) return false;
      if (event.type === 'records') {
        await em.query(`UPDATE job_run SET counters = ${ADD_DELTA} WHERE id = $1 AND state = ANY($3::text[])`, [event.runId, JSON.stringify(event.delta), ACTIVE_JOB_STATES]);
      }
      return true;
    });
    if (!applied) return false;
    if (event.type === 'records') {
      this.records.inc({ outcome: 'CREATED' }, event.delta.created);
      this.records.inc({ outcome: 'UPDATED' }, event.delta.updated);
      this.records.inc({ outcome: 'UNCHANGED' }, event.delta.unchanged);
      this.records.inc({ outcome: 'FAILED' }, event.delta.borrowingFailed + event.delta.lendingFailed);
    } else if (event.type === 'push') {
      this.pushes.inc({ result: event.result });
    } else {
      this.runsEnded.inc({ state: event.state });
    }
    return true;
  }
}
