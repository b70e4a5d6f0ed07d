import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { conflict, notFound, Page, roleAllows } from '@illbridge/common';
import type { Direction, Role, JobCounters, JobStage, JobState, JobTrigger, RecordOutcome } from '@illbridge/database/entities';
import { ACTIVE_JOB_STATES } from '@illbridge/database/entities';
import { isUuid, SqlWhere, upperBound } from '../common';
import { COUNTERS_JSONB_FOR_RUN, runCounters, runsCounters, ZERO_COUNTERS } from '@illbridge/database/job-counters';
import type { EventsFilter, JobHistoryQuery, JobsQuery } from './jobs.dto';
import { viewerReason } from './viewer-reason';

function runError(code: string, message: string, role: Role): { code: string; message: string } {
  return { code, message: roleAllows(role, 'operator') ? message : viewerReason(message) };
}


/** At most this many failed records are listed per direction in a job report; the counters and the
 *  events report (with its CSV) always give all of them. */
export const FAILED_LIST_LIMIT = 1000;

export interface MonitorJob {
  id: string;
  profileId: string;
  profileCode: string | null;
  jobName: string;
  trigger: JobTrigger;
  state: JobState;
  startedAt: Date | null;
  finishedAt: Date | null;
  createdAt: Date;
  abortRequested: boolean;
  /** `detail`: what the stage is doing, in words (e.g. the Libris refresh's count and pace), or null. */
  progress: { stage: JobStage; recordsRead: number; detail: string | null };
  counters: JobCounters;
}

export interface FailedRecord {
  externalId: string;
  reasonCode: string | null;
  message: string | null;
}

export interface JobReport {
  id: string;
  profileId: string;
  jobName: string;
  trigger: JobTrigger;
  state: JobState;
  startedAt: Date | null;
  finishedAt: Date | null;
  window: { from: string | null; to: string | null };
  progress: { stage: JobStage; recordsRead: number; detail: string | null };
  counters: JobCounters;
  failedBorrowing: FailedRecord[];
  failedLending: FailedRecord[];
  /** What the run noticed but did not fail on (e.g. refreshed requests Libris no longer knows). */
  warnings: string[];
  error: { code: string; message: string } | null;
}

export interface EventRow {
  externalId: string;
  direction: Direction;
  outcome: RecordOutcome;
  reasonCode: string | null;
  message: string | null;
  warnings: string[];
  requestId: string | null;
}

const RUN_COLUMNS = `r.id, r.profile_id, p.code AS profile_code, r.job_name, r.trigger, r.state, r.stage, r.records_read, r.progress_detail, r.warnings,
  r.window_from, r.window_to, r.counters, r.error_code, r.error, r.abort_requested, r.started_at, r.finished_at, r.created_at`;

/** Reads job runs and their record events for monitor jobs, job history, job and events reports. */
@Injectable()
export class JobsService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Runs newest first. Finished runs carry the counters the worker stored when they ended; active
   *  runs the live counters reporting keeps from the workers' report events, or, before the first
   *  event is applied, counters aggregated from their record events (one grouped query for the page). */
  async list(query: JobsQuery & { profileId?: string }, page: { limit: number; offset: number }): Promise<Page<MonitorJob>> {
    const where = new SqlWhere();
    if (query.state) where.add('r.state = ?', query.state);
    if (query.profileId) where.add('r.profile_id = ?', query.profileId);
    if (query.from) where.add('r.created_at >= ?', query.from);
    if (query.to) {
      const bound = upperBound(query.to);
      where.add(`r.created_at ${bound.sql} ?`, bound.value);
    }
    const [{ total }] = await this.dataSource.query(`SELECT count(*)::int AS total FROM job_run r ${where.sql}`, where.params);
    const limit = where.next(page.limit);
    const offset = where.next(page.offset);
    const rows: any[] = await this.dataSource.query(
      `SELECT ${RUN_COLUMNS} FROM job_run r LEFT JOIN integration_profile p ON p.id = r.profile_id
        ${where.sql} ORDER BY r.created_at DESC, r.id DESC LIMIT ${limit} OFFSET ${offset}`,
      where.params,
    );
    const live = await runsCounters(this.dataSource, rows.filter((r) => !r.counters).map((r) => r.id));
    return { items: rows.map((row) => monitorView(row, live.get(row.id))), total, limit: page.limit, offset: page.offset };
  }

  async history(profileId: string, query: JobHistoryQuery, page: { limit: number; offset: number }): Promise<Page<MonitorJob>> {
    if (!isUuid(profileId)) throw notFound(`Integration profile ${profileId}`);
    const [profile] = await this.dataSource.query('SELECT id FROM integration_profile WHERE id = $1', [profileId]);
    if (!profile) throw notFound(`Integration profile ${profileId}`);
    return this.list({ ...query, profileId }, page);
  }

  async monitor(id: string): Promise<MonitorJob> {
    const row = await this.row(id);
    return monitorView(row, !row.counters ? await runCounters(this.dataSource, id) : undefined);
  }

  /** `role` is the caller's: below operator, the run's error is a short reason (viewer-reason.ts). */
  async report(id: string, role: Role = 'admin'): Promise<JobReport> {
    const row = await this.row(id);
    const counters: JobCounters = !row.counters ? await runCounters(this.dataSource, id) : { ...ZERO_COUNTERS, ...row.counters };
    const failed: any[] = await this.dataSource.query(
      `SELECT * FROM (
         SELECT direction, external_id, reason_code, message, row_number() OVER (PARTITION BY direction ORDER BY external_id, id) AS n
           FROM record_event WHERE job_run_id = $1 AND outcome = 'FAILED') f
        WHERE n <= $2 ORDER BY direction, n`,
      [id, FAILED_LIST_LIMIT],
    );
    const failedOf = (direction: Direction) =>
      failed.filter((f) => f.direction === direction).map((f) => ({ externalId: f.external_id, reasonCode: f.reason_code, message: f.message }));
    return {
      id: row.id,
      profileId: row.profile_id,
      jobName: row.job_name,
      trigger: row.trigger,
      state: row.state,
      startedAt: row.started_at,
      finishedAt: row.finished_at,
      window: { from: row.window_from, to: row.window_to },
      progress: progressOf(row),
      counters,
      failedBorrowing: failedOf('BORROWING'),
      failedLending: failedOf('LENDING'),
      warnings: Array.isArray(row.warnings) ? row.warnings : [],
      error: row.error_code || row.error ? runError(row.error_code ?? 'ERROR', row.error ?? '', role) : null,
    };
  }

  /** An operator's abort. A PENDING run that no worker has started ends ABORTED at once; the UPDATE
   *  is conditional (still PENDING, never started), so it cannot overwrite a worker that has just
   *  started the run — then only `abort_requested` is set, and the worker ends the run ABORTED
   *  between batches. A run that has ended already is a 409. */
  async abort(id: string): Promise<MonitorJob> {
    await this.row(id); // 404 first
    const endedNow = await this.dataSource.query(
      `UPDATE job_run SET state = 'ABORTED', stage = 'DONE', abort_requested = true, finished_at = now(), updated_at = now(),
              error_code = NULL, error = NULL, counters = ${COUNTERS_JSONB_FOR_RUN('job_run.id')}
        WHERE id = $1 AND state = 'PENDING' AND started_at IS NULL
        RETURNING id`,
      [id],
    );
    if (!rowCount(endedNow)) {
      const flagged = await this.dataSource.query(
        `UPDATE job_run SET abort_requested = true, updated_at = now() WHERE id = $1 AND state = ANY($2::text[]) RETURNING id`,
        [id, ACTIVE_JOB_STATES],
      );
      if (!rowCount(flagged)) {
        const row = await this.row(id);
        throw conflict(`Run ${id} has ended already (${row.state}); only a pending or running run can be aborted`);
      }
    }
    return this.monitor(id);
  }

  async events(id: string, filter: EventsFilter, page: { limit: number; offset: number }): Promise<Page<EventRow>> {
    await this.row(id);
    const where = this.eventsWhere(id, filter);
    const [{ total }] = await this.dataSource.query(`SELECT count(*)::int AS total FROM record_event ${where.sql}`, where.params);
    const limit = where.next(page.limit);
    const offset = where.next(page.offset);
    const rows: any[] = await this.dataSource.query(
      `SELECT id, external_id, direction, outcome, reason_code, message, warnings, request_id FROM record_event ${where.sql}
        ORDER BY id LIMIT ${limit} OFFSET ${offset}`,
      where.params,
    );
    return { items: rows.map(eventView), total, limit: page.limit, offset: page.offset };
  }

  /** Every events-report row of a run, read in keyset pages (by id) so a large run is never held
   *  in memory at once. The run must exist (checked by the caller with `ensureRun`). */
  async *eachEvent(id: string, filter: EventsFilter, pageSize = 1000): AsyncGenerator<EventRow[]> {
    let after = '0';
    for (;;) {
      const where = this.eventsWhere(id, filter);
      where.add('id > ?::bigint', after);
      const size = where.next(pageSize);
      const rows: any[] = await this.dataSource.query(
        `SELECT id, external_id, direction, outcome, reason_code, message, warnings, request_id FROM record_event ${where.sql} ORDER BY id LIMIT ${size}`,
        where.params,
      );
      if (!rows.length) return;
      yield rows.map(eventView);
      if (rows.length < pageSize) return;
      after = String(rows[rows.length - 1].id);
    }
  }

  async ensureRun(id: string): Promise<void> {
    await this.row(id);
  }

  private eventsWhere(id: string, filter: EventsFilter): SqlWhere {
    const where = new SqlWhere().add('job_run_id = ?', id);
    if (filter.outcome) where.add('outcome = ?', filter.outcome);
    if (filter.direction) where.add('direction = ?', filter.direction);
    return where;
  }

  private async row(id: string): Promise<any> {
    if (!isUuid(id)) throw notFound(`Job run ${id}`);
    const [row] = await this.dataSource.query(`SELECT ${RUN_COLUMNS} FROM job_run r LEFT JOIN integration_profile p ON p.id = r.profile_id WHERE r.id = $1`, [id]);
    if (!row) throw notFound(`Job run ${id}`);
    return row;
  }
}

/** TypeORM's raw query answers an UPDATE … RETURNING with [rows, count]. */
function rowCount(result: any): number {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') return result[1];
  return Array.isArray(result) ? result.length : 0;
}

function monitorView(row: any, live?: JobCounters): MonitorJob {
  return {
    id: row.id,
    profileId: row.profile_id,
    profileCode: row.profile_code ?? null,
    jobName: row.job_name,
    trigger: row.trigger,
    state: row.state,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    createdAt: row.created_at,
    abortRequested: row.abort_requested,
    progress: progressOf(row),
    counters: live ?? { ...ZERO_COUNTERS, ...row.counters },
  };
}

function progressOf(row: any): MonitorJob['progress'] {
  return { stage: row.stage, recordsRead: row.records_read, detail: row.progress_detail ?? null };
}

function eventView(row: any): EventRow {
  return {
    externalId: row.external_id,
    direction: row.direction,
    outcome: row.outcome,
    reasonCode: row.reason_code,
    message: row.message,
    warnings: Array.isArray(row.warnings) ? row.warnings : [],
    requestId: row.request_id,
  };
}
