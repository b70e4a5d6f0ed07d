import { nextHarvestDay } from '@illbridge/workflow';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { classifyHttpError, DEFAULT_RETRY_POLICY, RetryPolicy, withRetry } from '@illbridge/connectors/http-retry';
import { CatpClient, fieldValue, mapNacsisRecord, NACSIS_DATABASES, searchTerm } from '@illbridge/connectors/nacsis';
import type { CatpHandle, CatpRecord, NacsisDatabase } from '@illbridge/connectors/nacsis';
import { ExternalSystemError, MappingResult } from '@illbridge/connectors/types';
import type { Direction } from '@illbridge/database/entities';
import { ImportSettings } from '../import-settings';
import { BatchSink } from '../runs/request-writer';
import { Importer, ImportOutcome, RunContext, RunFailure } from '../runs/run-context';
import { JobRunsService } from '../runs/job-runs.service';
import { RunProgress } from '../runs/run-progress';

const SYSTEM_NAME = 'NACSIS-ILL';
const day = (date: Date) => date.toISOString().slice(0, 10);
/** Our borrowing first, then our lending (nacsis-ill.md §5 step 2). */
const HARVESTED: readonly NacsisDatabase[] = ['COPYO', 'LOANO', 'COPYA', 'LOANA'];
const LENDER_DATABASES: readonly NacsisDatabase[] = ['COPYA', 'LOANA'];
const DATABASE_BY_FORMAT: Record<Direction, Record<string, NacsisDatabase>> = {
  BORROWING: { COPY: 'COPYO', LOAN: 'LOANO' },
  LENDING: { COPY: 'COPYA', LOAN: 'LOANA' },
};
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
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly settings: ImportSettings,
    private readonly progress: RunProgress,
    private readonly runs: JobRunsService,
  ) {}

  async run(ctx: RunContext, sink: BatchSink): Promise<ImportOutcome> {
    const { profile } = ctx;
    if (!profile.baseUrl) throw new RunFailure('PROFILE_INCOMPLETE', `Profile ${profile.code} has no base URL`);
    if (!profile.authUserId || !ctx.secret) throw new RunFailure('AUTHENTICATION_FAILED', `Profile ${profile.code} has no NACSIS user id or password`);
    const client = new CatpClient({ baseUrl: profile.baseUrl, timeoutMs: this.settings.httpTimeoutMs });
    const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...this.settings.retry };
    const call = <T>(fn: () => Promise<T>) => withRetry(fn, { ...policy, systemName: SYSTEM_NAME }, (error) => classifyHttpError(error, SYSTEM_NAME));

    const now = new Date();
    const from = nextHarvestDay(profile)!;
    const to = day(now);
    const query = searchTerm('RNWDT', from.replaceAll('-', ''), '>=');
    const failures: ImportOutcome['failures'] = [];
    const seen: Record<Direction, Set<string>> = { BORROWING: new Set(), LENDING: new Set() };
    const tracker = this.progress.start(ctx, 'HARVESTING');

    const handle = await call(() => client.getHandle(profile.authUserId!, ctx.secret!));
    try {
      for (const db of HARVESTED) {
        await tracker.checkAbort();
        try {
          await this.harvest(ctx, sink, tracker, call, client, handle, db, query, seen);
        } catch (error) {
          if (error instanceof ExternalSystemError && error.kind === 'MALFORMED_RESPONSE') {
            failures.push({ code: 'MALFORMED_RESPONSE', message: `${db} since ${from}: ${error.message}` });
            continue;
          }
          throw error;
        }
      }

      tracker.stage('REFRESHING');
      // Records that failed in the last completed run are read again, so a fixed cause (a library
      // mapping added) imports them even when they have not changed since.
      for (const direction of ['BORROWING', 'LENDING'] as const) {
        const retried = (await this.runs.failedInLastCompletedRun(profile.id, direction)).filter((id) => !seen[direction].has(id));
        for (const db of Object.values(DATABASE_BY_FORMAT[direction])) {
          await this.lookUp(ctx, sink, tracker, call, client, handle, db, retried, seen);
        }
      }
      if (!failures.length) await this.closeMovedOn(ctx, sink, tracker, call, client, handle, seen);
    } finally {
      await client.releaseHandle(handle).catch(() => undefined);
    }
    await tracker.flush();
    return { cursor: new Date(`${to}T00:00:00.000Z`), windowFrom: from, windowTo: to, failures };
  }

  /** SEARCH one database and RETRIEVE its hits a batch at a time. */
  private async harvest(
    ctx: RunContext,
    sink: BatchSink,
    tracker: Tracker,
    call: <T>(fn: () => Promise<T>) => Promise<T>,
    client: CatpClient,
    handle: CatpHandle,
    db: NacsisDatabase,
    query: string,
    seen: Record<Direction, Set<string>>,
  ) {
    // No records with the SEARCH: they all come page by page with RETRIEVE.
    const result = await call(() => client.search(handle, db, query, { smallSetUpperBound: 0, largeSetLowerBound: 1 }));
    let position = result.resultCount > 0 ? result.nextPosition || 1 : 0;
    while (position > 0) {
      await tracker.checkAbort();
      const start = position;
      const page = await call(() => client.retrieve(handle, db, result, start, this.settings.batchSize));
      if (!page.records.length) break;
      await this.writePage(ctx, sink, tracker, db, page.records, seen);
      position = page.nextPosition;
    }
  }

  /** Reads the records with the given ids from `db` (those not in our view of it do not come back) and writes them. */
  private async lookUp(
    ctx: RunContext,
    sink: BatchSink,
    tracker: Tracker,
    call: <T>(fn: () => Promise<T>) => Promise<T>,
    client: CatpClient,
    handle: CatpHandle,
    db: NacsisDatabase,
    ids: readonly string[],
    seen: Record<Direction, Set<string>>,
  ): Promise<Set<string>> {
    const found = new Set<string>();
    for (let i = 0; i < ids.length; i += this.settings.batchSize) {
      await tracker.checkAbort();
      const slice = ids.slice(i, i + this.settings.batchSize);
      const page = await call(() => client.retrieve(handle, db, slice, 1, slice.length));
      const records = page.records.filter((record) => {
        const id = fieldValue(record, 'ID');
        return id !== undefined && slice.includes(id);
      });
      for (const record of records) found.add(fieldValue(record, 'ID')!);
      if (records.length) await this.writePage(ctx, sink, tracker, db, records, seen);
    }
    return found;
  }

  private async writePage(ctx: RunContext, sink: BatchSink, tracker: Tracker, db: NacsisDatabase, records: readonly CatpRecord[], seen: Record<Direction, Set<string>>) {
    const results = records.map((record) => mapNacsisRecord(record, db));
    for (const r of results) if (r.ok) seen[r.request.direction].add(r.request.externalId);
    await this.linkByOrderNumber(ctx, NACSIS_DATABASES[db].direction, results);
    await tracker.write(sink, results);
  }

  /** A borrowing request created here and ordered in NACSIS later is known by our own number (`ONO`,
   *  kept in external_ref, or still its external id) but not yet by the NACSIS ID: it takes the NACSIS
   *  ID first, so the writer enriches it instead of creating a second request. Only requests never
   *  written from a NACSIS record (no content hash) are linked, each to one record. `ONO` is the
   *  borrower's number, so for our lending it is another library's and identifies nothing of ours. */
  private async linkByOrderNumber(ctx: RunContext, direction: Direction, results: MappingResult[]) {
    if (direction !== 'BORROWING') return;
    const candidates = results.flatMap((r) => (r.ok && r.request.externalRef && r.request.externalRef !== r.request.externalId ? [r.request] : []));
    if (!candidates.length) return;
    await this.dataSource.query(
      `WITH k AS (
         SELECT DISTINCT ON (k.nacsis_id) t.id, k.nacsis_id
           FROM unnest($3::varchar[], $4::varchar[]) AS k(nacsis_id, ono)
           JOIN rs_request t ON t.profile_id = $1 AND t.direction = $2 AND t.content_hash IS NULL AND (t.external_id = k.ono OR t.external_ref = k.ono)
          WHERE NOT EXISTS (SELECT 1 FROM rs_request x WHERE x.profile_id = $1 AND x.direction = $2 AND x.external_id = k.nacsis_id)
          ORDER BY k.nacsis_id, (t.external_id = k.ono) DESC, t.created_at
       ), m AS (
         SELECT DISTINCT ON (id) id, nacsis_id FROM k ORDER BY id, nacsis_id
       ), linked AS (
         UPDATE rs_request r SET external_id = m.nacsis_id, external_ref = COALESCE(r.external_ref, r.external_id), updated_at = now()
           FROM m WHERE r.id = m.id
         RETURNING r.id, r.external_ref, r.external_id, r.status, r.external_system_status
       )
       INSERT INTO request_event (request_id, type, from_status, to_status, external_system_status, job_run_id, message)
       SELECT id, 'UPDATED', status, status, external_system_status, $5, 'Linked to NACSIS record ' || external_id || ' by its order number ' || external_ref
         FROM linked`,
      [ctx.profile.id, direction, candidates.map((r) => r.externalId), candidates.map((r) => r.externalRef), ctx.run.id],
    );
  }

  /** Open lending requests the harvest did not bring back, looked up by ID in our lender databases;
   *  those no longer in our view (the record moved on to the next candidate after our refusal) are
   *  closed as REJECTED, a batch per statement with their request and record events. */
  private async closeMovedOn(
    ctx: RunContext,
    sink: BatchSink,
    tracker: Tracker,
    call: <T>(fn: () => Promise<T>) => Promise<T>,
    client: CatpClient,
    handle: CatpHandle,
    seen: Record<Direction, Set<string>>,
  ) {
    const open: { external_id: string; format: string | null }[] = await this.dataSource.query(
      `SELECT external_id, format FROM rs_request WHERE profile_id = $1 AND direction = 'LENDING' AND closed = false ORDER BY external_id`,
      [ctx.profile.id],
    );
    const unseen = open.filter((r) => !seen.LENDING.has(r.external_id));
    for (let i = 0; i < unseen.length; i += this.settings.batchSize) {
      const slice = unseen.slice(i, i + this.settings.batchSize);
      const found = new Set<string>();
      for (const db of LENDER_DATABASES) {
        const ids = slice.filter((r) => !found.has(r.external_id) && (r.format === null || DATABASE_BY_FORMAT.LENDING[r.format] === db)).map((r) => r.external_id);
        for (const id of await this.lookUp(ctx, sink, tracker, call, client, handle, db, ids, seen)) found.add(id);
      }
      const gone = slice.filter((r) => !found.has(r.external_id)).map((r) => r.external_id);
      if (gone.length) await this.reject(ctx, gone);
    }
  }

  private async reject(ctx: RunContext, externalIds: string[]) {
    await this.dataSource.query(
      `WITH gone AS (
         UPDATE rs_request r SET status = 'REJECTED', closed = true, content_hash = NULL, last_job_run_id = $3, updated_at = now()
           FROM rs_request o
          WHERE o.id = r.id AND r.profile_id = $1 AND r.direction = 'LENDING' AND r.closed = false AND r.external_id = ANY($2::varchar[])
         RETURNING r.id, r.external_id, o.status AS from_status, r.external_system_status
       ), events AS (
         INSERT INTO request_event (request_id, type, from_status, to_status, external_system_status, job_run_id, message)
         SELECT id, 'STATUS_CHANGED', from_status, 'REJECTED', external_system_status, $3, '${MOVED_ON_MESSAGE}' FROM gone
       )
       INSERT INTO record_event (job_run_id, external_id, direction, outcome, reason_code, message, warnings, request_id)
       SELECT $3, external_id, 'LENDING', 'UPDATED', NULL, '${MOVED_ON_MESSAGE}', '[]'::jsonb, id FROM gone
       ON CONFLICT (job_run_id, direction, external_id) DO UPDATE SET
         outcome = EXCLUDED.outcome, reason_code = EXCLUDED.reason_code, message = EXCLUDED.message, warnings = EXCLUDED.warnings, request_id = EXCLUDED.request_id`,
      [ctx.profile.id, externalIds, ctx.run.id],
    );
  }
}
