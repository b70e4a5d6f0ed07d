import { Injectable } from '@nestjs/common';
import { dayAfter, HarvestWindow, LibrisClient, librisLastModified, mapLibrisRecord, windowAt, windowDays } from '@illbridge/connectors/libris';
import { ExternalSystemError, MappingResult } from '@illbridge/connectors/types';
import { LIBRIS_FINAL_STATUSES, notBefore } from '@illbridge/workflow';
import { ImportSettings } from '../import-settings';
import type { Importer } from '../runs/importer';
import { JobRunsService } from '../runs/job-runs.service';
import type { RequestWriter } from '../runs/request-writer';
import { harvestSpan, ImportOutcome, RunContext } from '../runs/run-context';
import { RunProgress } from '../runs/run-progress';

const MAX_WINDOW_DAYS = 31;
/** Windows asked for at most ahead of the one being written. */
const MAX_WINDOWS_AHEAD = 2;

/** Harvests a Libris profile: the outgoing requests created since the last successful run (a day of
 *  overlap; the harvest start date on the first run) in windows of at most 31 days (shorter where the
 *  records are dense), then a refresh, one by one by LF number, of the library's still-open imported requests
 *  whose Libris status can still change that the windows did not bring, and of the records that failed in the
 *  last run. Every call to Libris is paced (LIBRIS_MAX_REQUESTS_PER_SECOND). */
@Injectable()
export class LibrisImporter implements Importer {
  constructor(
    private readonly settings: ImportSettings,
    private readonly progress: RunProgress,
    private readonly runs: JobRunsService,
  ) {}

  async run(ctx: RunContext, writer: RequestWriter): Promise<ImportOutcome> {
    const { profile } = ctx;
    const client = new LibrisClient({
      baseUrl: profile.baseUrl!,
      sigel: profile.libraryCode,
      apiKey: profile.authEnabled ? (ctx.secret ?? undefined) : undefined,
      timeoutMs: this.settings.httpTimeoutMs,
      retry: this.settings.retry,
      maxRequestsPerSecond: this.settings.librisMaxRequestsPerSecond,
    });
    const { from, to } = harvestSpan(profile);
    // A start date given to the second: Libris is asked for the whole day, and the records of that day that last
    // changed before the instant are dropped (counted in a warning), never imported nor silently kept.
    const cutoff = notBefore(profile);
    let dropped = 0;
    const warnings: string[] = [];
    const seen = new Set<string>();
    const tracker = this.progress.start(ctx, 'HARVESTING', { pipelined: this.settings.writeConcurrency });
    try {
      const batchSize = this.settings.batchSize;

      // Windows of at most 31 days, each as long as the last one's density allows for about maxWindowRecords
      // records, so a dense period is read in short windows and no big window is held. A window whose body is
      // too long anyway is dropped unparsed and read again shorter. A fetch never rejects, it answers its error.
      type Fetched = { window: HarvestWindow; records: unknown[] | null; error: unknown };
      const fetchWindow = (window: HarvestWindow): Promise<Fetched> => {
        const days = windowDays(window);
        return client.listOutgoingWithin(window.startDate, window.endDate, days > 1 ? this.settings.maxWindowBodyBytes : Infinity).then(
          (answer): Fetched | Promise<Fetched> =>
            'records' in answer ? { window, records: answer.records, error: null } : fetchWindow(windowAt(window.startDate, window.endDate, Math.floor(days / 2))!),
          (error: unknown) => ({ window, records: null, error }),
        );
      };
      // Windows are asked for ahead of the one being written: one, or two once a window had not been answered yet
      // when its turn came (the source answers more slowly than the batches are written, as in a re-read of
      // unchanged records). A window holds about maxWindowRecords records (~1.5 MB parsed for Libris's 2 KB records).
      let days = MAX_WINDOW_DAYS;
      let nextStart: string | null = from;
      let ahead = 1;
      const queue: { planned: HarvestWindow; answer: Promise<Fetched>; answered: boolean }[] = [];
      const askAhead = async () => {
        while (queue.length < ahead && nextStart !== null) {
          const window = windowAt(nextStart, to, days);
          nextStart = window ? dayAfter(window.endDate) : null;
          if (!window) break;
          await tracker.checkAbort();
          const entry = { planned: window, answer: fetchWindow(window), answered: false };
          void entry.answer.then(() => (entry.answered = true));
          queue.push(entry);
        }
      };
      await askAhead();
      let fresh = true; // the window asked last, with nothing to write meanwhile: not counted as waited for
      while (queue.length) {
        const { planned, answer, answered } = queue.shift()!;
        if (!fresh && !answered) ahead = MAX_WINDOWS_AHEAD; // the writing caught up with the reading
        fresh = false;
        const fetched = await answer;
        let records = fetched.records;
        if (fetched.error) {
          // An answer that is not the JSON envelope (a login page, an error text) fails the run at once: what
          // the other windows would bring is as suspect. It names its window; the cursor stays where it was.
          const error = fetched.error;
          if (error instanceof ExternalSystemError && error.kind === 'UNEXPECTED_RESPONSE') {
            throw new ExternalSystemError(error.kind, `Window ${fetched.window.startDate}…${fetched.window.endDate}: ${error.message}`, error.status);
          }
          throw error;
        } else if (records!.length) {
          days = (this.settings.maxWindowRecords * windowDays(fetched.window)) / records!.length;
        } else {
          days = MAX_WINDOW_DAYS;
        }
        if (fetched.window.endDate !== planned.endDate) {
          // Answered for fewer days than planned (too large a body): the windows asked after it are dropped
          // (their answers ignored) and the harvest goes on from the day after the one answered.
          queue.length = 0;
          nextStart = dayAfter(fetched.window.endDate);
          fresh = true;
        }
        await askAhead();
        if (cutoff && records?.length) {
          const kept = records.filter((raw) => !((librisLastModified(raw)?.getTime() ?? Infinity) < cutoff.getTime()));
          dropped += records.length - kept.length;
          records = kept;
        }
        // Written a batch at a time; each batch leaves the window's array once taken, so it is freed once written.
        while (records?.length) {
          const results = records.splice(0, batchSize).map(mapLibrisRecord);
          for (const r of results) if (r.ok) seen.add(r.request.externalId);
          await tracker.write(writer, results);
        }
        records = null;
      }

      // The records that failed in the last run (each id once), then the library's open imported requests whose Libris
      // status can still change and that the windows did not bring, least recently refreshed first, at most
      // LIBRIS_REFRESH_PER_RUN of them (a run's duration is bounded; every open request is refreshed within
      // ⌈open ÷ that⌉ runs), one by one by LF number at the client's pace. One Libris no longer knows is left as it
      // was, with a warning. The run says how many were refreshed and how many wait for a later run.
      const rate = client.pacer.perSecond;
      // A record that failed for want of an LF number is named by its request_id: it cannot be read by LF number.
      const retried = (await this.runs.failedInLastCompletedRun(profile.id, 'BORROWING')).filter((id) => !seen.has(id) && !/^\d+$/.test(id));
      const budget = Math.max(0, this.settings.refreshPerRun - retried.length);
      const { due, total } = await writer.dueForRefresh(ctx, 'BORROWING', { limit: budget, exceptStatuses: LIBRIS_FINAL_STATUSES, except: [...seen, ...retried] });
      const planned = [...new Set([...retried, ...due.map((r) => r.externalId)])];
      let refreshed = 0;
      const notFound: string[] = [];
      const showRefresh = () => {
        const left = client.pacer.secondsFor(planned.length - refreshed + 1);
        return `Refreshing open requests by LF number, at most ${rate} a second: ${refreshed} of at most ${planned.length}` + (left >= 1 ? ` (about ${formatDuration(left)} left)` : '');
      };
      tracker.stage('REFRESHING', showRefresh());
      for (let i = 0; i < planned.length; i += batchSize) {
        const slice = planned.slice(i, i + batchSize);
        const fetched = await mapConcurrent(slice, this.settings.refreshConcurrency, (lfNumber) => client.getByLfNumber(lfNumber));
        fetched.forEach((raw, j) => raw === null && notFound.push(slice[j]));
        refreshed += slice.length;
        tracker.detail(showRefresh());
        const results: MappingResult[] = fetched.filter((raw) => raw !== null).map(mapLibrisRecord);
        await tracker.write(writer, results);
        await writer.markRefreshed(ctx, 'BORROWING', slice);
      }
      const waiting = total - due.length;
      if (waiting > 0) {
        warnings.push(
          `Refreshed ${due.length} open request${due.length === 1 ? '' : 's'} by LF number, least recently refreshed first (LIBRIS_REFRESH_PER_RUN=${this.settings.refreshPerRun}); ` +
            `${waiting} wait for a later run (every open request is refreshed within ${Math.ceil(total / Math.max(1, this.settings.refreshPerRun))} runs)`,
        );
      }
      if (notFound.length) warnings.push(notFoundWarning(notFound));
      if (dropped) warnings.push(`${dropped} record${dropped === 1 ? '' : 's'} of ${from} last changed before the harvest start ${cutoff!.toISOString().replace('.000Z', 'Z')} and ${dropped === 1 ? 'was' : 'were'} not imported`);
      await tracker.flush();
    } finally {
      await tracker.settle();
    }
    return { cursor: new Date(`${to}T00:00:00.000Z`), windowFrom: from, windowTo: to, failures: [], warnings };
  }
}

/** At most this many LF numbers are named in a warning. */
const NAMED_IN_WARNING = 20;

function notFoundWarning(lfNumbers: string[]): string {
  const named = lfNumbers.slice(0, NAMED_IN_WARNING).join(', ') + (lfNumbers.length > NAMED_IN_WARNING ? ', …' : '');
  const count = lfNumbers.length === 1 ? '1 open request was' : `${lfNumbers.length} open requests were`;
  return `${count} not found in Libris when refreshed by LF number and left as they were: ${named}`;
}

/** "2 h 5 min", "4 min", "40 s". */
function formatDuration(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const minutes = Math.round(seconds / 60);
  return minutes < 60 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
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
