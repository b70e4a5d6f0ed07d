import { DataSource } from 'typeorm';
import type { IncomingRequest, MappingResult } from '@illbridge/connectors/types';
import { Direction, FINAL_STATUSES, JobCounters, RecordOutcome } from '@illbridge/database/entities';
import { addOutcome, ZERO_COUNTERS } from '@illbridge/database/job-counters';
import { PERSONAL_DATA_COLUMNS } from '../retention';
import { contentHash, DATA_COLUMNS, HASH_PREFIX, hashVersionOf, isCurrentHash, OLDER_HASHES, storedRow } from './content-hash';
import type { BatchResult, BatchSink, RunContext } from './run-context';

/* The import's only writer of rs_request (and of the request and record events that go with its rows). A batch
   goes through four steps:
     resolve  (resolveBatch)  mapping failures, pickup library and partners, content hash: CPU only;
     diff     (diff)          after a mostly unchanged batch, the records whose stored hash is theirs are settled
                              UNCHANGED with their hashes alone (UNCHANGED_SQL: one statement with their record events);
     upsert   (upsert)        the others are sent in full (WRITE_SQL): new and changed rows upserted …
     events                   … and, in the same statement, one request event per change and one record event per
                              record (the REQUEST_EVENTS and RECORD_EVENTS parts of WRITE_SQL).
   Rows stored with a hash of an earlier version are compared with that version's hash (settleOlderHashes).
   The few other changes an import makes to requests (NACSIS order-number links and moved-on lending requests,
   Netpunkt replacements) are its methods too, as are the importers' reads of rs_request. */

/** A record of a batch as the run resolved it: what its row is made of, and its content hash. */
interface Resolved {
  request: IncomingRequest;
  warnings: string[];
  pickupLibraryCode: string;
  partners: string[];
  partnerCode: string | null;
  hash: string;
}

/** A record that could not be imported, as its record event is written (WRITE_SQL's $8). */
interface FailedRecord {
  external_id: string;
  direction: Direction;
  reason_code: string;
  message: string;
  warnings: string[];
}

export interface ResolvedBatch {
  /** By direction|externalId: the last copy of a record in the batch wins. */
  records: Map<string, Resolved>;
  /** By direction|externalId; a record that both failed and imported in one batch counts as imported. */
  failed: Map<string, FailedRecord>;
  /** The external ids the batch covered (imported, then failed). */
  externalIds: string[];
}

const keyOfRequest = (r: { direction: Direction; externalId: string }) => `${r.direction}|${r.externalId}`;

/** Step 1 — resolve: checks each mapped record's pickup library and partners against the run's resolvers, and hashes
 *  what will be stored. CPU only. */
export function resolveBatch(ctx: Pick<RunContext, 'profile' | 'libraries' | 'partners'>, results: readonly MappingResult[]): ResolvedBatch {
  const failed = new Map<string, FailedRecord>();
  const records = new Map<string, Resolved>();
  for (const result of results) {
    if (!result.ok) {
      const f = result.failure;
      const externalId = f.externalId || '(no id)';
      failed.set(`${f.direction}|${externalId}`, { external_id: externalId, direction: f.direction, reason_code: f.reasonCode, message: f.message, warnings: [] });
      continue;
    }
    const request = result.request;
    const pickup = ctx.libraries.resolve(request.externalLibraryCode);
    if (!pickup) {
      failed.set(keyOfRequest(request), {
        external_id: request.externalId,
        direction: request.direction,
        reason_code: 'LIBRARY_NOT_MAPPED',
        message: `Library code "${request.externalLibraryCode ?? ''}" is not mapped in profile ${ctx.profile.code} and no local library has that code`,
        warnings: result.warnings,
      });
      continue;
    }
    const warnings = [...result.warnings];
    const partners = request.partnerCodes.map((code) => {
      const known = ctx.partners.resolve(code);
      if (!known) warnings.push(`Unknown partner code "${code}"`);
      return known ?? code;
    });
    const active = request.activePartnerCode;
    const partnerCode = active ? (ctx.partners.resolve(active) ?? active) : null;
    if (active && !ctx.partners.resolve(active) && !request.partnerCodes.includes(active)) warnings.push(`Unknown partner code "${active}"`);
    records.set(keyOfRequest(request), { request, warnings, pickupLibraryCode: pickup, partners, partnerCode, hash: contentHash({ request, pickup, partners, partnerCode }) });
  }
  for (const key of records.keys()) failed.delete(key);
  const externalIds = [...records.values()].map((p) => p.request.externalId).concat([...failed.values()].map((f) => f.external_id));
  return { records, failed, externalIds };
}

/** The counters of one batch as its statements answer them, and how many of its imported records were unchanged. */
class BatchTally {
  readonly delta: JobCounters = { ...ZERO_COUNTERS };
  unchanged = 0;

  add(direction: Direction, outcome: RecordOutcome, n: number) {
    addOutcome(this.delta, direction, outcome, n);
    if (outcome === 'UNCHANGED') this.unchanged += n;
  }
}

/** A record whose stored row (if any) did not have its hash, with the stored hash. */
interface Different {
  record: Resolved;
  stored: string | null;
}

/** One open request of a profile, as the importers' refresh steps read them. */
export interface OpenRequest {
  externalId: string;
  externalRef: string | null;
  format: string | null;
}

/** Idempotent, batched import of mapped records: one statement per batch (atomic on its own). It reads
 *  the rows already there, upserts only the new and changed ones, and writes one request event per change
 *  and one record event per record — an UNCHANGED record (same content hash) costs a lookup and its record
 *  event, nothing else. The batch travels as one jsonb parameter (no per-row placeholders). One writer per run. */
export class RequestWriter implements BatchSink {
  /** Of the last batch's imported records, the share that was unchanged. */
  private unchangedShare = 0;
  /** Requests this writer created, in all and when it last had the table analyzed. */
  private created = 0;
  private createdAtAnalyze = 0;

  constructor(private readonly dataSource: DataSource) {}

  write(ctx: RunContext, results: MappingResult[]): Promise<BatchResult> {
    return this.prepare(ctx, results)();
  }

  /** Does the batch's CPU work now (resolving, hashes, the statement's parameters) and answers the
   *  function that writes it, so that a caller can prepare the next batch while one is being written. */
  prepare(ctx: RunContext, results: MappingResult[]): () => Promise<BatchResult> {
    const batch = resolveBatch(ctx, results);
    const records = [...batch.records.values()];
    // When the last batch was mostly unchanged (a re-read), first settle the unchanged records with their hashes
    // alone (their record events written in the same statement), then send the full rows of the others only.
    const keysJson = results.length > 0 && this.unchangedShare >= 0.5 && records.length ? JSON.stringify(records.map((r) => keyOf(r, null))) : null;
    const rowsJson = keysJson === null ? rowsOf(records) : null;
    const failedJson = JSON.stringify([...batch.failed.values()]);
    return async () => {
      const tally = new BatchTally();
      for (const f of batch.failed.values()) tally.add(f.direction, 'FAILED', 1);
      let toWrite = records;
      let older: Different[] = [];
      if (keysJson !== null) ({ toWrite, older } = await this.diff(ctx, records, keysJson, tally));
      if (toWrite.length || batch.failed.size) {
        const rows = toWrite.length ? (rowsJson ?? rowsOf(toWrite)) : '[]';
        older = older.concat(await this.upsert(ctx, batch, rows, failedJson, keysJson !== null, tally));
      }
      if (older.length) await this.settleOlderHashes(ctx, batch, older, tally);
      if (batch.records.size) this.unchangedShare = tally.unchanged / batch.records.size;
      await this.analyzeWhenGrown(tally.delta.created);
      return { delta: tally.delta, externalIds: batch.externalIds };
    };
  }

  /** Step 2 — diff: settles the records of `sent` whose stored hash is theirs (sent as `json`: keys and hashes) as
   *  UNCHANGED; answers the others, split into those to write in full and those stored with a hash of an earlier
   *  version (compared with that version's hash first). */
  private async diff(ctx: RunContext, sent: Resolved[], json: string, tally: BatchTally): Promise<{ toWrite: Resolved[]; older: Different[] }> {
    const toWrite: Resolved[] = [];
    const older: Different[] = [];
    for (const d of await this.settleUnchanged(ctx, sent, json, false, tally)) {
      if (d.stored !== null && !isCurrentHash(d.stored)) older.push(d);
      else toWrite.push(d.record);
    }
    return { toWrite, older };
  }

  /** UNCHANGED_SQL: the unchanged records of `sent` get their record event; answers the others with their stored
   *  hash (null when there is no row or no hash). */
  private async settleUnchanged(ctx: RunContext, sent: Resolved[], json: string, upgrade: boolean, tally: BatchTally): Promise<Different[]> {
    const others: { direction: Direction; external_id: string; stored_hash: string | null }[] = await this.dataSource.query(
      upgrade ? UNCHANGED_UPGRADE_SQL : UNCHANGED_SQL,
      [ctx.profile.id, ctx.run.id, json],
    );
    const storedHashes = new Map(others.map((o) => [`${o.direction}|${o.external_id}`, o.stored_hash]));
    const different: Different[] = [];
    for (const record of sent) {
      const key = keyOfRequest(record.request);
      if (storedHashes.has(key)) different.push({ record, stored: storedHashes.get(key) ?? null });
      else tally.add(record.request.direction, 'UNCHANGED', 1);
    }
    return different;
  }

  /** Steps 3 and 4 — upsert and events (WRITE_SQL): writes records in full (and the failed ones) with their request
   *  and record events. `olderJudged`: records stored with a hash of an earlier version were compared with it
   *  already, so a different hash means a change; otherwise they are left alone and answered. */
  private async upsert(ctx: RunContext, batch: ResolvedBatch, rowsJson: string, failedJson: string, olderJudged: boolean, tally: BatchTally): Promise<Different[]> {
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
      if (a.outcome === OLDER_HASH) older.push({ record: batch.records.get(`${a.direction}|${a.external_id}`)!, stored: a.stored_hash });
      else tally.add(a.direction, a.outcome, a.n);
    }
    return older;
  }

  /** Stored by an earlier version with that version's hash: unchanged if it equals that hash (the stored hash is then
   *  upgraded, with no request event); the others are written as changed. */
  private async settleOlderHashes(ctx: RunContext, batch: ResolvedBatch, older: Different[], tally: BatchTally) {
    const hashed = older.map(({ record, stored }) => {
      const hasher = OLDER_HASHES[hashVersionOf(stored!)];
      return keyOf(record, hasher ? hasher({ request: record.request, pickup: record.pickupLibraryCode, partners: record.partners, partnerCode: record.partnerCode }) : null);
    });
    const changed = await this.settleUnchanged(
      ctx,
      older.map((d) => d.record),
      JSON.stringify(hashed),
      true,
      tally,
    );
    if (changed.length) await this.upsert(ctx, batch, rowsOf(changed.map((d) => d.record)), '[]', true, tally);
  }

  /** A big first import grows rs_request from nothing within one run, faster than autovacuum analyzes it. With
   *  statistics that still describe a small table the planner looked records up through the profile's index
   *  (profile_id, direction, closed), i.e. read all of the profile's rows for every record: O(n) per record.
   *  So the table is analyzed each time this run has doubled what it had created at the last analysis. */
  private async analyzeWhenGrown(created: number) {
    this.created += created;
    if (this.created - this.createdAtAnalyze >= Math.max(ANALYZE_AFTER, this.createdAtAnalyze)) {
      this.createdAtAnalyze = this.created;
      await this.dataSource.query('ANALYZE rs_request');
    }
  }

  /** The profile's open requests of a direction that are due for a refresh or a look-up: least recently refreshed first (never
   *  refreshed first), not those in `exceptStatuses` nor `except` (read already in this run); at most `limit`
   *  (ix_rs_request_refresh). Answers them and how many such requests there are in all. */
  async dueForRefresh(ctx: RunContext, direction: Direction, page: { limit: number; exceptStatuses: readonly string[]; except: readonly string[] }) {
    const params = [ctx.profile.id, direction, page.exceptStatuses, page.except];
    const where = `profile_id = $1 AND direction = $2 AND closed = false AND (external_system_status IS NULL OR NOT external_system_status = ANY($3::varchar[]))
          AND NOT external_id = ANY($4::varchar[])`;
    const rows: { external_id: string; external_ref: string | null; format: string | null }[] = await this.dataSource.query(
      `SELECT external_id, external_ref, format FROM rs_request WHERE ${where} ORDER BY profile_id, direction, refreshed_at ASC NULLS FIRST, external_id LIMIT $5`,
      [...params, page.limit],
    );
    const [{ n }] = await this.dataSource.query(`SELECT count(*)::int AS n FROM rs_request WHERE ${where}`, params);
    const due: OpenRequest[] = rows.map((r) => ({ externalId: r.external_id, externalRef: r.external_ref, format: r.format }));
    return { due, total: n as number };
  }

  /** Notes that these requests were refreshed now (read by themselves, or looked up). */
  async markRefreshed(ctx: RunContext, direction: Direction, externalIds: readonly string[]) {
    if (!externalIds.length) return;
    await this.dataSource.query(`UPDATE rs_request SET refreshed_at = now() WHERE profile_id = $1 AND direction = $2 AND external_id = ANY($3::varchar[])`, [
      ctx.profile.id,
      direction,
      externalIds,
    ]);
  }

  /** A borrowing request created here and ordered in NACSIS later is known by our own number (`ONO`, kept in
   *  external_ref, or still its external id) but not yet by the NACSIS ID: it takes the NACSIS ID (`externalId`),
   *  so the next batch enriches it instead of creating a second request. Only requests never written from an
   *  imported record (no content hash) are linked, each to one record, with an UPDATED request event. A record
   *  whose NACSIS ID is stored already has nothing to link: one read of the batch's ids (by the unique key) leaves
   *  those out first, so that a re-read page (every record known) costs no search by order number, which has no
   *  index to use on external_ref (the profile showed it at ~100 ms a page at 100,000 requests). */
  async linkByOrderNumber(ctx: RunContext, direction: Direction, records: readonly { externalId: string; orderNumber: string }[]) {
    if (!records.length) return;
    // One index lookup per id (LATERAL … LIMIT 1, as LOOKUP): `external_id = ANY(…)` let the planner read all of the
    // profile's rows while a first import grows the table (260 ms a page at 50,000 rows).
    const stored: { external_id: string }[] = await this.dataSource.query(
      `SELECT k.external_id FROM unnest($3::varchar[]) AS k(external_id)
        CROSS JOIN LATERAL (SELECT 1 FROM rs_request r WHERE r.profile_id = $1 AND r.direction = $2 AND r.external_id = k.external_id LIMIT 1) x`,
      [ctx.profile.id, direction, records.map((r) => r.externalId)],
    );
    const known = new Set(stored.map((r) => r.external_id));
    const unknown = records.filter((r) => !known.has(r.externalId));
    if (!unknown.length) return;
    await this.dataSource.query(LINK_BY_ORDER_NUMBER_SQL, [
      ctx.profile.id,
      direction,
      unknown.map((r) => r.externalId),
      unknown.map((r) => r.orderNumber),
      ctx.run.id,
    ]);
  }

  /** Open lending requests that are gone from the source (`message` says why) are closed as REJECTED, with their
   *  request and record events (UPDATED), in one statement. */
  async rejectGone(ctx: RunContext, externalIds: readonly string[], message: string) {
    await this.dataSource.query(REJECT_GONE_SQL, [ctx.profile.id, externalIds, ctx.run.id, message]);
  }

  /** The requests of these records whose push failed (PUSH_FAILED), each with the first FAILED action (the one that
   *  holds its queue), for the NACSIS sync to reconcile before it writes the records (`reconcileFailedPush`). */
  async failedPushes(ctx: RunContext, direction: Direction, externalIds: readonly string[]): Promise<FailedPush[]> {
    if (!externalIds.length) return [];
    return this.dataSource.query(
      `SELECT r.id AS "requestId", r.external_id AS "externalId", r.status, r.raw,
              a.id AS "actionId", a.seq, a.action, a.nacsis_command AS command, a.to_external_status AS "toStatus"
         FROM rs_request r
        CROSS JOIN LATERAL (SELECT id, seq, action, nacsis_command, to_external_status FROM outbound_action
                             WHERE request_id = r.id AND state = 'FAILED' ORDER BY seq LIMIT 1) a
        WHERE r.sync_state = 'PUSH_FAILED' AND r.profile_id = $1 AND r.direction = $2 AND r.external_id = ANY($3::varchar[])`,
      [ctx.profile.id, direction, externalIds],
    );
  }

  /** Records what the sync concluded about a failed push, under the request row's lock (request row first, as
   *  action-push does), if the action is still FAILED and this NACSIS state was not judged already: a RECONCILED event;
   *  when NACSIS shows the action, the action SENT and the request IN_SYNC (PUSH_PENDING if actions wait behind it:
   *  the push worker's sweep sends them) with NACSIS's STAT, record and the local status it means. Answers whether
   *  anything was written. */
  reconcileFailedPush(ctx: RunContext, r: Reconciliation): Promise<boolean> {
    return this.dataSource.transaction(async (em) => {
      const [request] = await em.query('SELECT status FROM rs_request WHERE id = $1 FOR UPDATE', [r.requestId]);
      if (!request) return false;
      const [action] = await em.query(
        `SELECT a.state, EXISTS (SELECT 1 FROM request_event e WHERE e.request_id = $1 AND e.type = 'RECONCILED' AND e.data @> $3::jsonb) AS judged
           FROM outbound_action a WHERE a.id = $2 AND a.request_id = $1 FOR UPDATE`,
        [r.requestId, r.actionId, JSON.stringify(r.sameAs)],
      );
      if (!action || action.state !== 'FAILED' || action.judged) return false;
      let toStatus: string = request.status;
      if (r.applied) {
        await em.query(`UPDATE outbound_action SET state = 'SENT', sent_at = now(), updated_at = now() WHERE id = $1`, [r.actionId]);
        const [{ waiting }] = await em.query(`SELECT EXISTS (SELECT 1 FROM outbound_action WHERE request_id = $1 AND state IN ('PENDING', 'SENDING', 'FAILED')) AS waiting`, [r.requestId]);
        if (!waiting && r.mappedStatus) toStatus = r.mappedStatus;
        await em.query(
          `UPDATE rs_request SET sync_state = $2, sync_error = NULL, status = $3::text, closed = $3::text = ANY($6::text[]), external_system_status = $4, raw = $5::jsonb, updated_at = now()
            WHERE id = $1`,
          [r.requestId, waiting ? 'PUSH_PENDING' : 'IN_SYNC', toStatus, r.stat, JSON.stringify(r.raw), FINAL_STATUSES],
        );
      }
      await em.query(
        `INSERT INTO request_event (request_id, type, from_status, to_status, external_system_status, job_run_id, message, data)
         VALUES ($1, 'RECONCILED', $2, $3, $4, $5, $6, $7::jsonb)`,
        [r.requestId, request.status, toStatus, r.stat, ctx.run.id, r.message, JSON.stringify(r.data)],
      );
      return true;
    });
  }

  /** The borrowing request `externalId` replaces the one known as `replacedExternalId` (a resent order). */
  async linkReplacement(ctx: RunContext, externalId: string, replacedExternalId: string) {
    await this.dataSource.query(
      `UPDATE rs_request r SET replaces_request_id = o.id
         FROM rs_request o
        WHERE r.profile_id = $1 AND r.direction = 'BORROWING' AND r.external_id = $2
          AND o.profile_id = $1 AND o.direction = 'BORROWING' AND o.external_id = $3`,
      [ctx.profile.id, externalId, replacedExternalId],
    );
  }
}

/** A request whose push failed (PUSH_FAILED), with the raw record we last saw and the FAILED action that holds it. */
export interface FailedPush {
  requestId: string;
  externalId: string;
  status: string;
  raw: unknown;
  actionId: string;
  seq: number;
  action: string;
  command: string;
  /** The NACSIS STAT the action leads to. */
  toStatus: string | null;
}

/** What the sync concluded about a failed push: `applied` (NACSIS shows it: the action is SENT) or not (NACSIS
 *  differs), with NACSIS's record, the local status it means, and the RECONCILED event. */
export interface Reconciliation {
  requestId: string;
  actionId: string;
  applied: boolean;
  stat: string | null;
  raw: unknown;
  mappedStatus: string | null;
  message: string;
  /** The event's data; `sameAs` (a part of it) identifies the NACSIS state judged: judged once, not at every sync. */
  data: Record<string, unknown>;
  sameAs: Record<string, unknown>;
}

/** The rows of records as WRITE_SQL takes them (jsonb array). */
const rowsOf = (records: Resolved[]) =>
  JSON.stringify(
    records.map((p) => {
      const row = storedRow({ request: p.request, pickup: p.pickupLibraryCode, partners: p.partners, partnerCode: p.partnerCode });
      row.content_hash = p.hash;
      row.warnings = p.warnings;
      return row;
    }),
  );

/** What UNCHANGED_SQL needs of a record; `olderHash`: its hash of the version its stored hash is of. */
const keyOf = (p: Resolved, olderHash: string | null) => ({
  direction: p.request.direction,
  external_id: p.request.externalId,
  content_hash: p.hash,
  ...(olderHash !== null && { older_hash: olderHash }),
  warnings: p.warnings,
});

const ANALYZE_AFTER = 5_000;

/** The outcome WRITE_SQL answers for a record it left alone: stored with a hash of an earlier version. */
const OLDER_HASH = 'OLDER_HASH';

const UPSERT_COLUMNS = ['system', 'status', 'closed', 'partner_code', 'partners', 'owner_library_code', 'pickup_library_code', ...DATA_COLUMNS.map(([c]) => c), 'raw', 'content_hash', 'last_job_run_id'];

/** While staff actions are being pushed (PUSH_PENDING) the raw record stays the one the push worker last saw: it
 *  compares NACSIS's record with it to tell whether an interrupted push got through (and writes it after each push). */
const RAW_ON_CONFLICT = `CASE WHEN rs_request.sync_state = 'PUSH_PENDING' THEN rs_request.raw ELSE EXCLUDED."raw" END`;

/** Columns an update keeps when the record has no value for them: a NACSIS borrowing record carries no patron id,
 *  so the patron of a request created in ILL Bridge (POST /api/borrowing-requests) survives its sync. */
const KEPT_WHEN_ABSENT = new Set(['requester_id']);

/** How an import's upsert sets a column of an existing request. */
function upsertSet(c: string): string {
  const value = c === 'raw' ? RAW_ON_CONFLICT : KEPT_WHEN_ABSENT.has(c) ? `COALESCE(EXCLUDED."${c}", rs_request."${c}")` : `EXCLUDED."${c}"`;
  return `"${c}" = ${PERSONAL_COLUMNS.has(c) ? `CASE WHEN ${STAYS_PURGED} THEN NULL ELSE ${value} END` : value}`;
}

/** A request whose personal data retention purged and that the record still shows closed does not get them back from
 *  a later import of it (a changed record, a rewound harvest). One the record shows open again is in use again: its
 *  data come back and retention counts it anew once it closes. */
const PERSONAL_COLUMNS = new Set<string>(PERSONAL_DATA_COLUMNS);
const STAYS_PURGED = `(rs_request."personal_data_purged_at" IS NOT NULL AND EXCLUDED."closed")`;
const PURGED_ON_CONFLICT = `"personal_data_purged_at" = CASE WHEN EXCLUDED."closed" THEN rs_request."personal_data_purged_at" END`;

/** A record event written again (a resumed run, a record twice in a run) keeps CREATED or UPDATED over UNCHANGED. */
const RECORD_EVENT_CONFLICT = `ON CONFLICT (job_run_id, direction, external_id) DO UPDATE SET
    outcome = CASE WHEN record_event.outcome IN ('CREATED', 'UPDATED') AND EXCLUDED.outcome = 'UNCHANGED' THEN record_event.outcome ELSE EXCLUDED.outcome END,
    reason_code = EXCLUDED.reason_code, message = EXCLUDED.message, warnings = EXCLUDED.warnings, request_id = EXCLUDED.request_id`;

/** The stored row of input record `i` (profile $1), one index lookup per record. LIMIT 1 keeps the planner from
 *  turning the lookups into a hash join over all of the profile's rows (it did so on every batch while the
 *  table's statistics still described it as small: O(n) per batch, with JIT compilation on top). */
const LOOKUP = `SELECT r.id, r.direction, r.external_id, r.status, r.external_system_status, r.status_by_staff, r.sync_state, r.content_hash FROM rs_request r
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

/** $1 profile id, $2 system, $3 owner library, $4 run id, $5 job name, $6 final statuses, $7 the records (jsonb array),
 *  $8 the failed records (jsonb array), $9 whether a stored hash of an earlier version counts as a change (else such
 *  a record is left alone and answered as OLDER_HASH with its stored hash). Answers the outcome counts by direction.
 *  Every part sees the table as it was before the statement: `before` is what was there, `up` what was written. */
const WRITE_SQL = `
WITH input AS (
  SELECT * FROM jsonb_to_recordset($7::jsonb) AS x(
    direction text, external_id text, mapped_status text, default_status text, partner_code text, partners jsonb, pickup_library_code text,
    ${DATA_COLUMNS.map(([c]) => `"${c}" text`).join(', ')}, due_date date, raw jsonb, content_hash text, warnings jsonb)
),
before AS (
  SELECT b.*, ${STORED_OLDER} AS older FROM input i CROSS JOIN LATERAL (${LOOKUP}) b
),
changed AS (
  SELECT i.*, b.id AS before_id, b.status AS before_status, b.external_system_status AS before_external_status, b.status_by_staff,
         b.sync_state AS before_sync_state,
         -- A local status set by staff stays, and so does one that staff actions not yet pushed (PUSH_PENDING) or a
         -- failed push (PUSH_FAILED, reconciled by the NACSIS sync first) set: NACSIS has not seen them. The external
         -- status and the data are updated all the same.
         CASE WHEN b.status_by_staff OR b.sync_state IN ('PUSH_PENDING', 'PUSH_FAILED') THEN b.status ELSE COALESCE(i.mapped_status, b.status, i.default_status) END AS new_status
    FROM input i LEFT JOIN before b ON b.direction = i.direction AND b.external_id = i.external_id
   WHERE b.id IS NULL OR (b.content_hash IS DISTINCT FROM i.content_hash AND ($9 OR NOT b.older))
),
up AS (
  -- refreshed_at: the record was just read and written, so the bounded refresh of open requests (dueForRefresh)
  -- does not spend a later run's budget reading it again by itself.
  INSERT INTO rs_request ("profile_id", "direction", "external_id", ${UPSERT_COLUMNS.map((c) => `"${c}"`).join(', ')}, "due_date", "refreshed_at")
  SELECT $1, c.direction, c.external_id, $2, c.new_status, c.new_status = ANY($6::text[]), c.partner_code, c.partners, $3, c.pickup_library_code,
         ${DATA_COLUMNS.map(([col]) => `c."${col}"`).join(', ')}, c.raw, c.content_hash, $4, c.due_date, now()
    FROM changed c
  -- A record without a due date keeps the one known (e.g. set by our SHIP before NACSIS shows it).
  ON CONFLICT (profile_id, direction, external_id) DO UPDATE SET ${UPSERT_COLUMNS.map(upsertSet).join(', ')}, ${PURGED_ON_CONFLICT},
     "due_date" = COALESCE(EXCLUDED."due_date", rs_request."due_date"), "updated_at" = now(), "refreshed_at" = now()
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
                   || CASE WHEN d.status_by_staff THEN ' (the local status set by staff is kept)'
                           WHEN d.before_sync_state = 'PUSH_PENDING' THEN ' (staff actions are still being pushed: the local status is kept)'
                           WHEN d.before_sync_state = 'PUSH_FAILED' THEN ' (a push failed: the local status is kept until it is retried or discarded)'
                           WHEN d.before_status = d.new_status THEN ' (no matching local status: local status kept)' ELSE '' END
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

/** $1 profile id, $2 direction, $3 the records' NACSIS ids, $4 their order numbers (ONO), $5 run id. */
const LINK_BY_ORDER_NUMBER_SQL = `
WITH k AS (
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
  FROM linked`;

/** $1 profile id, $2 external ids (lending), $3 run id, $4 the message of the events. */
const REJECT_GONE_SQL = `
WITH gone AS (
  UPDATE rs_request r SET status = 'REJECTED', closed = true, content_hash = NULL, last_job_run_id = $3, updated_at = now()
    FROM rs_request o
   WHERE o.id = r.id AND r.profile_id = $1 AND r.direction = 'LENDING' AND r.closed = false AND r.external_id = ANY($2::varchar[])
  RETURNING r.id, r.external_id, o.status AS from_status, r.external_system_status
), events AS (
  INSERT INTO request_event (request_id, type, from_status, to_status, external_system_status, job_run_id, message)
  SELECT id, 'STATUS_CHANGED', from_status, 'REJECTED', external_system_status, $3, $4::text FROM gone
)
INSERT INTO record_event (job_run_id, external_id, direction, outcome, reason_code, message, warnings, request_id)
SELECT $3, external_id, 'LENDING', 'UPDATED', NULL, $4::text, '[]'::jsonb, id FROM gone
${RECORD_EVENT_CONFLICT}`;
