import type { RequestWriter } from './request-writer';
import type { ImportOutcome, RunContext } from './run-context';

/** An importer harvests one system for one run, writing through the run's request writer (the only code that
 *  writes rs_request from imports), and returns where the next run should continue from. */
export interface Importer {
  run(ctx: RunContext, writer: RequestWriter): Promise<ImportOutcome>;
}
