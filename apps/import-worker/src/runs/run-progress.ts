import { Injectable } from '@nestjs/common';
import { createHash } from 'crypto';
import { ReportEventsPublisher } from '@illbridge/queues/report-events';
import type { MappingResult } from '@illbridge/connectors/types';
import type { JobStage } from '@illbridge/database/entities';
import { JobRunsService } from './job-runs.service';
import { BatchResult, BatchSink, RunAborted, RunContext } from './run-context';

/** Writes batches for a run and keeps its progress visible (stage, records read, a detail in words); between batches it
 *  honours an operator's abort. */
@Injectable()
export class RunProgress {
  constructor(
    private readonly runs: JobRunsService,
    private readonly reports: ReportEventsPublisher,
  ) {}

  /** With `pipelined` (n ≥ 1), `write` answers once the batch is prepared and handed on: it is written while
   *  the caller reads and prepares the next ones, at most n batches being written at a time (on their own
   *  connections). A failure (or an abort seen after a batch) surfaces at a later `write` or
   *  `flush`; a caller that stops early must `settle()`. Batches must not share records. */
  start(ctx: RunContext, stage: JobStage, options: { pipelined?: number } = {}) {
    const reports = this.reports;
    let recordsRead = 0;
    let current = stage;
    let detail: string | null = null;
    const depth = Math.max(0, options.pipelined ?? 0);
    const inFlight: Promise<void>[] = [];
    /** One statement both shows progress and reads an operator's abort request. */
    const report = async (shown: JobStage = current) => {
      if (await this.runs.progress(ctx.run.id, shown, recordsRead, detail)) throw new RunAborted();
    };
    /** Waits until at most `keep` batches are being written (all done with 0). */
    const drain = async (keep = 0) => {
      while (inFlight.length > keep) await inFlight.shift();
    };
    const writeNow = async (submit: (() => Promise<BatchResult>) | null, read: number) => {
      if (submit) {
        const batch = await submit();
        // Named by its records: a batch done again after a crash is the same event, counted once.
        const id = `records:${ctx.run.id}:${createHash('sha1').update(batch.externalIds.sort().join('\n')).digest('hex')}`;
        await reports.publish({ type: 'records', id, runId: ctx.run.id, delta: batch.delta });
      }
      recordsRead += read;
      await report();
    };
    return {
      /** A new stage; its detail, if any, in words (shown from the next report on). */
      stage(next: JobStage, nextDetail: string | null = null) {
        current = next;
        detail = nextDetail;
      },
      /** What the stage is doing, in words (e.g. "312 of 10,000 … at most 2 a second"), shown from the next report on. */
      detail(text: string | null) {
        detail = text;
      },
      /** Between windows and pages too, so a run through empty windows stops as soon as it is aborted. */
      checkAbort: () => report(),
      async write(sink: BatchSink, results: MappingResult[]) {
        const submit = !results.length ? null : sink.prepare && depth ? sink.prepare(ctx, results) : () => sink.write(ctx, results);
        await drain(Math.max(0, depth - 1));
        const written = writeNow(submit, results.length);
        if (!depth) return written;
        written.catch(() => undefined); // surfaces when drained
        inFlight.push(written);
      },
      flush: async () => {
        await drain();
        await report('FINALIZING');
      },
      /** Waits for the batch being written, ignoring its outcome (when the run stops for another reason). */
      settle: async () => {
        while (inFlight.length) await inFlight.shift()!.catch(() => undefined);
      },
    };
  }
}
