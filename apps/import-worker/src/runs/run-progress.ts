import { Injectable } from '@nestjs/common';
import { createHash } from 'crypto';
import { ReportEventsPublisher } from '@illbridge/queues/report-events';
import type { MappingResult } from '@illbridge/connectors/types';
import type { JobStage } from '@illbridge/database/entities';
import { JobRunsService } from './job-runs.service';
import type { BatchSink } from './request-writer';
import { RunAborted, RunContext } from './run-context';

/** Writes batches for a run and keeps its progress visible (stage, records read); between batches it
 *  honours an operator's abort. */
@Injectable()
export class RunProgress {
  constructor(
    private readonly runs: JobRunsService,
    private readonly reports: ReportEventsPublisher,
  ) {}

  start(ctx: RunContext, stage: JobStage) {
    const reports = this.reports;
    let recordsRead = 0;
    let current = stage;
    /** One statement both shows progress and reads an operator's abort request. */
    const report = async (shown: JobStage = current) => {
      if (await this.runs.progress(ctx.run.id, shown, recordsRead)) throw new RunAborted();
    };
    return {
      stage(next: JobStage) {
        current = next;
      },
      /** Between windows and pages too, so a run through empty windows stops as soon as it is aborted. */
      checkAbort: () => report(),
      async write(sink: BatchSink, results: MappingResult[]) {
        if (results.length) {
          const batch = await sink.write(ctx, results);
          // Named by its records: a batch done again after a crash is the same event, counted once.
          const id = `records:${ctx.run.id}:${createHash('sha1').update(batch.externalIds.sort().join('\n')).digest('hex')}`;
          await reports.publish({ type: 'records', id, runId: ctx.run.id, delta: batch.delta });
        }
        recordsRead += results.length;
        await report();
      },
      flush: () => report('FINALIZING'),
    };
  }
}
