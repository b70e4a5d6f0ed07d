import { createHash } from 'crypto';
import { DataSource, EntityManager } from 'typeorm';
import type { IncomingRequest, MappingResult } from '@illbridge/connectors/types';
import { Direction, FINAL_STATUSES, JobCounters, RecordOutcome, RequestStatus } from '@illbridge/database/entities';
import { EMPTY_COUNTERS } from '@illbridge/queues/report-events';
import type { RunContext } from './run-context';

/** Where importers put mapped records, a batch at a time. Answers the batch's outcomes as counters
 *  and the external ids it covered. */
export interface BatchSink {
  write(ctx: RunContext, results: MappingResult[]): Promise<BatchResult>;
}

export interface BatchResult {
  delta: JobCounters;
  externalIds: string[];
}

/** The job report counters of a set of record outcomes. */
export function countersOf(events: { direction: Direction; outcome: RecordOutcome }[]): JobCounters {
  const c = { ...EMPTY_COUNTERS };
  for (const e of events) {
    c.totalRecordsProcessed++;
    const failed = e.outcome === 'FAILED';
    if (e.direction === 'BORROWING') {
      c.borrowingProcessed++;
      if (failed) c.borrowingFailed++;
      else c.borrowingSucceeded++;
    } else {
      c.lendingProcessed++;
      if (failed) c.lendingFailed++;
      else c.lendingSucceeded++;
    }
    if (e.outcome === 'CREATED') c.created++;
    else if (e.outcome === 'UPDATED') c.updated++;
    else if (e.outcome === 'UNCHANGED') c.unchanged++;
  }
  return c;
}

interface RecordEventRow {
  externalId: string;
  direction: Direction;
  outcome: RecordOutcome;
  reasonCode: string | null;
  message: string | null;
  warnings: string[];
  requestId: string | null;
}

interface Prepared {
  request: IncomingRequest;
  warnings: string[];
  pickupLibraryCode: string;
  partners: string[];
  partnerCode: string | null;
  hash: string;
}

const DEFAULT_STATUS: Record<Direction, RequestStatus> = { BORROWING: 'CREATED_BORROWING_REQUEST', LENDING: 'CREATED_LENDING_REQUEST' };

/** Columns written from an incoming record (status handled separately: it may stay as it was). */
const DATA_COLUMNS = [
  ['external_ref', 'externalRef'],
  ['external_system_status', 'externalSystemStatus'],
  ['requester_name', 'requesterName'],
  ['requester_id', 'requesterId'],
  ['title', 'title'],
  ['author', 'author'],
  ['isbn', 'isbn'],
  ['issn', 'issn'],
  ['publisher', 'publisher'],
  ['place_of_publication', 'placeOfPublication'],
  ['year', 'year'],
  ['edition', 'edition'],
  ['volume', 'volume'],
  ['issue', 'issue'],
  ['pages', 'pages'],
  ['article_title', 'articleTitle'],
  ['article_author', 'articleAuthor'],
  ['format', 'format'],
  ['note', 'note'],
  ['last_interest_date', 'lastInterestDate'],
] as const;

function stableHash(value: unknown): string {
  const canonical = (v: any): any =>
    Array.isArray(v) ? v.map(canonical) : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical(v[k])])) : v;
  return createHash('sha1').update(JSON.stringify(canonical(value))).digest('hex');
}

/** Idempotent, batched import of mapped records: one transaction per batch, a multi-row
 *  INSERT … ON CONFLICT for the requests, one request event per change and one record event per record. */
export class RequestWriter implements BatchSink {
  constructor(private readonly dataSource: DataSource) {}

  async write(ctx: RunContext, results: MappingResult[]): Promise<BatchResult> {
    const events: RecordEventRow[] = [];
    const prepared = new Map<string, Prepared>(); // by direction|externalId: the last copy of a record wins
    for (const result of results) {
      if (!result.ok) {
        const f = result.failure;
        events.push({ externalId: f.externalId || '(no id)', direction: f.direction, outcome: 'FAILED', reasonCode: f.reasonCode, message: f.message, warnings: [], requestId: null });
        continue;
      }
      const request = result.request;
      const pickup = ctx.libraries.resolve(request.externalLibraryCode);
      if (!pickup) {
        events.push({
          externalId: request.externalId,
          direction: request.direction,
          outcome: 'FAILED',
          reasonCode: 'LIBRARY_NOT_MAPPED',
          message: `Library code "${request.externalLibraryCode ?? ''}" is not mapped in profile ${ctx.profile.code} and no local library has that code`,
          warnings: result.warnings,
          requestId: null,
        });
        continue;
      }
      const warnings = [...result.warnings];
      const partners = request.partnerCodes.map((code) => {
        const known = ctx.partners.resolve(code);
        if (!known) warnings.push(`Unknown partner code "${code}"`);
        return known ?? code;
      });
      const partnerCode = request.activePartnerCode ? (ctx.partners.resolve(request.activePartnerCode) ?? request.activePartnerCode) : null;
      if (request.activePartnerCode && !ctx.partners.resolve(request.activePartnerCode) && !request.partnerCodes.includes(request.activePartnerCode)) {
        warnings.push(`Unknown partner code "${request.activePartnerCode}"`);
      }
      const key = `${request.direction}|${request.externalId}`;
      prepared.set(key, { request, warnings, pickupLibraryCode: pickup, partners, partnerCode, hash: stableHash({ request, pickup, partners, partnerCode }) });
    }

    await this.dataSource.transaction(async (manager) => {
      if (prepared.size) {
        const existing = await this.existing(manager, ctx.profile.id, [...prepared.values()]);
        const changed: { p: Prepared; before: ExistingRow | undefined; status: RequestStatus }[] = [];
        for (const [key, p] of prepared) {
          const before = existing.get(key);
          if (before && before.content_hash === p.hash) {
            events.push(this.event(p, 'UNCHANGED', before.id));
            continue;
          }
          const status = p.request.mappedStatus ?? before?.status ?? DEFAULT_STATUS[p.request.direction];
          changed.push({ p, before, status });
        }
        if (changed.length) {
          const ids = await this.upsert(manager, ctx, changed);
          const requestEvents: unknown[][] = [];
          for (const { p, before, status } of changed) {
            const id = ids.get(`${p.request.direction}|${p.request.externalId}`)!;
            events.push(this.event(p, before ? 'UPDATED' : 'CREATED', id));
            const statusChanged = before && (before.status !== status || before.external_system_status !== p.request.externalSystemStatus);
            const type = !before ? 'CREATED' : statusChanged ? 'STATUS_CHANGED' : 'UPDATED';
            const message = !before
              ? `Imported by ${ctx.run.jobName}`
              : statusChanged
                ? `External status ${before.external_system_status ?? '—'} → ${p.request.externalSystemStatus ?? '—'}${before.status === status ? ' (no matching local status: local status kept)' : ''}`
                : 'Updated from the external system';
            requestEvents.push([id, type, before?.status ?? null, status, p.request.externalSystemStatus, ctx.run.id, message]);
          }
          await this.insertRows(manager, 'request_event', ['request_id', 'type', 'from_status', 'to_status', 'external_system_status', 'job_run_id', 'message'], requestEvents);
        }
      }
      await this.recordEvents(manager, ctx.run.id, events);
    });
    const unique = [...new Map(events.map((e) => [`${e.direction}|${e.externalId}`, e])).values()];
    return { delta: countersOf(unique), externalIds: unique.map((e) => e.externalId) };
  }

  private event(p: Prepared, outcome: RecordOutcome, requestId: string): RecordEventRow {
    return { externalId: p.request.externalId, direction: p.request.direction, outcome, reasonCode: null, message: null, warnings: p.warnings, requestId };
  }

  private async existing(manager: EntityManager, profileId: string, items: Prepared[]) {
    const rows: ExistingRow[] = await manager.query(
      `SELECT r.id, r.direction, r.external_id, r.status, r.external_system_status, r.content_hash
         FROM rs_request r
         JOIN unnest($2::varchar[], $3::varchar[]) AS k(direction, external_id) ON r.direction = k.direction AND r.external_id = k.external_id
        WHERE r.profile_id = $1`,
      [profileId, items.map((p) => p.request.direction), items.map((p) => p.request.externalId)],
    );
    return new Map(rows.map((r) => [`${r.direction}|${r.external_id}`, r]));
  }

  private async upsert(manager: EntityManager, ctx: RunContext, changed: { p: Prepared; status: RequestStatus }[]) {
    const columns = [
      'profile_id', 'system', 'direction', 'external_id', 'status', 'closed', 'partner_code', 'partners', 'owner_library_code', 'pickup_library_code',
      ...DATA_COLUMNS.map(([column]) => column), 'raw', 'content_hash', 'last_job_run_id',
    ];
    const rows = changed.map(({ p, status }) => [
      ctx.profile.id, ctx.profile.system, p.request.direction, p.request.externalId, status, FINAL_STATUSES.includes(status), p.partnerCode,
      JSON.stringify(p.partners), ctx.profile.resourceSharingLibraryCode, p.pickupLibraryCode,
      ...DATA_COLUMNS.map(([, field]) => p.request[field] ?? null), JSON.stringify(p.request.raw ?? null), p.hash, ctx.run.id,
    ]);
    const updates = columns
      .filter((c) => !['profile_id', 'direction', 'external_id'].includes(c))
      .map((c) => `"${c}" = EXCLUDED."${c}"`)
      .concat('"updated_at" = now()')
      .join(', ');
    const { sql, params } = this.valuesSql(rows);
    const returned: { id: string; direction: string; external_id: string }[] = await manager.query(
      `INSERT INTO rs_request (${columns.map((c) => `"${c}"`).join(', ')}) VALUES ${sql}
       ON CONFLICT (profile_id, direction, external_id) DO UPDATE SET ${updates}
       RETURNING id, direction, external_id`,
      params,
    );
    return new Map(returned.map((r) => [`${r.direction}|${r.external_id}`, r.id]));
  }

  /** Record events are unique per (run, record): a retried run rewrites them, and a record created
   *  before the interruption stays CREATED (not UNCHANGED) — the same end state as an uninterrupted run. */
  private async recordEvents(manager: EntityManager, runId: string, events: RecordEventRow[]) {
    if (!events.length) return;
    const unique = new Map(events.map((e) => [`${e.direction}|${e.externalId}`, e]));
    const rows = [...unique.values()].map((e) => [runId, e.externalId, e.direction, e.outcome, e.reasonCode, e.message, JSON.stringify(e.warnings), e.requestId]);
    const { sql, params } = this.valuesSql(rows);
    await manager.query(
      `INSERT INTO record_event (job_run_id, external_id, direction, outcome, reason_code, message, warnings, request_id) VALUES ${sql}
       ON CONFLICT (job_run_id, direction, external_id) DO UPDATE SET
         outcome = CASE WHEN record_event.outcome IN ('CREATED', 'UPDATED') AND EXCLUDED.outcome = 'UNCHANGED' THEN record_event.outcome ELSE EXCLUDED.outcome END,
         reason_code = EXCLUDED.reason_code, message = EXCLUDED.message, warnings = EXCLUDED.warnings, request_id = EXCLUDED.request_id`,
      params,
    );
  }

  private async insertRows(manager: EntityManager, table: string, columns: string[], rows: unknown[][]) {
    if (!rows.length) return;
    const { sql, params } = this.valuesSql(rows);
    await manager.query(`INSERT INTO ${table} (${columns.map((c) => `"${c}"`).join(', ')}) VALUES ${sql}`, params);
  }

  private valuesSql(rows: unknown[][]) {
    const params: unknown[] = [];
    const sql = rows.map((row) => `(${row.map((v) => (params.push(v), `$${params.length}`)).join(', ')})`).join(', ');
    return { sql, params };
  }
}

interface ExistingRow {
  id: string;
  direction: Direction;
  external_id: string;
  status: RequestStatus;
  external_system_status: string | null;
  content_hash: string | null;
}
