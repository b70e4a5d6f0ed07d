import { OnWorkerEvent, WorkerHost } from '@nestjs/bullmq';
import { Injectable, Logger, OnApplicationBootstrap, Type } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '@illbridge/common';
import { configuredProcessor, OverdueSchedule, QUEUE } from '@illbridge/queues';
import { OVERDUE_SQL } from './overdue';

/** The overdue check: records one OVERDUE event on each request that is overdue (OVERDUE_SQL) and has no OVERDUE
 *  event for its current due date yet — so a request is told once per due date, and again after a renewal moved
 *  its due date and that one passed too. One check at a time across instances (advisory lock). */
@Injectable()
export class OverdueCheck {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** The ids of the requests that became overdue in this check. */
  async run(): Promise<string[]> {
    return this.dataSource.transaction(async (em) => {
      await em.query(`SELECT pg_advisory_xact_lock(hashtext('illbridge-overdue-check'))`);
      const rows: { request_id: string }[] = await em.query(
        `INSERT INTO request_event (request_id, type, from_status, to_status, external_system_status, message, data)
         SELECT id, 'OVERDUE', status, status, external_system_status, 'Overdue: due back on ' || due_date::text, jsonb_build_object('dueDate', due_date::text)
           FROM rs_request
          WHERE ${OVERDUE_SQL}
            AND NOT EXISTS (SELECT 1 FROM request_event e WHERE e.request_id = rs_request.id AND e.type = 'OVERDUE' AND e.data->>'dueDate' = rs_request.due_date::text)
         RETURNING request_id`,
      );
      return rows.map((r) => r.request_id);
    });
  }
}

/** Consumes the overdue-check queue; at start-up, makes sure its job scheduler exists. */
@Injectable()
export class OverdueCheckProcessor extends WorkerHost implements OnApplicationBootstrap {
  private readonly logger = new Logger('OverdueCheck');

  constructor(
    private readonly check: OverdueCheck,
    private readonly schedule: OverdueSchedule,
  ) {
    super();
  }

  async onApplicationBootstrap() {
    await this.schedule.apply().catch((error) => this.logger.warn(`Overdue check schedule not set: ${error?.message ?? error}`));
  }

  async process(): Promise<{ overdue: number }> {
    const ids = await this.check.run();
    if (ids.length) this.logger.log(`${ids.length} request(s) became overdue`);
    return { overdue: ids.length };
  }

  @OnWorkerEvent('error')
  onError(error: Error) {
    this.logger.warn(`Queue worker: ${error.message}`);
  }
}

export function configuredOverdueCheckProcessor(config: AppConfig): Type<OverdueCheckProcessor> {
  return configuredProcessor(OverdueCheckProcessor, QUEUE.OVERDUE, config.redisUrl, { concurrency: 1 });
}
