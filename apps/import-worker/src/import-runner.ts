import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Job } from 'bullmq';
import { DataSource } from 'typeorm';
import { SecretBox } from '@illbridge/common';
import { ExternalSystemError } from '@illbridge/connectors/types';
import { ACTIVE_JOB_STATES, IntegrationProfileEntity, JobRunEntity, ProfileSystem } from '@illbridge/database/entities';
import type { ImportJobData } from '@illbridge/queues';
import { JobRunsService } from './runs/job-runs.service';
import { RequestWriter } from './runs/request-writer';
import { ownLibraryFailure } from '@illbridge/database/resolvers';
import { LibraryResolver, PartnerResolver } from './runs/resolvers';
import type { Importer } from './runs/importer';
import { FAILURE_CODE, RunAborted, RunContext, RunFailure } from './runs/run-context';

export const IMPORTERS = Symbol('IMPORTERS');

/** What a job came to: its run (if any), the state the run is in, and why it failed. */
export interface JobOutcome {
  jobRunId: string | null;
  state: string;
  error?: { code: string; message: string };
}
export type ImporterRegistry = Partial<Record<ProfileSystem, Importer>>;


/** Executes one import job: claims its run, checks the profile, lets the system's importer harvest,
 *  and ends the run in the state that tells the truth. Unexpected errors (database down) are thrown,
 *  so BullMQ retries the job; the retry resumes the same run. */
@Injectable()
export class ImportRunner {
  private readonly logger = new Logger(ImportRunner.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly runs: JobRunsService,
    private readonly secrets: SecretBox,
    @Inject(IMPORTERS) private readonly importers: ImporterRegistry,
  ) {}

  /** Runs being executed by this process right now (the recovery never takes these over). */
  readonly active = new Set<string>();

  async execute(job: Job<ImportJobData>): Promise<JobOutcome> {
    const mine: string[] = [];
    try {
      return await this.executeJob(job, (runId) => {
        this.active.add(runId);
        mine.push(runId);
      });
    } finally {
      for (const runId of mine) this.active.delete(runId);
    }
  }

  private async executeJob(job: Job<ImportJobData>, track: (runId: string) => void): Promise<JobOutcome> {
    const { profileId, trigger, jobRunId } = job.data;
    const profile = await this.dataSource.getRepository(IntegrationProfileEntity).findOne({ where: { id: profileId } });
    if (!profile) {
      this.logger.warn(`Job ${job.id}: profile ${profileId} no longer exists; nothing to do`);
      return { jobRunId: jobRunId ?? null, state: 'SKIPPED' };
    }
    const run = await this.runs.claim(String(job.id), profile, trigger, jobRunId);
    if (!run) {
      this.logger.warn(`Job ${job.id}: ${jobRunId ? `run ${jobRunId} does not exist` : `a run of profile ${profile.code} is already active`}; skipped`);
      return { jobRunId: null, state: 'SKIPPED' };
    }
    track(run.id);
    if (!ACTIVE_JOB_STATES.includes(run.state)) return { jobRunId: run.id, state: run.state }; // delivered again after it ended
    if (run.abortRequested) return { jobRunId: run.id, state: (await this.runs.finish(run, 'ABORTED')).state };
    if (!(await this.runs.start(run))) return { jobRunId: run.id, state: 'ENDED' }; // aborted before it started

    if (!profile.active && trigger === 'SCHEDULED') {
      return this.end(run, 'FAILED', new RunFailure('PROFILE_INACTIVE', `Profile ${profile.code} is inactive`));
    }
    const importer = this.importers[profile.system];
    if (!importer) return this.end(run, 'FAILED', new RunFailure('NOT_SUPPORTED', `Importing from ${profile.system} is not available in this version`));

    const libraries = await LibraryResolver.load(this.dataSource, profile.id);
    const own = ownLibraryFailure(profile, libraries);
    if (own) return this.end(run, 'FAILED', new RunFailure(own.code, own.message));
    const ctx: RunContext = {
      run,
      profile,
      secret: profile.secretEnc ? this.secrets.decrypt(profile.secretEnc) : null,
      libraries,
      partners: await PartnerResolver.load(this.dataSource),
    };
    try {
      const outcome = await importer.run(ctx, new RequestWriter(this.dataSource));
      await this.runs.setWindow(run.id, outcome.windowFrom, outcome.windowTo);
      if (outcome.failures.length) {
        return this.end(run, 'FAILED', new RunFailure(outcome.failures[0].code, outcome.failures.map((f) => f.message).join('; ')), outcome.warnings);
      }
      const ended = await this.runs.finish(run, 'COMPLETED_SUCCESSFULLY', undefined, outcome.cursor && { at: outcome.cursor, profile }, outcome.warnings);
      return { jobRunId: run.id, state: ended.state };
    } catch (error) {
      if (error instanceof RunAborted) return this.end(run, 'ABORTED');
      if (error instanceof ExternalSystemError) return this.end(run, 'FAILED', new RunFailure(FAILURE_CODE[error.kind], error.message));
      if (error instanceof RunFailure) return this.end(run, 'FAILED', error);
      throw error;
    }
  }

  /** The last attempt failed with an unexpected error: the run must not stay RUNNING forever. */
  async giveUp(job: Job<ImportJobData>, error: Error) {
    const repo = this.dataSource.getRepository(JobRunEntity);
    const run = await repo.findOne({ where: job.data.jobRunId ? { id: job.data.jobRunId } : { queueJobId: String(job.id) } });
    if (run && ACTIVE_JOB_STATES.includes(run.state)) {
      await this.runs.finish(run, 'FAILED', { code: 'INTERNAL_ERROR', message: `Gave up after ${job.attemptsMade} attempts: ${error.message}` });
    }
  }

  private async end(run: RunContext['run'], state: 'FAILED' | 'ABORTED', failure?: RunFailure, warnings?: string[]): Promise<JobOutcome> {
    const error = failure ? { code: failure.code, message: failure.message } : undefined;
    const ended = await this.runs.finish(run, state, error, undefined, warnings);
    return { jobRunId: run.id, state: ended.state, ...(error && { error }) };
  }
}
