import { createHash } from 'crypto';
import { DataSource } from 'typeorm';
import type { IncomingRequest, MappingResult } from '@illbridge/connectors/types';
import { Direction, FINAL_STATUSES, JobCounters, RecordOutcome, RequestStatus } from '@illbridge/database/entities';
import { EMPTY_COUNTERS } from '@illbridge/queues/report-events';
import type { RunContext } from './run-context';

/** Where importers put mapped records, a batch at a time. Answers the batch's outcomes as counters
 *  and the external ids it covered. */
export interface BatchSink {
  write(ctx: RunContext, results: MappingResult[]): Promise<BatchResult>;
  /** Optional: the CPU work of `write` now, the writing when the answered function is called. */
  prepare?(ctx: RunContext, results: MappingResult[]): () => Promise<BatchResult>;
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

/** The content hash of a record: sha1 of its JSON with object keys sorted. Serialized in one pass, giving
 *  the very string `JSON.stringify` gives for a copy of the value with sorted keys (the hashes stored by
 *  earlier versions stay valid), without building that copy. */
export function stableHash(value: unknown): string {
  return createHash('sha1').update(canonicalJson(value) ?? 'undefined').digest('hex');
}

const INDEX_KEY = /^(?:0|[1-9]\d{0,9})$/;
const isIndexKey = (key: string) => INDEX_KEY.test(key) && Number(key) < 4294967295;

/** As `JSON.stringify(canonical(value))` where canonical copies objects with their own keys sorted (into plain
 *  objects, where integer-like keys come first in numeric order) and arrays element-wise. */
export function canonicalJson(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
    case 'boolean':
    case 'bigint':
      return JSON.stringify(value);
    case 'object':
      break;
    default:
      return undefined;
  }
  if (value === null) return 'null';
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i ? ',' : '') + (canonicalJson(value[i]) ?? 'null');
    return out + ']';
  }
  const keys = Object.keys(value).sort();
  const indexes = keys.filter(isIndexKey);
  const ordered = indexes.length ? [...indexes.sort((a, b) => Number(a) - Number(b)), ...keys.filter((k) => !isIndexKey(k))] : keys;
  let out = '{';
  let first = true;
  for (const key of ordered) {
    const json = canonicalJson((value as Record<string, unknown>)[key]);
    if (json === undefined) continue;
    out += (first ? '' : ',') + JSON.stringify(key) + ':' + json;
    first = false;
  }
  return out + '}';
}

/** Idempotent, batched import of mapped records: one statement per batch (atomic on its own). It reads
 *  the rows already there, upserts only the new and changed ones, and writes one request event per change
 *  and one record event per record — an UNCHANGED record (same content hash) costs a lookup and its record
 *  event, nothing else. The batch travels as one jsonb parameter (no per-row placeholders). */
export class RequestWriter implements BatchSink {
  /** Of the last batch's imported records, the share that was unchanged (one writer per run). */
  private unchangedShare = 0;
  /** Requests this writer created, in all and when it last had the table analyzed. */
  private created = 0;
  private createdAtAnalyze = 0;

  constructor(private readonly dataSource: DataSource) {}

  write(ctx: RunContext, results: MappingResult[]): Promise<BatchResult> {
    return this.prepare(ctx, results)();
  }

  /** Does the batch's CPU work now (mapping checks, hashes, the statement's parameters) and answers the
   *  function that writes it, so that a caller can prepare the next batch while one is being written. */
  prepare(ctx: RunContext, results: MappingResult[]): () => Promise<BatchResult> {
    const failures = new Map<string, RecordEventRow>();
    const prepared = new Map<string, Prepared>(); // by direction|externalId: the last copy of a record wins
    for (const result of results) {
      if (!result.ok) {
        const f = result.failure;
        const externalId = f.externalId || '(no id)';
        failures.set(`${f.direction}|${externalId}`, { externalId, direction: f.direction, outcome: 'FAILED', reasonCode: f.reasonCode, message: f.message, warnings: [], requestId: null });
        continue;
      }
      const request = result.request;
      const pickup = ctx.libraries.resolve(request.externalLibraryCode);
      if (!pickup) {
        failures.set(`${request.direction}|${request.externalId}`, {
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
    // A record that both failed and imported in one batch counts as imported (as before: its later event won).
    for (const key of prepared.keys()) failures.delete(key);

    const externalIds = [...prepared.values()].map((p) => p.request.externalId).concat([...failures.values()].map((f) => f.externalId));
    const failed = JSON.stringify([...failures.values()].map((f) => ({ external_id: f.externalId, direction: f.direction, reason_code: f.reasonCode, message: f.message, warnings: f.warnings })));
    // When the last batch was mostly unchanged (a re-read), first settle the unchanged records with their hashes
    // alone (their record events written in the same statement), then send the full rows of the others only.
    const hashesFirst = prepared.size > 0 && this.unchangedShare >= 0.5;
    const keys = hashesFirst
      ? JSON.stringify([...prepared.values()].map((p) => ({ direction: p.request.direction, external_id: p.request.externalId, content_hash: p.hash, warnings: p.warnings })))
      : null;
    const rows = hashesFirst ? null : JSON.stringify([...prepared.values()].map((p) => this.row(p)));
    return async () => {
      const delta = { ...EMPTY_COUNTERS };
      for (const f of failures.values()) count(delta, f.direction, 'FAILED', 1);
      let toWrite = prepared.size;
      let unchanged = 0;
      let rowsJson = rows;
      if (keys !== null) {
        const others: { direction: Direction; external_id: string }[] = await this.dataSource.query(UNCHANGED_SQL, [ctx.profile.id, ctx.run.id, keys]);
        const changed = others.map((o) => prepared.get(`${o.direction}|${o.external_id}`)!);
        const changedKeys = new Set(others.map((o) => `${o.direction}|${o.external_id}`));
        for (const [key, p] of prepared) if (!changedKeys.has(key)) count(delta, p.request.direction, 'UNCHANGED', 1);
        unchanged = prepared.size - changed.length;
        toWrite = changed.length;
        rowsJson = JSON.stringify(changed.map((p) => this.row(p)));
      }
      if (toWrite || failures.size) {
        const counted: { direction: Direction; outcome: RecordOutcome; n: number }[] = await this.dataSource.query(WRITE_SQL, [
          ctx.profile.id,
          ctx.profile.system,
          ctx.profile.resourceSharingLibraryCode,
          ctx.run.id,
          ctx.run.jobName,
          FINAL_STATUSES,
          toWrite ? rowsJson : '[]',
          failed,
        ]);
        for (const c of counted) {
          count(delta, c.direction, c.outcome, c.n);
          if (c.outcome === 'UNCHANGED') unchanged += c.n;
        }
      }
      if (prepared.size) this.unchangedShare = unchanged / prepared.size;
      this.created += delta.created;
      // A big first import grows rs_request from nothing within one run, faster than autovacuum analyzes it. With
      // statistics that still describe a small table the planner looked records up through the profile's index
      // (profile_id, direction, closed), i.e. read all of the profile's rows for every record: O(n) per record.
      // So the table is analyzed each time this run has doubled what it had created at the last analysis.
      if (this.created - this.createdAtAnalyze >= Math.max(ANALYZE_AFTER, this.createdAtAnalyze)) {
        this.createdAtAnalyze = this.created;
        await this.dataSource.query('ANALYZE rs_request');
      }
      return { delta, externalIds };
    };
  }

  private row(p: Prepared): Record<string, unknown> {
    const row: Record<string, unknown> = {
      direction: p.request.direction,
      external_id: p.request.externalId,
      mapped_status: p.request.mappedStatus ?? null,
      default_status: DEFAULT_STATUS[p.request.direction],
      partner_code: p.partnerCode,
      partners: p.partners,
      pickup_library_code: p.pickupLibraryCode,
      raw: p.request.raw ?? null,
      content_hash: p.hash,
      warnings: p.warnings,
    };
    for (const [column, field] of DATA_COLUMNS) row[column] = p.request[field] ?? null;
    return row;
  }
}

function count(c: JobCounters, direction: Direction, outcome: RecordOutcome, n: number) {
  c.totalRecordsProcessed += n;
  const failed = outcome === 'FAILED';
  if (direction === 'BORROWING') {
    c.borrowingProcessed += n;
    if (failed) c.borrowingFailed += n;
    else c.borrowingSucceeded += n;
  } else {
    c.lendingProcessed += n;
    if (failed) c.lendingFailed += n;
    else c.lendingSucceeded += n;
  }
  if (outcome === 'CREATED') c.created += n;
  else if (outcome === 'UPDATED') c.updated += n;
  else if (outcome === 'UNCHANGED') c.unchanged += n;
}

const UPSERT_COLUMNS = ['system', 'status', 'closed', 'partner_code', 'partners', 'owner_library_code', 'pickup_library_code', ...DATA_COLUMNS.map(([c]) => c), 'raw', 'content_hash', 'last_job_run_id'];

/** $1 profile id, $2 system, $3 owner library, $4 run id, $5 job name, $6 final statuses, $7 the records (jsonb array),
 *  $8 the failed records (jsonb array). Answers the outcome counts by direction.
 *  Every part sees the table as it was before the statement: `before` is what was there, `up` what was written. */
const RECORD_EVENT_CONFLICT = `ON CONFLICT (job_run_id, direction, external_id) DO UPDATE SET
    outcome = CASE WHEN record_event.outcome IN ('CREATED', 'UPDATED') AND EXCLUDED.outcome = 'UNCHANGED' THEN record_event.outcome ELSE EXCLUDED.outcome END,
    reason_code = EXCLUDED.reason_code, message = EXCLUDED.message, warnings = EXCLUDED.warnings, request_id = EXCLUDED.request_id`;

const ANALYZE_AFTER = 5_000;

/** The stored row of input record `i` (profile $1), one index lookup per record. LIMIT 1 keeps the planner from
 *  turning the lookups into a hash join over all of the profile's rows (it did so on every batch while the
 *  table's statistics still described it as small: O(n) per batch, with JIT compilation on top). */
const LOOKUP = `SELECT r.id, r.direction, r.external_id, r.status, r.external_system_status, r.content_hash FROM rs_request r
   WHERE r.profile_id = $1 AND r.direction = i.direction AND r.external_id = i.external_id LIMIT 1`;

/** $1 profile id, $2 run id, $3 the records' keys, content hashes and warnings (jsonb array). Writes the record
 *  events of the unchanged ones; answers the keys of the others (new or changed). */
const UNCHANGED_SQL = `
WITH input AS (
  SELECT * FROM jsonb_to_recordset($3::jsonb) AS x(direction text, external_id text, content_hash text, warnings jsonb)
),
same AS (
  SELECT i.direction, i.external_id, b.id, i.warnings
    FROM input i CROSS JOIN LATERAL (${LOOKUP}) b
   WHERE b.content_hash = i.content_hash
),
record_events AS (
  INSERT INTO record_event (job_run_id, external_id, direction, outcome, reason_code, message, warnings, request_id)
  SELECT $2, s.external_id, s.direction, 'UNCHANGED', NULL, NULL, COALESCE(s.warnings, '[]'), s.id FROM same s
  ${RECORD_EVENT_CONFLICT}
)
SELECT i.direction, i.external_id FROM input i
 WHERE NOT EXISTS (SELECT 1 FROM same s WHERE s.direction = i.direction AND s.external_id = i.external_id)`;

const WRITE_SQL = `
WITH input AS (
  SELECT * FROM jsonb_to_recordset($7::jsonb) AS x(
    direction text, external_id text, mapped_status text, default_status text, partner_code text, partners jsonb, pickup_library_code text,
    ${DATA_COLUMNS.map(([c]) => `"${c}" text`).join(', ')}, raw jsonb, content_hash text, warnings jsonb)
),
before AS (
  SELECT b.* FROM input i CROSS JOIN LATERAL (${LOOKUP}) b
),
changed AS (
  SELECT i.*, b.id AS before_id, b.status AS before_status, b.external_system_status AS before_external_status,
         COALESCE(i.mapped_status, b.status, i.default_status) AS new_status
    FROM input i LEFT JOIN before b ON b.direction = i.direction AND b.external_id = i.external_id
   WHERE b.id IS NULL OR b.content_hash IS DISTINCT FROM i.content_hash
),
up AS (
  INSERT INTO rs_request ("profile_id", "direction", "external_id", ${UPSERT_COLUMNS.map((c) => `"${c}"`).join(', ')})
  SELECT $1, c.direction, c.external_id, $2, c.new_status, c.new_status = ANY($6::text[]), c.partner_code, c.partners, $3, c.pickup_library_code,
         ${DATA_COLUMNS.map(([col]) => `c."${col}"`).join(', ')}, c.raw, c.content_hash, $4
    FROM changed c
  ON CONFLICT (profile_id, direction, external_id) DO UPDATE SET ${UPSERT_COLUMNS.map((c) => `"${c}" = EXCLUDED."${c}"`).join(', ')}, "updated_at" = now()
  RETURNING id, direction, external_id
),
done AS (
  SELECT c.*, u.id AS request_id,
         c.before_id IS NOT NULL AND (c.before_status IS DISTINCT FROM c.new_status OR c.before_external_status IS DISTINCT FROM c.external_system_status) AS status_changed
    FROM changed c JOIN up u ON u.direction = c.direction AND u.external_id = c.external_id
),
request_events AS (
  INSERT INTO request_event (request_id, type, from_status, to_status, external_system_status, job_run_id, message)
  SELECT d.request_id,
         CASE WHEN d.before_id IS NULL THEN 'CREATED' WHEN d.status_changed THEN 'STATUS_CHANGED' ELSE 'UPDATED' END,
         d.before_status, d.new_status, d.external_system_status, $4,
         CASE WHEN d.before_id IS NULL THEN 'Imported by ' || $5
              WHEN d.status_changed THEN 'External status ' || COALESCE(d.before_external_status, '—') || ' → ' || COALESCE(d.external_system_status, '—')
                   || CASE WHEN d.before_status = d.new_status THEN ' (no matching local status: local status kept)' ELSE '' END
              ELSE 'Updated from the external system' END
    FROM done d
),
outcomes AS (
  SELECT d.direction, d.external_id, CASE WHEN d.before_id IS NULL THEN 'CREATED' ELSE 'UPDATED' END AS outcome, d.request_id, d.warnings FROM done d
  UNION ALL
  SELECT i.direction, i.external_id, 'UNCHANGED', b.id, i.warnings
    FROM input i JOIN before b ON b.direction = i.direction AND b.external_id = i.external_id AND b.content_hash = i.content_hash
),
record_events AS (
  -- Unique per (run, record): a resumed run rewrites them, and a record created before the interruption
  -- stays CREATED (not UNCHANGED) — the same end state as an uninterrupted run.
  INSERT INTO record_event (job_run_id, external_id, direction, outcome, reason_code, message, warnings, request_id)
  SELECT $4, o.external_id, o.direction, o.outcome, NULL, NULL, COALESCE(o.warnings, '[]'), o.request_id FROM outcomes o
  UNION ALL
  SELECT $4, f.external_id, f.direction, 'FAILED', f.reason_code, f.message, COALESCE(f.warnings, '[]'), NULL
    FROM jsonb_to_recordset($8::jsonb) AS f(external_id text, direction text, reason_code text, message text, warnings jsonb)
  ${RECORD_EVENT_CONFLICT}
)
SELECT direction, outcome, count(*)::int AS n FROM outcomes GROUP BY direction, outcome`;
