import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { harvestWindows, LibrisClient, mapLibrisRecord } from '@illbridge/connectors/libris';
import { ExternalSystemError, MappingResult } from '@illbridge/connectors/types';
import { RequestEntity } from '@illbridge/database/entities';
import { ImportSettings } from '../import-settings';
import { BatchSink } from '../runs/request-writer';
import { Importer, ImportOutcome, RunContext } from '../runs/run-context';
import { JobRunsService } from '../runs/job-runs.service';
import { RunProgress } from '../runs/run-progress';

const DAY_MS = 86_400_000;
const day = (date: Date) => date.toISOString().slice(0, 10);

/** Harvests a Libris profile: the outgoing requests created since the last successful run (a day of
 *  overlap; the harvest start date on the first run) in windows of at most 31 days, then a refresh,
 *  one by one, of the library's still-open imported requests that the windows did not bring and of
 *  the records that failed in the last run. */
@Injectable()
export class LibrisImporter implements Importer {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly settings: ImportSettings,
    private readonly progress: RunProgress,
    private readonly runs: JobRunsService,
  ) {}

  async run(ctx: RunContext, sink: BatchSink): Promise<ImportOutcome> {
    const { profile } = ctx;
    const client = new LibrisClient({
      baseUrl: profile.baseUrl!,
      sigel: profile.libraryCode,
      apiKey: profile.authEnabled ? (ctx.secret ?? undefined) : undefined,
      timeoutMs: this.settings.httpTimeoutMs,
      retry: this.settings.retry,
    });
    const now = new Date();
    const from = profile.harvestCursor ? day(new Date(profile.harvestCursor.getTime() - DAY_MS)) : profile.harvestStartDate!.slice(0, 10);
    const to = day(now);
    const failures: ImportOutcome['failures'] = [];
    const seen = new Set<string>();
    const tracker = this.progress.start(ctx, 'HARVESTING');

    for (const window of harvestWindows(from, to)) {
      await tracker.checkAbort();
      let records: unknown[];
      try {
        records = await client.listOutgoing(window.startDate, window.endDate);
      } catch (error) {
        if (error instanceof ExternalSystemError && error.kind === 'MALFORMED_RESPONSE') {
          failures.push({ code: 'MALFORMED_RESPONSE', message: `Window ${window.startDate}…${window.endDate}: ${error.message}` });
          continue;
        }
        throw error;
      }
      for (let i = 0; i < records.length; i += this.settings.batchSize) {
        const results = records.slice(i, i + this.settings.batchSize).map(mapLibrisRecord);
        for (const r of results) if (r.ok) seen.add(r.request.externalId);
        await tracker.write(sink, results);
      }
    }

    tracker.stage('REFRESHING');
    const open = await this.dataSource.getRepository(RequestEntity).find({
      where: { profileId: profile.id, direction: 'BORROWING', closed: false },
      select: { externalId: true, externalRef: true },
      order: { externalId: 'ASC' },
    });
    const retried = await this.runs.failedInLastCompletedRun(profile.id, 'BORROWING');
    const toRefresh = [...open, ...retried.map((externalId) => ({ externalId, externalRef: null }))].filter(
      (r, index, all) => !seen.has(r.externalId) && all.findIndex((o) => o.externalId === r.externalId) === index,
    );
    for (let i = 0; i < toRefresh.length; i += this.settings.batchSize) {
      const slice = toRefresh.slice(i, i + this.settings.batchSize);
      const fetched = await mapConcurrent(slice, this.settings.refreshConcurrency, (r) => client.getRequest(r.externalRef ?? r.externalId));
      const results: MappingResult[] = fetched.filter((raw) => raw !== null).map(mapLibrisRecord);
      await tracker.write(sink, results);
    }
    await tracker.flush();
    return { cursor: new Date(`${to}T00:00:00.000Z`), windowFrom: from, windowTo: to, failures };
  }
}

/** Maps with at most `limit` calls in flight, keeping order; the first failure rejects. */
export async function mapConcurrent<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      out[index] = await fn(items[index]);
    }
  });
  await Promise.all(workers);
  return out;
}
