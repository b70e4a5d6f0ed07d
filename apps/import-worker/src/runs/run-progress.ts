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
        if (results.length) await sink.write(ctx, results);
        recordsRead += results.length;
        await report();
      },
      flush: () => report('FINALIZING'),
    };
  }
}
