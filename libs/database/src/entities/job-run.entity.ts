import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { Direction, JobStage, JobState, JobTrigger, RecordOutcome } from './enums';

/** One execution of a profile's import job. At most one PENDING/RUNNING run per profile
 *  (partial unique index): two harvests of a profile never overlap. Inbound receipts (Netpunkt) each
 *  have a run of their own and may be imported side by side. */
@Entity('job_run')
@Index('ix_job_run_created', ['createdAt'])
@Index('ix_job_run_profile', ['profileId', 'createdAt'])
@Index('ix_job_run_state', ['state'])
@Index('uq_job_run_active_profile', ['profileId'], { unique: true, where: `"state" IN ('PENDING', 'RUNNING') AND "trigger" <> 'INBOUND'` })
export class JobRunEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ name: 'profile_id', type: 'uuid' }) profileId: string;
  /** RESTRICT: a profile with job history cannot be deleted (deactivate it instead). */
  @ManyToOne('IntegrationProfileEntity', { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'profile_id', foreignKeyConstraintName: 'fk_job_run_profile' })
  profile?: unknown;
  @Column({ name: 'job_name', type: 'varchar', length: 300 }) jobName: string;
  @Column({ type: 'varchar', length: 16 }) trigger: JobTrigger;
  @Column({ type: 'varchar', length: 32 }) state: JobState;
  @Column({ type: 'varchar', length: 16, default: 'QUEUED' }) stage: JobStage;
  @Column({ name: 'records_read', type: 'integer', default: 0 }) recordsRead: number;
  /** What the stage is doing, in words (e.g. the Libris refresh's count and pace); null when there is nothing to add. */
  @Column({ name: 'progress_detail', type: 'varchar', length: 300, nullable: true }) progressDetail: string | null;
  /** What the run noticed but did not fail on (a refreshed request Libris no longer knows, a NACSIS look-up that
   *  answered incompletely); shown in the job report. */
  @Column({ type: 'jsonb', default: () => "'[]'" }) warnings: string[];
  /** The BullMQ job that executes this run: a retried job resumes the same run. */
  @Index('uq_job_run_queue_job', { unique: true })
  @Column({ name: 'queue_job_id', type: 'varchar', length: 200, nullable: true }) queueJobId: string | null;
  @Column({ name: 'window_from', type: 'varchar', length: 32, nullable: true }) windowFrom: string | null;
  @Column({ name: 'window_to', type: 'varchar', length: 32, nullable: true }) windowTo: string | null;
  @Column({ type: 'jsonb', nullable: true }) counters: JobCounters | null;
  @Column({ name: 'error_code', type: 'varchar', length: 64, nullable: true }) errorCode: string | null;
  @Column({ type: 'text', nullable: true }) error: string | null;
  @Column({ name: 'abort_requested', type: 'boolean', default: false }) abortRequested: boolean;
  @Column({ type: 'integer', default: 0 }) attempts: number;
  @Column({ name: 'started_at', type: 'timestamptz', nullable: true }) startedAt: Date | null;
  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true }) finishedAt: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}

export interface JobCounters {
  totalRecordsProcessed: number;
  borrowingProcessed: number;
  borrowingSucceeded: number;
  borrowingFailed: number;
  lendingProcessed: number;
  lendingSucceeded: number;
  lendingFailed: number;
  created: number;
  updated: number;
  unchanged: number;
}

/** One external record's outcome inside a run (the Events Report). Unique per run and record,
 *  so a retried run overwrites rather than duplicates. */
@Entity('record_event')
@Index('uq_record_event_record', ['jobRunId', 'direction', 'externalId'], { unique: true })
@Index('ix_record_event_outcome', ['jobRunId', 'outcome'])
export class RecordEventEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint' }) id: string;
  @Column({ name: 'job_run_id', type: 'uuid' }) jobRunId: string;
  @ManyToOne('JobRunEntity', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'job_run_id', foreignKeyConstraintName: 'fk_record_event_job_run' })
  jobRun?: unknown;
  @Column({ name: 'external_id', type: 'varchar', length: 128 }) externalId: string;
  @Column({ type: 'varchar', length: 10 }) direction: Direction;
  @Column({ type: 'varchar', length: 10 }) outcome: RecordOutcome;
  @Column({ name: 'reason_code', type: 'varchar', length: 64, nullable: true }) reasonCode: string | null;
  @Column({ type: 'text', nullable: true }) message: string | null;
  @Column({ type: 'jsonb', default: () => "'[]'" }) warnings: string[];
  @Column({ name: 'request_id', type: 'uuid', nullable: true }) requestId: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
