import { createHash } from 'crypto';
import { DataSource } from 'typeorm';
import type { IncomingRequest, MappingResult } from '@illbridge/connectors/types';
import { Direction, FINAL_STATUSES, JobCounters, RecordOutcome, RequestStatus } from '@illbridge/database/entities';
import { ZERO_COUNTERS } from '@illbridge/database/job-counters';
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
  const c = { ...ZERO_COUNTERS };
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

/** The version of the content hash that `contentHash` gives, stored as its prefix (`v2:` and 37 hex digits of
 *  sha1: `content_hash` is char(40)). A stored hash without a prefix is the version 1 hash (`legacyContentHash`).
 *  Bump the version (and keep the old function in `OLDER_HASHES`) when the hashed text changes for records
 *  whose content did not: a stored hash of another version is then compared with that version's hash. */
export const CONTENT_HASH_VERSION = 'v2';
const HASH_PREFIX = `${CONTENT_HASH_VERSION}:`;

/** A mapped record (with the raw record it carries) and what the run resolved for it: what a row is made of. */
export interface HashedContent {
  request: IncomingRequest;
  pickup: string;
  partners: string[];
  partnerCode: string | null;
}

/** The row the writer stores for a record, as JSON without its hash (and without the record's warnings, which
 *  are not stored with it): every column written from the record, the raw record last, in the order it came
 *  (the source's JSON order). */
function rowJson(content: HashedContent): string {
  return JSON.stringify(storedRow(content));
}

function storedRow(content: HashedContent): Record<string, unknown> {
  const { request } = content;
  const row: Record<string, unknown> = {
    direction: request.direction,
    external_id: request.externalId,
    mapped_status: request.mappedStatus ?? null,
    default_status: DEFAULT_STATUS[request.direction],
    partner_code: content.partnerCode,
    partners: content.partners,
    pickup_library_code: content.pickup,
  };
  for (const [column, field] of DATA_COLUMNS) row[column] = request[field] ?? null;
  row.raw = request.raw ?? null;
  return row;
}

/** The content hash (version 2) of a row's JSON (`rowJson`): sha1 of the hash version and that text, so any change
 *  to a column the writer stores or to the raw record (even a field no column reads) changes it, and a change to
 *  the mapping changes it where it changes what is stored. One plain `JSON.stringify` in the order the record came,
 *  about a third of the CPU of the version 1 hash (sorted keys). A source that sent the same record with its keys
 *  in another order would show as UPDATED once: Libris, NACSIS and Netpunkt send a record the same way each time. */
function hashOfRow(json: string): string {
  const hash = createHash('sha1');
  // A text with no character past U+00FF (most records) is hashed as its Latin-1 bytes, a copy, instead of being
  // encoded as UTF-8; the first byte tells the two encodings apart, so different texts still hash differently.
  if (BEYOND_LATIN1.test(json)) hash.update(`U${CONTENT_HASH_VERSION}\n`).update(json, 'utf8');
  else hash.update(`L${CONTENT_HASH_VERSION}\n`).update(json, 'latin1');
  return HASH_PREFIX + hash.digest('hex').slice(0, 40 - HASH_PREFIX.length);
}

const BEYOND_LATIN1 = /[^\u0000-\u00ff]/;

/** The content hash (version 2) of a record: `hashOfRow(rowJson(content))`. */
export function contentHash(content: HashedContent): string {
  return hashOfRow(rowJson(content));
}

/** The version 1 content hash (stored by earlier versions, without a prefix). Computed only for records
 *  whose stored hash is of that version, to tell whether they changed. */
export function legacyContentHash(content: HashedContent): string {
  return stableHash({ request: content.request, pickup: content.pickup, partners: content.partners, partnerCode: content.partnerCode });
}

/** Hashes of earlier versions, by the version a stored hash names (`hashVersionOf`). */
const OLDER_HASHES: Record<string, (content: HashedContent) => string> = { v1: legacyContentHash };

/** The version of a stored hash: its prefix, or v1 for a hash without one. */
export function hashVersionOf(stored: string): string {
  const match = /^(v\d+):/.exec(stored);
  return match ? match[1] : 'v1';
}

/** sha1 of a value's JSON with object keys sorted: the version 1 content hash. Serialized in one pass, giving
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
    // When the last batch was mostly unchanged (a re-read), first settle the unchanged records with their hashes
    // alone (their record events written in the same statement), then send the full rows of the others only.
    const hashesFirst = results.length > 0 && this.unchangedShare >= 0.5;
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
      prepared.set(key, { request, warnings, pickupLibraryCode: pickup, partners, partnerCode, hash: contentHash({ request, pickup, partners, partnerCode }) });
    }
    // A record that both failed and imported in one batch counts as imported (as before: its later event won).
    for (const key of prepared.keys()) failures.delete(key);

    const externalIds = [...prepared.values()].map((p) => p.request.externalId).concat([...failures.values()].map((f) => f.externalId));
    const failed = JSON.stringify([...failures.values()].map((f) => ({ external_id: f.externalId, direction: f.direction, reason_code: f.reasonCode, message: f.message, warnings: f.warnings })));
    const keys = hashesFirst && prepared.size ? JSON.stringify([...prepared.values()].map((p) => keyOf(p, null))) : null;
    const rows = keys === null ? rowsOf([...prepared.values()]) : null;
    return async () => {
      const delta = { ...ZERO_COUNTERS };
      for (const f of failures.values()) count(delta, f.direction, 'FAILED', 1);
      let unchanged = 0;
      /** Settles the unchanged records of `sent` (sent as `json`, keys and hashes); answers the others with
       *  their stored hash (null when there is no row or no hash). */
      const settle = async (sent: Prepared[], json: string, upgrade = false): Promise<Different[]> => {
        const others: { direction: Direction; external_id: string; stored_hash: string | null }[] = await this.dataSource.query(
          upgrade ? UNCHANGED_UPGRADE_SQL : UNCHANGED_SQL,
          [ctx.profile.id, ctx.run.id, json],
        );
        const storedHashes = new Map(others.map((o) => [`${o.direction}|${o.external_id}`, o.stored_hash]));
        const different: Different[] = [];
        for (const p of sent) {
          const key = `${p.request.direction}|${p.request.externalId}`;
          if (storedHashes.has(key)) different.push({ p, stored: storedHashes.get(key) ?? null });
          else {
            count(delta, p.request.direction, 'UNCHANGED', 1);
            unchanged++;
          }
        }
        return different;
      };
      /** Writes records in full (and the failed ones); `olderJudged`: records stored with a hash of an earlier
       *  version were compared with it already, so a different hash means a change. Otherwise they are left
       *  alone and answered, to be compared with the hash of their version first. */
      const writeRows = async (rowsJson: string, failedJson: string, olderJudged: boolean): Promise<Different[]> => {
        const answered: { direction: Direction; outcome: RecordOutcome | typeof OLDER_HASH; n: number; external_id: string | null; stored_hash: string | null }[] =
          await this.dataSource.query(WRITE_SQL, [
            ctx.profile.id,
            ctx.profile.system,
            ctx.profile.resourceSharingLibraryCode,
            ctx.run.id,
            ctx.run.jobName,
            FINAL_STATUSES,
            rowsJson,
            failedJson,
            olderJudged,
          ]);
        const older: Different[] = [];
        for (const a of answered) {
          if (a.outcome === OLDER_HASH) {
            older.push({ p: prepared.get(`${a.direction}|${a.external_id}`)!, stored: a.stored_hash });
            continue;
          }
          count(delta, a.direction, a.outcome, a.n);
          if (a.outcome === 'UNCHANGED') unchanged += a.n;
        }
        return older;
      };

      let older: Different[] = [];
      let toWrite: Prepared[] = [...prepared.values()];
      if (keys !== null) {
        const different = await settle(toWrite, keys);
        toWrite = [];
        for (const d of different) {
          if (d.stored !== null && !isCurrentHash(d.stored)) older.push(d);
          else toWrite.push(d.p);
        }
      }
      if (toWrite.length || failures.size) {
        const rowsJson = rows ?? rowsOf(toWrite);
        older = older.concat(await writeRows(toWrite.length ? rowsJson : '[]', failed, keys !== null));
      }
      if (older.length) {
        // Stored by an earlier version with that version's hash: unchanged if it equals that hash (the stored hash
        // is then upgraded, with no request event); the others are written as changed.
        const hashed = older.map((d) => {
          const hasher = OLDER_HASHES[hashVersionOf(d.stored!)];
          return keyOf(d.p, hasher ? hasher({ request: d.p.request, pickup: d.p.pickupLibraryCode, partners: d.p.partners, partnerCode: d.p.partnerCode }) : null);
        });
        const changed = await settle(older.map((d) => d.p), JSON.stringify(hashed), true);
        if (changed.length) await writeRows(rowsOf(changed.map((d) => d.p)), '[]', true);
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

/** The rows of records as WRITE_SQL takes them (jsonb array). */
const rowsOf = (records: Prepared[]) =>
  JSON.stringify(
    records.map((p) => {
      const row = storedRow({ request: p.request, pickup: p.pickupLibraryCode, partners: p.partners, partnerCode: p.partnerCode });
      row.content_hash = p.hash;
      row.warnings = p.warnings;
      return row;
    }),
  );

/** A record whose stored row (if any) did not have its hash, with the stored hash. */
interface Different {
  p: Prepared;
  stored: string | null;
}

const isCurrentHash = (stored: string) => stored.startsWith(HASH_PREFIX);

/** What UNCHANGED_SQL needs of a record; `olderHash`: its hash of the version its stored hash is of. */
const keyOf = (p: Prepared, olderHash: string | null) => ({
  direction: p.request.direction,
  external_id: p.request.externalId,
  content_hash: p.hash,
  ...(olderHash !== null && { older_hash: olderHash }),
  warnings: p.warnings,
});

/** The outcome WRITE_SQL answers for a record it left alone: stored with a hash of an earlier version. */
const OLDER_HASH = 'OLDER_HASH';

const UPSERT_COLUMNS = ['system', 'status', 'closed', 'partner_code', 'partners', 'owner_library_code', 'pickup_library_code', ...DATA_COLUMNS.map(([c]) => c), 'raw', 'content_hash', 'last_job_run_id'];

/** $1 profile id, $2 system, $3 owner library, $4 run id, $5 job name, $6 final statuses, $7 the records (jsonb array),
 *  $8 the failed records (jsonb array), $9 whether a stored hash of an earlier version counts as a change (else such
 *  a record is left alone and answered as OLDER_HASH with its stored hash). Answers the outcome counts by direction.
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

/** Whether the stored row `b` has a hash of an earlier version (then compared in JS with that version's hash). */
const STORED_OLDER = `(b.content_hash IS NOT NULL AND left(b.content_hash, ${HASH_PREFIX.length}) <> '${HASH_PREFIX}')`;

/** $1 profile id, $2 run id, $3 the records' keys, content hashes, hashes of an older version (or none) and
 *  warnings (jsonb array). A record whose stored hash is its content hash (or, with `upgrade`, its older hash) is
 *  unchanged: writes its record event; with `upgrade`, an older stored hash that matched is replaced by the current
 *  one (no request event: nothing changed). Answers the keys of the others (new or changed) with their stored hash.
 *  The UPDATE is left out of the usual statement: rs_request has statement-level triggers. */
const unchangedSql = (upgrade: boolean) => `
WITH input AS (
  SELECT * FROM jsonb_to_recordset($3::jsonb) AS x(direction text, external_id text, content_hash text, older_hash text, warnings jsonb)
),
found AS (
  SELECT i.direction, i.external_id, i.content_hash, i.older_hash, i.warnings, b.id, b.content_hash AS stored_hash,
         (b.content_hash = i.content_hash OR b.content_hash = i.older_hash) IS TRUE AS same
    FROM input i LEFT JOIN LATERAL (${LOOKUP}) b ON true
),${
  upgrade
    ? `
upgraded AS (
  UPDATE rs_request r SET content_hash = f.content_hash
    FROM found f WHERE f.same AND f.stored_hash = f.older_hash AND r.id = f.id AND r.content_hash = f.older_hash
),`
    : ''
}
record_events AS (
  INSERT INTO record_event (job_run_id, external_id, direction, outcome, reason_code, message, warnings, request_id)
  SELECT $2, f.external_id, f.direction, 'UNCHANGED', NULL, NULL, COALESCE(f.warnings, '[]'), f.id FROM found f WHERE f.same
  ${RECORD_EVENT_CONFLICT}
)
SELECT f.direction, f.external_id, f.stored_hash FROM found f WHERE NOT f.same`;
const UNCHANGED_SQL = unchangedSql(false);
const UNCHANGED_UPGRADE_SQL = unchangedSql(true);

const WRITE_SQL = `
WITH input AS (
  SELECT * FROM jsonb_to_recordset($7::jsonb) AS x(
    direction text, external_id text, mapped_status text, default_status text, partner_code text, partners jsonb, pickup_library_code text,
    ${DATA_COLUMNS.map(([c]) => `"${c}" text`).join(', ')}, raw jsonb, content_hash text, warnings jsonb)
),
before AS (
  SELECT b.*, ${STORED_OLDER} AS older FROM input i CROSS JOIN LATERAL (${LOOKUP}) b
),
changed AS (
  SELECT i.*, b.id AS before_id, b.status AS before_status, b.external_system_status AS before_external_status,
         COALESCE(i.mapped_status, b.status, i.default_status) AS new_status
    FROM input i LEFT JOIN before b ON b.direction = i.direction AND b.external_id = i.external_id
   WHERE b.id IS NULL OR (b.content_hash IS DISTINCT FROM i.content_hash AND ($9 OR NOT b.older))
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
SELECT direction, outcome, count(*)::int AS n, NULL AS external_id, NULL AS stored_hash FROM outcomes GROUP BY direction, outcome
UNION ALL
SELECT b.direction, '${OLDER_HASH}', 1, b.external_id, b.content_hash FROM before b WHERE b.older AND NOT $9`;
