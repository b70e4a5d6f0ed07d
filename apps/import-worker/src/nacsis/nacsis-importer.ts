import { Injectable } from '@nestjs/common';
import { classifyHttpError, DEFAULT_RETRY_POLICY, RetryOptions, withRetry } from '@illbridge/connectors/http-retry';
import { CatpClient, fieldValue, mapNacsisRecord, NACSIS_DATABASES, nacsisDatabasesOf, searchTerm } from '@illbridge/connectors/nacsis';
import type { CatpHandle, CatpRecord, NacsisDatabase } from '@illbridge/connectors/nacsis';
import { ExternalSystemError, MappingResult } from '@illbridge/connectors/types';
import { DIRECTIONS } from '@illbridge/database/entities';
import type { Direction } from '@illbridge/database/entities';
import { ImportSettings } from '../import-settings';
import type { Importer } from '../runs/importer';
import { JobRunsService } from '../runs/job-runs.service';
import type { RequestWriter } from '../runs/request-writer';
import { harvestSpan, ImportOutcome, RunContext, RunFailure } from '../runs/run-context';
import { RunProgress } from '../runs/run-progress';

const SYSTEM_NAME = 'NACSIS-ILL';
/** Our borrowing first, then our lending (nacsis-ill.md §5 step 2). */
const HARVESTED = Object.keys(NACSIS_DATABASES) as NacsisDatabase[];
export const MOVED_ON_MESSAGE = 'moved on to the next candidate';

type Tracker = ReturnType<RunProgress['start']>;

/** Synchronises a NACSIS-ILL profile (nacsis-ill.md §5): under one CATP handle, the records of
 *  COPYO/LOANO (our borrowing) and COPYA/LOANA (our lending) changed since the last successful run (a
 *  day of overlap; the harvest start date on the first run), page by page; then the records that failed
 *  in the last run again, and the open lending requests the harvest did not bring back, looked up by ID:
 *  those gone from our lender view (moved on to the next candidate after our refusal) become REJECTED. */
@Injectable()
export class NacsisImporter implements Importer {
  constructor(
    private readonly settings: ImportSettings,
    private readonly progress: RunProgress,
    private readonly runs: JobRunsService,
  ) {}

  async run(ctx: RunContext, writer: RequestWriter): Promise<ImportOutcome> {
    const { profile } = ctx;
    if (!profile.baseUrl) throw new RunFailure('PROFILE_INCOMPLETE', `Profile ${profile.code} has no base URL`);
    if (!profile.authUserId || !ctx.secret) throw new RunFailure('AUTHENTICATION_FAILED', `Profile ${profile.code} has no NACSIS user id or password`);
    const client = new CatpClient({ baseUrl: profile.baseUrl, timeoutMs: this.settings.httpTimeoutMs });
    const policy: RetryOptions = { ...DEFAULT_RETRY_POLICY, ...this.settings.retry, systemName: SYSTEM_NAME };
    const call: Call = (fn) => withRetry(fn, policy, (error) => classifyHttpError(error, SYSTEM_NAME));
    const { from, to } = harvestSpan(profile);
    const tracker = this.progress.start(ctx, 'HARVESTING');

    const handle = await call(() => client.getHandle(profile.authUserId!, ctx.secret!));
    const sync = new NacsisSync(ctx, writer, tracker, call, client, handle, this.settings.batchSize);
    try {
      await sync.harvestSince(from);
      tracker.stage('REFRESHING');
      // Records that failed in the last completed run are read again, so a fixed cause (a library
      // mapping added) imports them even when they have not changed since.
      for (const direction of DIRECTIONS) {
        await sync.retry(direction, await this.runs.failedInLastCompletedRun(profile.id, direction));
      }
      if (!sync.failures.length) await sync.closeMovedOn();
    } finally {
      await client.releaseHandle(handle).catch(() => undefined);
    }
    await tracker.flush();
    return { cursor: new Date(`${to}T00:00:00.000Z`), windowFrom: from, windowTo: to, failures: sync.failures };
  }
}

/** A CATP call, retried on transient failures. */
type Call = <T>(fn: () => Promise<T>) => Promise<T>;

/** One synchronisation run: what it works with (the run, its writer and progress, the CATP client and handle) and
 *  what it has learnt so far (the records seen, the parts that could not be read). */
class NacsisSync {
  readonly failures: ImportOutcome['failures'] = [];
  /** The external ids of the records read in this run, by direction. */
  private readonly seen: Record<Direction, Set<string>> = { BORROWING: new Set(), LENDING: new Set() };

  constructor(
    private readonly ctx: RunContext,
    private readonly writer: RequestWriter,
    private readonly tracker: Tracker,
    private readonly call: Call,
    private readonly client: CatpClient,
    private readonly handle: CatpHandle,
    private readonly batchSize: number,
  ) {}

  /** The records of every database renewed since `from`; a database whose answer is malformed is a failure of the
   *  run (the others are still read). */
  async harvestSince(from: string) {
    const query = searchTerm('RNWDT', from.replaceAll('-', ''), '>=');
    for (const db of HARVESTED) {
      await this.tracker.checkAbort();
      try {
        await this.harvest(db, query);
      } catch (error) {
        if (error instanceof ExternalSystemError && error.kind === 'MALFORMED_RESPONSE') {
          this.failures.push({ code: 'MALFORMED_RESPONSE', message: `${db} since ${from}: ${error.message}` });
          continue;
        }
        throw error;
      }
    }
  }

  /** The records of `direction` with these ids that the harvest did not bring, looked up in its databases. */
  async retry(direction: Direction, ids: readonly string[]) {
    const retried = ids.filter((id) => !this.seen[direction].has(id));
    for (const db of nacsisDatabasesOf(direction)) await this.lookUp(db, retried);
  }

  /** Open lending requests the harvest did not bring back, looked up by ID in our lender databases;
   *  those no longer in our view (the record moved on to the next candidate after our refusal) are
   *  closed as REJECTED, a batch per statement with their request and record events. */
  async closeMovedOn() {
    const open = await this.writer.openRequests(this.ctx, 'LENDING');
    const unseen = open.filter((r) => !this.seen.LENDING.has(r.externalId));
    for (let i = 0; i < unseen.length; i += this.batchSize) {
      const slice = unseen.slice(i, i + this.batchSize);
      const found = new Set<string>();
      for (const db of nacsisDatabasesOf('LENDING')) {
        const ids = slice.filter((r) => !found.has(r.externalId) && (r.format === null || NACSIS_DATABASES[db].format === r.format)).map((r) => r.externalId);
        for (const id of await this.lookUp(db, ids)) found.add(id);
      }
      const gone = slice.filter((r) => !found.has(r.externalId)).map((r) => r.externalId);
      if (gone.length) await this.writer.rejectGone(this.ctx, gone, MOVED_ON_MESSAGE);
    }
  }

  /** SEARCH one database and RETRIEVE its hits a batch at a time. */
  private async harvest(db: NacsisDatabase, query: string) {
    // No records with the SEARCH: they all come page by page with RETRIEVE.
    const result = await this.call(() => this.client.search(this.handle, db, query, { smallSetUpperBound: 0, largeSetLowerBound: 1 }));
    let position = result.resultCount > 0 ? result.nextPosition || 1 : 0;
    while (position > 0) {
      await this.tracker.checkAbort();
      const start = position;
      const page = await this.call(() => this.client.retrieve(this.handle, db, result, start, this.batchSize));
      if (!page.records.length) break;
      await this.writePage(db, page.records);
      position = page.nextPosition;
    }
  }

  /** Reads the records with the given ids from `db` (those not in our view of it do not come back) and writes them;
   *  answers the ids found. */
  private async lookUp(db: NacsisDatabase, ids: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (let i = 0; i < ids.length; i += this.batchSize) {
      await this.tracker.checkAbort();
      const slice = ids.slice(i, i + this.batchSize);
      const page = await this.call(() => this.client.retrieve(this.handle, db, slice, 1, slice.length));
      const records = page.records.filter((record) => {
        const id = fieldValue(record, 'ID');
        return id !== undefined && slice.includes(id);
      });
      for (const record of records) found.add(fieldValue(record, 'ID')!);
      if (records.length) await this.writePage(db, records);
    }
    return found;
  }

  private async writePage(db: NacsisDatabase, records: readonly CatpRecord[]) {
    const results = records.map((record) => mapNacsisRecord(record, db));
    for (const r of results) if (r.ok) this.seen[r.request.direction].add(r.request.externalId);
    await this.linkByOrderNumber(NACSIS_DATABASES[db].direction, results);
    await this.tracker.write(this.writer, results);
  }

  /** A borrowing request created here and ordered in NACSIS later is known by our own number (`ONO`) but not yet
   *  by the NACSIS ID: the writer links it first, so that the batch enriches it instead of creating a second
   *  request. `ONO` is the borrower's number, so for our lending it is another library's and identifies nothing
   *  of ours. */
  private async linkByOrderNumber(direction: Direction, results: MappingResult[]) {
    if (direction !== 'BORROWING') return;
    const candidates = results.flatMap((r) =>
      r.ok && r.request.externalRef && r.request.externalRef !== r.request.externalId ? [{ externalId: r.request.externalId, orderNumber: r.request.externalRef }] : [],
    );
    await this.writer.linkByOrderNumber(this.ctx, direction, candidates);
  }
}
