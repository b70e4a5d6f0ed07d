import { OnWorkerEvent, WorkerHost } from '@nestjs/bullmq';
import { Injectable, Logger, OnApplicationBootstrap, Type } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '@illbridge/common';
import { configuredProcessor, OverdueSchedule, QUEUE } from '@illbridge/queues';
import { NotificationDelivery, requestsOverdueEvent } from '@illbridge/notifications';
import { OVERDUE_SQL } from './overdue';

/** The overdue check: records one OVERDUE event on each request that is overdue (OVERDUE_SQL) and has no OVERDUE
 *  event for its current due date yet — so a request is told once per due date, and again after a renewal moved
 *  its due date and that one passed too. One check at a time across instances (advisory lock). After the commit,
 *  the subscribers are told: one REQUESTS_OVERDUE event per profile listing its requests that became overdue. */
@Injectable()
export class OverdueCheck {
  private readonly logger = new Logger(OverdueCheck.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly delivery: NotificationDelivery,
  ) {}

  /** The ids of the requests that became overdue in this check. */
  async run(): Promise<string[]> {
    const rows: OverdueRow[] = await this.dataSource.transaction(async (em) => {
      await em.query(`SELECT pg_advisory_xact_lock(hashtext('illbridge-overdue-check'))`);
      return em.query(
        `WITH told AS (
           INSERT INTO request_event (request_id, type, from_status, to_status, external_system_status, message, data)
           SELECT id, 'OVERDUE', status, status, external_system_status, 'Overdue: due back on ' || due_date::text, jsonb_build_object('dueDate', due_date::text)
             FROM rs_request
            WHERE ${OVERDUE_SQL}
              AND NOT EXISTS (SELECT 1 FROM request_event e WHERE e.request_id = rs_request.id AND e.type = 'OVERDUE' AND e.data->>'dueDate' = rs_request.due_date::text)
           RETURNING id, request_id, data->>'dueDate' AS due_date
         )
         SELECT told.id::text AS event_id, told.request_id, told.due_date, p.id AS profile_id, p.code AS profile_code
           FROM told JOIN rs_request r ON r.id = told.request_id LEFT JOIN integration_profile p ON p.id = r.profile_id`,
      );
    });
    await this.tell(rows);
    return rows.map((r) => r.request_id);
  }

  /** One REQUESTS_OVERDUE event per profile; a delivery that cannot be written is logged, the check's events stay. */
  private async tell(rows: OverdueRow[]): Promise<void> {
    const byProfile = new Map<string, OverdueRow[]>();
    for (const row of rows) {
      const group = byProfile.get(row.profile_id ?? '');
      if (group) group.push(row);
      else byProfile.set(row.profile_id ?? '', [row]);
    }
    for (const group of byProfile.values()) {
      const { profile_id, profile_code } = group[0];
      const event = requestsOverdueEvent(profile_id ? { id: profile_id, code: profile_code! } : null, group.map((r) => ({ requestId: r.request_id, eventId: r.event_id, dueDate: r.due_date })));
      await this.delivery.fanOut(event).catch((error) => this.logger.warn(`Overdue requests not told (${event.id}): ${error?.message ?? error}`));
    }
  }
}

interface OverdueRow {
  event_id: string;
  request_id: string;
  due_date: string;
  profile_id: string | null;
  profile_code: string | null;
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
