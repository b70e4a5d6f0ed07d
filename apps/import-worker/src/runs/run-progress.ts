import { Injectable } from '@nestjs/common';
import type { MappingResult } from '@illbridge/connectors/types';
import type { JobStage } from '@illbridge/database/entities';
import { JobRunsService } from './job-runs.service';
import type { BatchSink } from './request-writer';
import { RunAborted, RunContext } from './run-context';

/** Writes batches for a run and keeps its progress visible (stage, records read); between batches it
 *  honours an operator's abort. */
@Injectable()
export class RunProgress {
  constructor(private readonly runs: JobRunsService) {}

  start(ctx: RunContext, stage: JobStage) {
    const runs = this.runs;
    let recordsRead = 0;
    let current = stage;
    void runs.progress(ctx.run.id, current, recordsRead);
    return {
      stage(next: JobStage) {
        current = next;
      },
      /** Between windows too, so a run through empty windows stops as soon as it is aborted. */
      async checkAbort() {
        if (await runs.abortRequested(ctx.run.id)) throw new RunAborted();
      },
      async write(sink: BatchSink, results: MappingResult[]) {
        if (await runs.abortRequested(ctx.run.id)) throw new RunAborted();
        if (results.length) await sink.write(ctx, results);
        recordsRead += results.length;
        await runs.progress(ctx.run.id, current, recordsRead);
      },
      async flush() {
        await runs.progress(ctx.run.id, 'FINALIZING', recordsRead);
      },
    };
  }
}
