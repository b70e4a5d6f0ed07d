import { Injectable } from '@nestjs/common';
import { classifyHttpError, DEFAULT_RETRY_POLICY, RetryOptions, withRetry } from '@illbridge/connectors/http-retry';
import {
  CatpClient,
  fieldValue,
  mapNacsisRecord,
  NACSIS_DATABASES,
  nacsisDatabasesOf,
  nacsisRecordState,
  recordShowsCommand,
  renewalSearches,
  searchTerm,
} from '@illbridge/connectors/nacsis';
import type { CatpHandle, CatpRecord, CatpResultSet, NacsisDatabase } from '@illbridge/connectors/nacsis';
import { ExternalSystemError, MappingResult } from '@illbridge/connectors/types';
import { DIRECTIONS } from '@illbridge/database/entities';
import type { Direction } from '@illbridge/database/entities';
import { mapNacsisStatus } from '@illbridge/workflow';
import { ImportSettings } from '../import-settings';
import type { Importer } from '../runs/importer';
import { JobRunsService } from '../runs/job-runs.service';
import type { RequestWriter } from '../runs/request-writer';
import { notBefore } from '@illbridge/workflow';
import { FAILURE_CODE, harvestSpan, ImportOutcome, RunContext, RunFailure } from '../runs/run-context';
import { RunProgress } from '../runs/run-progress';

const SYSTEM_NAME = 'NACSIS-ILL';
/** Our borrowing first, then our lending (nacsis-ill.md §5 step 2). */
const HARVESTED = Object.keys(NACSIS_DATABASES) as NacsisDatabase[];
export const MOVED_ON_MESSAGE = 'moved on to the next candidate';
/** At most this many ids are named in a warning. */
const NAMED_IN_WARNING = 20;
const JST_OFFSET_MS = 9 * 3_600_000;
/** Today in Japan (`YYYY-MM-DD`): RNWDT is NACSIS's date. */
const japanToday = (now = Date.now()) => new Date(now + JST_OFFSET_MS).toISOString().slice(0, 10);
/** How far NACSIS's clock may be behind ours (or a renewal dated before it is searchable): a search begun this long
 *  after midnight in Japan may still miss records renewed on the day before, so that day is read again. */
export const NACSIS_CLOCK_MARGIN_MS = 10 * 60_000;
/** Where the next harvest of a database starts after a complete search of the records renewed through `through`,
 *  begun at `searchStart`: every record renewed later carries that search's day in Japan or a later one (RNWDT is a
 *  day), less the clock margin; a search of earlier days only moves it to its last day. */
export const nextRenewalDay = (through: string, searchStart: number) => [through, japanToday(searchStart - NACSIS_CLOCK_MARGIN_MS)].sort()[0];

type Tracker = ReturnType<RunProgress['start']>;

/** Synchronises a NACSIS-ILL profile (nacsis-ill.md §5): under one CATP handle, the records of
 *  COPYO/LOANO (our borrowing) and COPYA/LOANA (our lending) renewed since each database's cursor (a day of
 *  overlap; the harvest start date on the first run), one search per day or whole month, page by page; then the
 *  records that failed in the last run again, and the open lending requests the harvest did not bring back, looked
 *  up by ID a few at a time: those a complete answer shows gone from our lender view (moved on to the next
 *  candidate after our refusal) become REJECTED. */
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
    const sync = new NacsisSync(ctx, writer, tracker, call, client, handle, this.settings, this.runs);
    let window = { first: from, last: to };
    try {
      window = await sync.harvestSince(from, to);
      tracker.stage('REFRESHING');
      // Records that failed in the last completed run are read again, so a fixed cause (a library
      // mapping added) imports them even when they have not changed since.
      for (const direction of DIRECTIONS) {
        await sync.retry(direction, await this.runs.failedInLastCompletedRun(profile.id, direction));
      }
      if (!sync.failures.length) await sync.closeMovedOn();
      const cutoff = notBefore(profile);
      // NACSIS-ILL dates its records by day only (RNWDT YYYYMMDD): a start given to the second cannot be applied
      // within its day, so the whole day is imported, and the run says so rather than truncating it silently.
      if (cutoff) sync.warnings.push(`NACSIS-ILL dates records by day only: every record of ${from} was imported, including any changed before the harvest start ${cutoff.toISOString().replace('.000Z', 'Z')}`);
    } finally {
      await client.releaseHandle(handle).catch(() => undefined);
    }
    await tracker.flush();
    return { cursor: new Date(`${to}T00:00:00.000Z`), windowFrom: window.first, windowTo: window.last, failures: sync.failures, warnings: sync.warnings };
  }
}

/** A CATP call, retried on transient failures. */
type Call = <T>(fn: () => Promise<T>) => Promise<T>;

/** One synchronisation run: what it works with (the run, its writer and progress, the CATP client and handle) and
 *  what it has learnt so far (the records seen, the parts that could not be read, what it noticed). */
class NacsisSync {
  readonly failures: ImportOutcome['failures'] = [];
  readonly warnings: string[] = [];
  /** The external ids of the records read in this run, by direction. */
  private readonly seen: Record<Direction, Set<string>> = { BORROWING: new Set(), LENDING: new Set() };

  constructor(
    private readonly ctx: RunContext,
    private readonly writer: RequestWriter,
    private readonly tracker: Tracker,
    private readonly call: Call,
    private readonly client: CatpClient,
    private readonly handle: CatpHandle,
    private readonly settings: ImportSettings,
    private readonly runs: JobRunsService,
  ) {}

  /** The records of every database renewed since its own cursor (`from` for a database without one) up to today in
   *  Japan, by one search per day or whole month (`RNWDT="YYYYMMDD"`, `RNWDT="YYYYMM*"`: no range operator). The
   *  cursor is the first day the next run must read again (`nextRenewalDay`): the day in Japan its last search
   *  began, so the overlap is today's records only (and yesterday's just after midnight in Japan). A database's
   *  cursor moves on after each search read completely, so a database that fails (its failure fails the run) holds
   *  back neither its own days already read nor the other databases. Answers the first and the last day read. */
  async harvestSince(from: string, to: string): Promise<{ first: string; last: string }> {
    const cursors = this.ctx.profile.harvestCursors ?? {};
    const lastDay = [to, japanToday()].sort().at(-1)!;
    let first = lastDay;
    for (const db of HARVESTED) {
      await this.tracker.checkAbort();
      const start = cursors[db] ?? from;
      if (start < first) first = start;
      try {
        for (const search of renewalSearches(start, lastDay)) {
          const searchStart = Date.now();
          await this.harvest(db, search.query);
          await this.runs.setPartCursor(this.ctx.profile, db, nextRenewalDay(search.through, searchStart));
        }
      } catch (error) {
        if (error instanceof ExternalSystemError && error.kind !== 'AUTHENTICATION') {
          this.failures.push({ code: FAILURE_CODE[error.kind], message: `${db} since ${start}: ${error.message}` });
          continue;
        }
        throw error;
      }
    }
    return { first, last: lastDay };
  }

  /** The records of `direction` with these ids that the harvest did not bring, looked up in its databases. */
  async retry(direction: Direction, ids: readonly string[]) {
    const retried = ids.filter((id) => !this.seen[direction].has(id));
    for (const db of nacsisDatabasesOf(direction)) await this.lookUp(db, retried);
  }

  /** Open lending requests the harvest did not bring back, looked up by ID in our lender databases; those no longer
   *  in our view (the record moved on to the next candidate after our refusal) are closed as REJECTED, a batch per
   *  statement with their request and record events. Only a look-up that answered completely proves a record gone:
   *  one that did not is a warning, and its requests stay open. At most NACSIS_MOVED_ON_PER_RUN per run, least
   *  recently looked up first (a run's calls stay bounded; every one is looked up within ⌈open ÷ that⌉ runs).
   *  A look-up that finds a record refreshes it too (written like a harvested one: unchanged, it costs its record
   *  event). */
  async closeMovedOn() {
    const budget = this.settings.nacsisMovedOnPerRun;
    const { due: unseen, total } = await this.writer.dueForRefresh(this.ctx, 'LENDING', { limit: budget, exceptStatuses: [], except: [...this.seen.LENDING] });
    const unproven = new Set<string>();
    const batchSize = this.settings.batchSize;
    for (let i = 0; i < unseen.length; i += batchSize) {
      const slice = unseen.slice(i, i + batchSize);
      const found = new Set<string>();
      const incomplete = new Set<string>();
      for (const db of nacsisDatabasesOf('LENDING')) {
        const ids = slice.filter((r) => !found.has(r.externalId) && (r.format === null || NACSIS_DATABASES[db].format === r.format)).map((r) => r.externalId);
        const lookUp = await this.lookUp(db, ids);
        for (const id of lookUp.found) found.add(id);
        for (const id of lookUp.incomplete) incomplete.add(id);
      }
      // Gone only if every database it could be in answered completely without it.
      const missing = slice.filter((r) => !found.has(r.externalId)).map((r) => r.externalId);
      for (const id of missing) if (incomplete.has(id)) unproven.add(id);
      const gone = missing.filter((id) => !incomplete.has(id));
      if (gone.length) await this.writer.rejectGone(this.ctx, gone, MOVED_ON_MESSAGE);
      // An answered look-up counts as a refresh; one that did not answer completely comes first again next run.
      await this.writer.markRefreshed(this.ctx, 'LENDING', slice.map((r) => r.externalId).filter((id) => !incomplete.has(id)));
    }
    if (total > unseen.length) {
      this.warnings.push(
        `Looked up ${unseen.length} open lending requests the harvest did not bring, least recently looked up first (NACSIS_MOVED_ON_PER_RUN=${budget}); ` +
          `${total - unseen.length} wait for a later run (every one is looked up within ${Math.ceil(total / budget)} runs)`,
      );
    }
    if (unproven.size) {
      const ids = [...unproven];
      const named = ids.slice(0, NAMED_IN_WARNING).join(', ') + (ids.length > NAMED_IN_WARNING ? ', …' : '');
      this.warnings.push(`${ids.length} open lending request${ids.length === 1 ? ' was' : 's were'} not found, but the look-up did not answer completely, so left open: ${named}`);
    }
  }

  /** SEARCH one database and RETRIEVE its hits page by page. */
  private async harvest(db: NacsisDatabase, query: string) {
    // No records with the SEARCH: they all come page by page with RETRIEVE.
    const result = await this.call(() => this.client.search(this.handle, this.nameOf(db), query, { smallSetUpperBound: 0, largeSetLowerBound: 1 }));
    const batch = this.batcher(db);
    await this.readAll(db, result, batch.add);
    await batch.flush();
  }

  /** Collects records of `db` and writes them IMPORT_BATCH_SIZE at a time: a server page (100) or a look-up's answer
   *  (a few) written each on its own cost a writer statement, a progress report and a report event apiece. */
  private batcher(db: NacsisDatabase) {
    let pending: CatpRecord[] = [];
    const flush = async () => {
      if (!pending.length) return;
      const records = pending;
      pending = [];
      await this.writePage(db, records);
    };
    return {
      add: async (records: readonly CatpRecord[]) => {
        pending.push(...records);
        if (pending.length >= this.settings.batchSize) await flush();
      },
      flush,
    };
  }

  /** Reads the records with the given ids from `db` (those not in our view of it do not come back) and writes them,
   *  by OR searches of a few ids each, the records asked to come with the SEARCH answer itself (at most as many hits
   *  as ids: no RETRIEVE, unless the server sends fewer), every answer read to its end; answers the ids found, and
   *  the ids whose search did not answer completely (fewer records read than it counted hits), of which nothing can
   *  be concluded. */
  private async lookUp(db: NacsisDatabase, ids: readonly string[]): Promise<{ found: Set<string>; incomplete: Set<string> }> {
    const found = new Set<string>();
    const incomplete = new Set<string>();
    const size = Math.max(1, this.settings.nacsisLookupIds);
    const batch = this.batcher(db);
    for (let i = 0; i < ids.length; i += size) {
      await this.tracker.checkAbort();
      const slice = ids.slice(i, i + size);
      const query = slice.map((id) => searchTerm('ID', id)).join(' OR ');
      const bounds = { smallSetUpperBound: slice.length, largeSetLowerBound: slice.length + 1, mediumSetPresentNumber: 0, smallSetElementSet: '2' } as const;
      const result = await this.call(() => this.client.search(this.handle, this.nameOf(db), query, bounds));
      const read = await this.readAll(db, result, async (page) => {
        const records = page.filter((record) => {
          const id = fieldValue(record, 'ID');
          return id !== undefined && slice.includes(id);
        });
        for (const record of records) found.add(fieldValue(record, 'ID')!);
        await batch.add(records);
      });
      if (read < result.resultCount) for (const id of slice) incomplete.add(id);
    }
    await batch.flush();
    return { found, incomplete };
  }

  /** Hands on the records that came with the SEARCH, then RETRIEVEs every further page of its result set, following
   *  Next-result-set-position (the server returns at most a page, whatever is asked; an empty page that names a next
   *  position is not the end). The next page is asked for while the one before is handed on (one CATP call in flight
   *  at most: the server's answer and our writing overlap). Answers the number of records read; a next position that
   *  does not move forward is a malformed answer (after the page that named it is handed on). */
  private async readAll(db: NacsisDatabase, result: CatpResultSet, onPage: (records: readonly CatpRecord[]) => Promise<void>): Promise<number> {
    let read = result.records.length;
    if (read) await onPage(result.records);
    const retrieve = (start: number) => {
      const page = this.tracker.checkAbort().then(() => this.call(() => this.client.retrieve(this.handle, this.nameOf(db), result, start, this.settings.batchSize)));
      page.catch(() => undefined); // awaited below; until then a failure must not count as unhandled
      return page;
    };
    let position = result.resultCount > read ? result.nextPosition || read + 1 : 0;
    let pending = position > 0 ? retrieve(position) : null;
    while (pending) {
      const start = position;
      const page = await pending;
      read += page.records.length;
      const malformed = page.nextPosition !== 0 && page.nextPosition <= start;
      position = malformed ? 0 : page.nextPosition;
      pending = position > 0 ? retrieve(position) : null;
      if (page.records.length) await onPage(page.records);
      if (malformed) throw new ExternalSystemError('MALFORMED_RESPONSE', `NACSIS RETRIEVE from position ${start} answered Next-result-set-position ${page.nextPosition}`);
    }
    return read;
  }

  /** The name the server knows a database by (a setting). */
  private nameOf(db: NacsisDatabase): string {
    return this.settings.nacsisDatabaseNames[db];
  }

  private async writePage(db: NacsisDatabase, records: readonly CatpRecord[]) {
    const results = records.map((record) => mapNacsisRecord(record, db));
    for (const r of results) if (r.ok) this.seen[r.request.direction].add(r.request.externalId);
    await this.reconcileFailedPushes(db, records);
    await this.linkByOrderNumber(NACSIS_DATABASES[db].direction, results);
    await this.tracker.write(this.writer, results);
  }

  /** Requests of these records whose push failed (PUSH_FAILED) are compared with NACSIS before the records are
   *  written: when NACSIS shows the failed action (our command on the record since we last saw it: it got through,
   *  its answer was lost), the local side was right and the action becomes SENT, the request IN_SYNC; otherwise NACSIS
   *  differs, and the request stays PUSH_FAILED (its local status too) for an operator to retry or discard. Either way
   *  a RECONCILED event says which, once per NACSIS state. */
  private async reconcileFailedPushes(db: NacsisDatabase, records: readonly CatpRecord[]) {
    const direction = NACSIS_DATABASES[db].direction;
    const byId = new Map<string, CatpRecord>();
    for (const record of records) {
      const id = fieldValue(record, 'ID');
      if (id) byId.set(id, record);
    }
    for (const failed of await this.writer.failedPushes(this.ctx, direction, [...byId.keys()])) {
      const record = byId.get(failed.externalId)!;
      const stat = fieldValue(record, 'STAT') ?? null;
      const before = Array.isArray(failed.raw) ? (failed.raw as CatpRecord) : null;
      const applied = recordShowsCommand(record, before, db, this.ctx.profile.libraryCode, failed.command, failed.toStatus);
      const historyLength = nacsisRecordState(record, db)?.history.length ?? null;
      const what = `${failed.action} (#${failed.seq}, NACSIS ${failed.command})`;
      const message = applied
        ? `Reconciled with NACSIS: ${what} is on the NACSIS record (STAT ${stat}): it reached NACSIS although its push failed, so the local side was right; the action is marked SENT`
        : `Reconciled with NACSIS: NACSIS differs: ${what} is not on the NACSIS record (STAT ${stat}; the action leads to ${failed.toStatus}), so NACSIS is right and the local status ${failed.status} is ahead of it; the push stays FAILED until an operator retries or discards it`;
      const sameAs = { outboundActionId: failed.actionId, nacsisStatus: stat, historyLength };
      await this.writer.reconcileFailedPush(this.ctx, {
        requestId: failed.requestId,
        actionId: failed.actionId,
        applied,
        stat,
        raw: record,
        mappedStatus: stat ? mapNacsisStatus(stat, direction) : null,
        message,
        sameAs,
        data: { ...sameAs, seq: failed.seq, command: failed.command, expectedStatus: failed.toStatus, applied, right: applied ? 'LOCAL' : 'NACSIS' },
      });
    }
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
