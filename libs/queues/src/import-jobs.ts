import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import type { JobTrigger } from '@illbridge/database/entities/enums';
import { enqueue, QueueOf } from './enqueue';
import { DEFAULT_JOB_OPTIONS, QUEUE } from './names';
import type { ImportJobData } from './payloads';

/** The job's name shown in the queue dashboard and in job history (product.md §2). */
export function importJobName(profileName: string): string {
  return `Import resource sharing requests using profile ${profileName}`;
}

/** The queue job id of a run made before its job (run now, an inbound receipt, recovery): one per run, so a job
 *  enqueued twice for a run (recovery racing its maker) is kept once by BullMQ. */
export function importJobId(runId: string): string {
  return `run-${runId}`;
}

/** A run whose job is to be enqueued. */
export interface RunToEnqueue {
  id: string;
  profileId: string;
  trigger: JobTrigger;
  jobName: string;
  /** The job id the run already has (set when it was made or last enqueued); else `importJobId(id)`. */
  queueJobId?: string | null;
}

/** The one producer of import jobs: the job name, payload and job id are made here, for run now, the Netpunkt
 *  receipts, the import worker's recovery and the profiles' schedules. */
@Injectable()
export class ImportJobs {
  constructor(@InjectQueue(QUEUE.IMPORT) readonly queue: QueueOf<typeof QUEUE.IMPORT>) {}

  /** Enqueues the job of a run made beforehand; answers its job id. */
  async enqueueRun(run: RunToEnqueue): Promise<string> {
    const jobId = run.queueJobId ?? importJobId(run.id);
    await enqueue(QUEUE.IMPORT, this.queue, run.jobName, { profileId: run.profileId, jobRunId: run.id, trigger: run.trigger }, { jobId });
    return jobId;
  }

  /** The template of a profile's scheduled jobs (each makes its own run). */
  static scheduledJob(profile: { id: string; name: string }): { name: string; data: ImportJobData; opts: Pick<(typeof DEFAULT_JOB_OPTIONS)[typeof QUEUE.IMPORT], 'attempts' | 'backoff' | 'removeOnComplete' | 'removeOnFail'> } {
    const { attempts, backoff, removeOnComplete, removeOnFail } = DEFAULT_JOB_OPTIONS[QUEUE.IMPORT];
    return { name: importJobName(profile.name), data: { profileId: profile.id, trigger: 'SCHEDULED' }, opts: { attempts, backoff, removeOnComplete, removeOnFail } };
  }
}
