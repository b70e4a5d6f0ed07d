import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ACTIVE_JOB_STATES, IntegrationProfileEntity, JobCounters, JobRunEntity, JobStage, JobState, JobTrigger } from '@illbridge/database/entities';
import { isUniqueViolation } from '@illbridge/database/errors';
import { runCounters } from '@illbridge/database/job-counters';
import { ReportEventsPublisher } from '@illbridge/queues/report-events';
import { importJobName } from '@illbridge/queues';
import { Notifier, runEndedEvent } from '@illbridge/notifications';

/** The partial unique index that allows one active harvest per profile. */
const ACTIVE_RUN_INDEX = 'uq_job_run_active_profile';

/** A run keeps at most this many warnings (each importer sums up its own, e.g. "12 requests …: a, b, c …"). */
export const MAX_WARNINGS = 100;

/** The lifecycle of import job runs in Postgres: PENDING → RUNNING (progress) → a final state. */
/** The profile as a run started reading it: its id and the harvest start date its cursors are relative to. */
export type HarvestStart = Pick<IntegrationProfileEntity, 'id' | 'harvestStartDate'>;

@Injectable()
export class JobRunsService {
  private readonly logger = new Logger(JobRunsService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly reports: ReportEventsPublisher,
    private readonly notifier: Notifier,
  ) {}

  private get repo() {
    return this.dataSource.getRepository(JobRunEntity);
  }

  /** The run a queue job executes: the one created for it (run now, inbound), the one a previous
   *  attempt of this job started (retry after a crash), or a new one (scheduled). When another run of the
   *  profile is active (two runs of a profile never overlap), a SKIPPED run that says so. */
  async claim(queueJobId: string, profile: IntegrationProfileEntity, trigger: JobTrigger, jobRunId?: string): Promise<JobRunEntity | null> {
    const found = jobRunId ? await this.repo.findOne({ where: { id: jobRunId } }) : await this.repo.findOne({ where: { queueJobId } });
    if (found) return found;
    if (jobRunId) return null; // created with the job but rolled back: nothing to run
    try {
      return await this.repo.save(this.repo.create({ profileId: profile.id, jobName: importJobName(profile.name), trigger, state: 'PENDING', stage: 'QUEUED', queueJobId }));
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      if ((error as { driverError?: { constraint?: string } }).driverError?.constraint === ACTIVE_RUN_INDEX) return this.skipped(queueJobId, profile, trigger);
      return null;
    }
  }

  /** A tick that met an active run of its profile leaves a trace in the job history: a SKIPPED run with the
   *  reason, once per queue job (a redelivered tick finds it again). */
  private async skipped(queueJobId: string, profile: IntegrationProfileEntity, trigger: JobTrigger): Promise<JobRunEntity | null> {
    const [active] = await this.dataSource.query(`SELECT id FROM job_run WHERE profile_id = $1 AND state IN ('PENDING', 'RUNNING') AND trigger <> 'INBOUND' LIMIT 1`, [profile.id]);
    await this.repo
      .createQueryBuilder()
      .insert()
      .values({
        profileId: profile.id,
        jobName: importJobName(profile.name),
        trigger,
        state: 'SKIPPED',
        stage: 'DONE',
        queueJobId,
        errorCode: 'JOB_ALREADY_RUNNING',
        error: `A run of profile ${profile.code} was still active${active ? ` (run ${active.id})` : ''}; this ${trigger.toLowerCase()} run was skipped`,
        startedAt: () => 'now()',
        finishedAt: () => 'now()',
      })
      .orIgnore()
      .execute();
    const run = await this.repo.findOne({ where: { queueJobId } });
    if (run) this.logger.warn(`Run ${run.id} of profile ${profile.code} SKIPPED: ${run.error}`);
    return run;
  }

  /** PENDING/RUNNING → RUNNING, conditionally: a run an operator aborted meanwhile is not revived.
   *  False when the run has ended. */
  async start(run: JobRunEntity): Promise<boolean> {
    const result = await this.repo
      .createQueryBuilder()
      .update()
      .set({ state: 'RUNNING', stage: 'STARTING', startedAt: () => 'COALESCE(started_at, now())', attempts: () => 'attempts + 1' })
      .where('id = :id AND state IN (:...active)', { id: run.id, active: ACTIVE_JOB_STATES })
      .returning('started_at, attempts')
      .execute();
    if (!result.affected) return false;
    run.state = 'RUNNING';
    run.stage = 'STARTING';
    run.startedAt = result.raw[0].started_at;
    run.attempts = result.raw[0].attempts;
    return true;
  }

  /** Shows the run's stage, records read and what the stage is doing; answers whether an operator asked to abort it. */
  async progress(runId: string, stage: JobStage, recordsRead: number, detail: string | null = null): Promise<boolean> {
    const result = await this.repo
      .createQueryBuilder()
      .update()
      .set({ stage, recordsRead, progressDetail: detail })
      .where('id = :id', { id: runId })
      .returning('abort_requested')
      .execute();
    return !!result.raw[0]?.abort_requested;
  }

  /** The cursor of one part of a profile's harvest (a NACSIS database), moved forward as soon as that part has been
   *  read up to `value`: a run that fails later, or in another part, does not hold it back. Only while the profile's
   *  harvest start date is still the one the run started with: an admin who moved it meanwhile (a rewind) is not
   *  overruled by the run that was already reading (see `finish`). */
  async setPartCursor(profile: HarvestStart, part: string, value: string) {
    await this.dataSource.query(
      `UPDATE integration_profile SET harvest_cursors = harvest_cursors || jsonb_build_object($2::text, $3::text)
        WHERE id = $1 AND (harvest_cursors ->> $2 IS NULL OR harvest_cursors ->> $2 < $3) AND harvest_start_date IS NOT DISTINCT FROM $4`,
      [profile.id, part, value, profile.harvestStartDate],
    );
  }

  async setWindow(runId: string, windowFrom: string | null, windowTo: string | null) {
    await this.repo.update({ id: runId }, { windowFrom, windowTo });
  }

  /** Records that failed in the profile's last completed run: each run tries them again, so a failure
   *  stays visible until it is fixed (e.g. a library mapping added) and then imports, never silently lost. */
  async failedInLastCompletedRun(profileId: string, direction: string): Promise<string[]> {
    const rows: { external_id: string }[] = await this.dataSource.query(
      `SELECT e.external_id FROM record_event e
        WHERE e.outcome = 'FAILED' AND e.direction = $2 AND e.external_id <> '(no id)'
          AND e.job_run_id = (SELECT id FROM job_run WHERE profile_id = $1 AND state IN ('COMPLETED_SUCCESSFULLY', 'COMPLETED_WITH_ERRORS')
                              ORDER BY finished_at DESC LIMIT 1)`,
      [profileId, direction],
    );
    return rows.map((r) => r.external_id);
  }

  /** Counters come from the record events, so they are right however often a run was resumed. */
  counters(runId: string): Promise<JobCounters> {
    return runCounters(this.dataSource, runId);
  }

  /** Ends a run. On success the profile's harvest cursor moves to where this run stopped, unless the harvest start
   *  date was changed while the run read (a rewind then stays a rewind: the next run reads from the new date; a start
   *  date moved later only means the next run reads a little again, which changes nothing). */
  async finish(
    run: JobRunEntity,
    state: JobState,
    error?: { code: string; message: string },
    cursor?: { at: Date; profile: HarvestStart } | null,
    warnings: readonly string[] = [],
  ): Promise<JobRunEntity> {
    const counters = await this.counters(run.id);
    const finalState: JobState = state === 'COMPLETED_SUCCESSFULLY' && counters.borrowingFailed + counters.lendingFailed > 0 ? 'COMPLETED_WITH_ERRORS' : state;
    // Reported and told before the run's end is committed: a worker killed in between leaves the run to be taken over
    // and ended again, reported and told under the same ids (applied and delivered once); after the commit nobody would.
    await Promise.all([
      this.reports.publishBeforeCommit({ type: 'run-ended', id: `run-ended:${run.id}`, runId: run.id, state: finalState }),
      this.notifier.notifyBeforeCommit(runEndedEvent(run, finalState, counters, error)),
    ]);
    await this.dataSource.transaction(async (manager) => {
      await manager.getRepository(JobRunEntity).update(
        { id: run.id },
        {
          state: finalState,
          stage: 'DONE',
          progressDetail: null,
          counters,
          recordsRead: counters.totalRecordsProcessed,
          errorCode: error?.code ?? null,
          error: error?.message ?? null,
          warnings: warnings.slice(0, MAX_WARNINGS),
          finishedAt: new Date(),
        },
      );
      if (cursor && (finalState === 'COMPLETED_SUCCESSFULLY' || finalState === 'COMPLETED_WITH_ERRORS')) {
        await manager.query(`UPDATE integration_profile SET harvest_cursor = $2 WHERE id = $1 AND harvest_start_date IS NOT DISTINCT FROM $3`, [
          run.profileId,
          cursor.at,
          cursor.profile.harvestStartDate,
        ]);
      }
    });
    this.logger.log(`Run ${run.id} (${run.jobName}) ended ${finalState}: ${counters.totalRecordsProcessed} records, ${counters.created} created, ${counters.updated} updated, ${counters.unchanged} unchanged, ${counters.borrowingFailed + counters.lendingFailed} failed${error ? ` — ${error.code}: ${error.message}` : ''}`);
    return (await this.repo.findOne({ where: { id: run.id } }))!;
  }
}
