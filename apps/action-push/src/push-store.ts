import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { AuditActor } from '@illbridge/common';
import type { CatpRecord } from '@illbridge/connectors/nacsis';
import { FINAL_STATUSES } from '@illbridge/workflow';
import type { NacsisCommand } from '@illbridge/workflow';
import type { OutboundState, ProfileSystem, RequestStatus, SyncState } from '@illbridge/database/entities/enums';
import { prepared } from '@illbridge/database/prepared';
import { REQUEST_DETAIL_FIELDS, REQUEST_LIST_FIELDS } from '@illbridge/database/request-view';
import type { ProfileRow } from './catp-sessions';
import type { NacsisRequestRow } from './nacsis-context';
import type { CatpFieldValues } from './ship-fields';

/* The one data path of action-push: every read and write of outbound_action, and of the request columns that staff
   actions and pushes change (status, sync state, lease, raw record), for the API and the push worker alike. Values
   travel as parameters only.

   Writes that depend on what was read (a take judged on the unpushed actions; a push's SENT, which asks whether
   anything waits after it; the drain's finish) go through `onRequest`: first as statements that apply only to the
   request row version they read, with no transaction and no lock (the common case: the round trips of a single
   statement); when the row changed meanwhile, again inside a transaction holding the request row's lock. Every
   writer of a request's outbound actions that matters here (take, retry, discard, transient, refused, SENT) updates
   the request row in the same statement or transaction, so an unchanged row version means unchanged actions. */

/** A database handle: the data source (each statement on its own) or a transaction's manager. */
export type Db = DataSource | EntityManager;

/** How often `onRequest` runs a step without the row lock before it takes the lock. */
const OPTIMISTIC_TRIES = 2;

/** Answered by an `onRequest` step whose guarded statement did not apply: the row changed since it was read. */
export const STALE = Symbol('stale');
export type Stale = typeof STALE;

/** The rs_request columns action-push reads, and the others as they come (for the answer's view). */
export interface RequestRow extends NacsisRequestRow {
  id: string;
  system: ProfileSystem | null;
  status: RequestStatus;
  external_id: string;
  profile_id: string | null;
  sync_state: SyncState;
  sync_error: string | null;
  [column: string]: unknown;
}

export interface OutboundActionRow {
  id: string;
  request_id: string;
  seq: number;
  action: string;
  nacsis_command: string | null;
  state: OutboundState;
  attempts: number;
  last_error: string | null;
  created_at: Date;
  sent_at: Date | null;
  from_external_status: string | null;
  to_external_status: string | null;
  note: string | null;
  fields: CatpFieldValues | null;
  updated_at: Date;
  idempotency_key: string | null;
}

/** An action as the drain reads it (a JSON list, in seq order): a NACSIS action, with its command. */
export type QueuedAction = Pick<OutboundActionRow, 'id' | 'seq' | 'action' | 'state' | 'attempts' | 'fields' | 'to_external_status'> & {
  nacsis_command: NacsisCommand;
  /** When its push was first tried since the last retry (ISO text; null: never), and its attempts at that retry. */
  first_attempt_at: string | null;
  attempts_at_retry: number;
};

/** What a take is judged on: the request, its profile's library code, its unpushed actions (in seq order), whether
 *  one is FAILED, the next seq, and the row version all of it was read with. */
export interface TakeInput {
  request: RequestRow;
  profileLibraryCode: string | null;
  pendingActions: string[];
  hasFailed: boolean;
  nextSeq: number;
  rowVersion: string;
}

/** A request event as staff actions and pushes write them. */
export interface RequestEventInput {
  requestId: string;
  type: 'ACTION_REQUESTED' | 'ACTION_PUSHED' | 'ACTION_FAILED' | 'ACTION_DISCARDED';
  fromStatus: string | null;
  toStatus: string | null;
  externalSystemStatus: string | null;
  message: string;
  data: object;
  /** Staff events: the API key that took the action (shown in the request history). */
  actor?: AuditActor;
}

/** The data of a local action's ACTION_REQUESTED event. */
export interface LocalActionData {
  local: true;
  action: string;
  note: string | null;
  idempotencyKey: string | null;
}

/** A NACSIS staff action to record: the action, the request's new status and the event, in one statement. */
export interface NacsisActionInput {
  actionId: string;
  seq: number;
  action: string;
  command: string;
  /** Null for an ORDER of a request not yet in NACSIS. */
  fromStat: string | null;
  toStat: string;
  note: string | null;
  fields: CatpFieldValues;
  idempotencyKey: string | null;
  toStatus: RequestStatus;
  /** A FAILED action holds the queue: the request stays PUSH_FAILED, with its reason. */
  held: boolean;
  event: RequestEventInput;
}

/** A local (Libris / Netpunkt) staff action: the new status and the event. */
export interface LocalActionInput {
  toStatus: RequestStatus;
  event: RequestEventInput;
}

/** A request the drain has claimed, with its profile (if any) and the actions to push. */
export interface ClaimedRequest {
  request: Pick<RequestRow, 'id' | 'system' | 'direction' | 'format' | 'status' | 'external_id' | 'external_system_status' | 'raw' | 'profile_id'>;
  profile: ProfileRow | null;
  actions: QueuedAction[];
  /** The id of the first action, which the claim marked SENDING (null: none was, e.g. it is FAILED). */
  markedSending: string | null;
}

/** A recorded staff action: the action, the request's answer columns, and whether a drain holds the request's lease. */
export interface RecordedAction {
  action: OutboundActionRow;
  request: Record<string, unknown>;
  drainHoldsLease: boolean;
}

/** What a SENT answered: what is left to push after it, and whether nothing was and the drain finished. */
export interface SentOutcome {
  remaining: QueuedAction[];
  finished: boolean;
  /** The lease was still `leaseOwner`'s and is renewed for `leaseMs` from this statement (the drain goes on). */
  leaseRenewed: boolean;
  /** The id of the next action to push, which the statement marked SENDING (null: none, or it was not as listed). */
  markedNext: string | null;
}

export interface SentInput {
  requestId: string;
  action: Pick<QueuedAction, 'id' | 'seq'>;
  /** Whether the command was found on the record after an interrupted attempt (no attempt counted). */
  recovered: boolean;
  stat: string | null;
  raw: CatpRecord | null;
  /** The local status that NACSIS's state means, applied when nothing else waits. */
  following: RequestStatus | null;
  leaseOwner: string;
  /** The lease, renewed from now when the drain goes on. */
  leaseMs: number;
  message: string;
  data: Record<string, unknown>;
}

export const OUTBOUND_COLUMNS =
  'id, request_id, seq, action, nacsis_command, state, attempts, last_error, created_at, sent_at, from_external_status, to_external_status, note, fields, updated_at, idempotency_key';

/** Accepted but not pushed: judged on, and pushed in seq order. A FAILED action holds the queue. */
const UNPUSHED_STATES: OutboundState[] = ['PENDING', 'SENDING', 'FAILED'];

/** The request columns of an answer, returned with an `r_` prefix next to the action's columns. */
const REQUEST_ANSWER_COLUMNS = [...REQUEST_LIST_FIELDS.map(([, column]) => column), 'sync_error'];
const REQUEST_ANSWER_RETURNING = REQUEST_ANSWER_COLUMNS.map((column) => `r.${column} AS r_${column}`).join(', ');

/** The request columns a take is judged on and answers with (named: its statement is prepared). */
const TAKE_COLUMNS = [...new Set([...REQUEST_DETAIL_FIELDS.map(([, column]) => column), 'sync_state'])].map((column) => `r.${column}`).join(', ');

/** A request's actions not yet SENT or DISCARDED after seq `$afterSeq`, in seq order, as a JSON array of the columns
 *  the drain uses (request id: $1; unpushed states: $unpushed). */
const unpushedList = (afterSeq: string, unpushed: string) => `SELECT COALESCE(json_agg(json_build_object('id', id, 'seq', seq, 'action', action, 'nacsis_command', nacsis_command,
    'state', state, 'attempts', attempts, 'fields', fields, 'to_external_status', to_external_status,
    'first_attempt_at', first_attempt_at, 'attempts_at_retry', attempts_at_retry) ORDER BY seq), '[]')
  FROM outbound_action WHERE request_id = $1 AND seq > ${afterSeq} AND state = ANY(${unpushed}::text[])`;

const INSERT_EVENT_COLUMNS = 'request_id, type, from_status, to_status, external_system_status, message, data';
/** Staff events also name their actor (`eventParams`' last two). */
const INSERT_STAFF_EVENT_COLUMNS = `${INSERT_EVENT_COLUMNS}, actor_key_id, actor_key_name`;
const eventParams = (e: RequestEventInput) => [e.requestId, e.type, e.fromStatus, e.toStatus, e.externalSystemStatus, e.message, JSON.stringify(e.data), e.actor?.id ?? null, e.actor?.name ?? null];

@Injectable()
export class PushStore {
  constructor(@InjectDataSource() readonly dataSource: DataSource) {}

  /** A plain transaction (for the operator's retry and discard, which lock what they change first). */
  transaction<T>(work: (em: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  /** Runs `step` on its own (its guarded statements apply only to the row version they read); when it answers
   *  STALE (twice), runs it again in a transaction holding the request row's lock (request row first, as everywhere), where
   *  its guards hold. `locked` tells the step which of the two it is. */
  async onRequest<T>(requestId: string, step: (db: Db, locked: boolean) => Promise<T | Stale>): Promise<T> {
    // Tried twice without the lock: what changed the row in between is mostly a push's SENT that has committed
    // (a take racing its own request's drain), and the second try then goes through at the cost of a single try.
    for (let attempt = 0; attempt < OPTIMISTIC_TRIES; attempt++) {
      const done = await step(this.dataSource, false);
      if (done !== STALE) return done;
    }
    return this.locked(requestId, async (em) => {
      const again = await step(em, true);
      if (again === STALE) throw new Error(`Request ${requestId} changed while its row was locked`);
      return again;
    });
  }

  /** `work` in a transaction that first locks the request row (no row: `work` gets false). */
  locked<T>(requestId: string, work: (em: EntityManager, found: boolean) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(async (em) => {
      const [row] = await em.query('SELECT id FROM rs_request WHERE id = $1 FOR UPDATE', [requestId]);
      return work(em, !!row);
    });
  }

  async request(db: Db, id: string): Promise<RequestRow | null> {
    const [row] = await db.query('SELECT * FROM rs_request WHERE id = $1', [id]);
    return row ?? null;
  }

  /** The request's unpushed actions (in seq order) and its profile's library code. */
  async pendingOf(db: Db, request: Pick<RequestRow, 'id' | 'profile_id'>): Promise<{ pending: OutboundActionRow[]; libraryCode: string | null }> {
    const pending: OutboundActionRow[] = await db.query(`SELECT ${OUTBOUND_COLUMNS} FROM outbound_action WHERE request_id = $1 AND state = ANY($2::text[]) ORDER BY seq`, [
      request.id,
      UNPUSHED_STATES,
    ]);
    if (!request.profile_id) return { pending, libraryCode: null };
    const [profile] = await db.query('SELECT library_code FROM integration_profile WHERE id = $1', [request.profile_id]);
    return { pending, libraryCode: profile?.library_code ?? null };
  }

  actionsOf(requestId: string): Promise<OutboundActionRow[]> {
    return this.dataSource.query(`SELECT ${OUTBOUND_COLUMNS} FROM outbound_action WHERE request_id = $1 ORDER BY seq`, [requestId]);
  }

  // ---- the API's staff actions

  /** What a take is judged on, in one statement (one snapshot); null when there is no such request. */
  async takeInput(db: Db, id: string): Promise<TakeInput | null> {
    return (await this.takeInputs(db, [id])).get(id) ?? null;
  }

  /** What the takes on these requests are judged on, in one statement (one snapshot), by request id (a request that
   *  does not exist is missing). */
  async takeInputs(db: Db, ids: string[]): Promise<Map<string, TakeInput>> {
    const rows: (RequestRow & { row_version: string; profile_library_code: string | null; pending_actions: string[]; has_failed: boolean; next_seq: number })[] = await db.query(
      prepared(`SELECT ${TAKE_COLUMNS}, r.ctid::text AS row_version, p.library_code AS profile_library_code, o.pending_actions, o.has_failed, o.next_seq
         FROM rs_request r
         LEFT JOIN integration_profile p ON p.id = r.profile_id
         CROSS JOIN LATERAL (
           SELECT COALESCE(array_agg(action::text ORDER BY seq) FILTER (WHERE state = ANY($2::text[])), '{}') AS pending_actions,
                  COALESCE(bool_or(state = 'FAILED'), false) AS has_failed, COALESCE(max(seq), 0) + 1 AS next_seq
             FROM outbound_action WHERE request_id = r.id) o
        WHERE r.id = ANY($1::uuid[])`),
      [ids, UNPUSHED_STATES],
    );
    return new Map(
      rows.map(({ row_version, profile_library_code, pending_actions, has_failed, next_seq, ...request }) => [
        request.id,
        { request, profileLibraryCode: profile_library_code ?? null, pendingActions: pending_actions, hasFailed: has_failed, nextSeq: next_seq, rowVersion: row_version },
      ]),
    );
  }

  async actionByIdempotencyKey(db: Db, requestId: string, key: string): Promise<OutboundActionRow | null> {
    return (await this.actionsByIdempotencyKey(db, [requestId], key)).get(requestId) ?? null;
  }

  /** The actions these requests took with this idempotency key, by request id. */
  async actionsByIdempotencyKey(db: Db, requestIds: string[], key: string): Promise<Map<string, OutboundActionRow>> {
    const rows: OutboundActionRow[] = await db.query(
      prepared(`SELECT ${OUTBOUND_COLUMNS} FROM outbound_action WHERE request_id = ANY($1::uuid[]) AND idempotency_key = $2`),
      [requestIds, key],
    );
    return new Map(rows.map((row) => [row.request_id, row]));
  }

  /** The first local action event taken with this idempotency key. */
  async localEventByIdempotencyKey(db: Db, requestId: string, key: string): Promise<{ id: string; created_at: Date; data: LocalActionData } | null> {
    const [row] = await db.query(
      `SELECT id, created_at, data FROM request_event WHERE request_id = $1 AND type = 'ACTION_REQUESTED' AND data->>'idempotencyKey' = $2 ORDER BY id LIMIT 1`,
      [requestId, key],
    );
    return row ?? null;
  }

  /** The action, the request's new state and its event in one statement, if the request row is still version
   *  `rowVersion` (else STALE). Answers the action, the request's answer columns and whether a drain holds the
   *  request's lease (it then finishes after this statement under the row lock, and sees the action). */
  async recordNacsisAction(db: Db, rowVersion: string, input: NacsisActionInput): Promise<RecordedAction | Stale> {
    return (await this.recordNacsisActions(db, [{ rowVersion, input }])).get(input.event.requestId) ?? STALE;
  }

  /** `recordNacsisAction` for many requests (each at most once) in one statement: each request's action, new state
   *  and event are written if its row is still the version read; the answer has the requests that were (by id), the
   *  others are STALE (judge them again). */
  async recordNacsisActions(db: Db, takes: { rowVersion: string; input: NacsisActionInput }[]): Promise<Map<string, RecordedAction>> {
    const rows = takes.map(({ rowVersion, input }, ord) => {
      const e = input.event;
      return {
        ord,
        request_id: e.requestId,
        row_version: rowVersion,
        to_status: input.toStatus,
        held: input.held,
        action_id: input.actionId,
        seq: input.seq,
        action: input.action,
        command: input.command,
        from_stat: input.fromStat,
        to_stat: input.toStat,
        note: input.note,
        fields: input.fields,
        idempotency_key: input.idempotencyKey,
        ddate: typeof input.fields?.DDATE === 'string' ? input.fields.DDATE : null,
        event_type: e.type,
        event_from: e.fromStatus,
        event_to: e.toStatus,
        event_external: e.externalSystemStatus,
        event_message: e.message,
        event_data: e.data,
        actor_id: e.actor?.id ?? null,
        actor_name: e.actor?.name ?? null,
      };
    });
    const written: (OutboundActionRow & Record<string, unknown>)[] = await db.query(
      prepared(`WITH input AS (
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS i(ord int, request_id uuid, row_version tid, to_status text, held boolean, action_id uuid, seq int,
           action text, command text, from_stat text, to_stat text, note text, fields jsonb, idempotency_key text, ddate text,
           event_type text, event_from text, event_to text, event_external text, event_message text, event_data jsonb, actor_id uuid, actor_name text)
       ), request AS (
         UPDATE rs_request r SET status = i.to_status, sync_state = CASE WHEN i.held THEN 'PUSH_FAILED' ELSE 'PUSH_PENDING' END,
                sync_error = CASE WHEN i.held THEN r.sync_error ELSE NULL END, updated_at = now(),
                -- SHIP's due date (DDATE) is the request's from now on; the sync later reads the same from NACSIS.
                due_date = COALESCE(to_date(i.ddate, 'YYYYMMDD'), r.due_date)
           FROM input i
          WHERE r.id = i.request_id AND r.ctid = i.row_version
         RETURNING ${REQUEST_ANSWER_RETURNING}, r.push_lease_owner IS NOT NULL AND r.push_lease_until > now() AS drain_holds_lease
       ), action AS (
         INSERT INTO outbound_action (id, request_id, seq, action, nacsis_command, from_external_status, to_external_status, state, attempts, note, fields, idempotency_key)
         SELECT i.action_id, i.request_id, i.seq, i.action, i.command, i.from_stat, i.to_stat, 'PENDING', 0, i.note, i.fields, i.idempotency_key
           FROM input i JOIN request ON request.r_id = i.request_id ORDER BY i.ord
         RETURNING ${OUTBOUND_COLUMNS}
       ), event AS (
         INSERT INTO request_event (${INSERT_STAFF_EVENT_COLUMNS})
         SELECT i.request_id, i.event_type, i.event_from, i.event_to, i.event_external, i.event_message, i.event_data, i.actor_id, i.actor_name
           FROM input i JOIN request ON request.r_id = i.request_id ORDER BY i.ord
       )
       SELECT * FROM action JOIN request ON request.r_id = action.request_id`),
      [JSON.stringify(rows)],
    );
    return new Map(
      written.map((row) => [
        row.request_id,
        { action: row, request: Object.fromEntries(REQUEST_ANSWER_COLUMNS.map((column) => [column, row[`r_${column}`]])), drainHoldsLease: row.drain_holds_lease === true },
      ]),
    );
  }

  /** The local status change and its event in one statement, if the request row is still version `rowVersion`
   *  (else STALE). Answers the updated request and the event's id and time. */
  async recordLocalAction(db: Db, rowVersion: string, input: LocalActionInput): Promise<{ request: RequestRow; eventId: string; eventAt: Date } | Stale> {
    const e = input.event;
    const [row] = await db.query(
      `WITH request AS (
         -- Set by staff: the next import keeps it (and records the external change); a final status closes the request.
         UPDATE rs_request SET status = $3::text, status_by_staff = true, closed = $3::text = ANY($12::text[]), updated_at = now()
          WHERE id = $1 AND ctid = $2::tid RETURNING *
       ), event AS (
         INSERT INTO request_event (${INSERT_STAFF_EVENT_COLUMNS})
         SELECT $1, $4::text, $5::text, $6::text, $7::text, $8::text, $9::jsonb, $10::uuid, $11::text FROM request
         RETURNING id, created_at
       )
       SELECT request.*, event.id AS event_id, event.created_at AS event_at FROM request, event`,
      [e.requestId, rowVersion, input.toStatus, ...eventParams(e).slice(1), FINAL_STATUSES],
    );
    if (!row) return STALE;
    const { event_id, event_at, ...request } = row;
    return { request, eventId: String(event_id), eventAt: event_at };
  }

  /** The action, locked after its request's row (request row first, as everywhere); null when there is none. */
  async lockedAction(em: EntityManager, actionId: string): Promise<OutboundActionRow | null> {
    const [found] = await em.query('SELECT request_id FROM outbound_action WHERE id = $1', [actionId]);
    if (!found) return null;
    await em.query('SELECT id FROM rs_request WHERE id = $1 FOR UPDATE', [found.request_id]);
    const [action] = await em.query(`SELECT ${OUTBOUND_COLUMNS} FROM outbound_action WHERE id = $1 FOR UPDATE`, [actionId]);
    return action ?? null;
  }

  /** A retry (PENDING) starts the give-up limits afresh: the time from its next attempt, the attempts after this one. */
  async setActionState(em: EntityManager, actionId: string, state: Extract<OutboundState, 'PENDING' | 'DISCARDED'>): Promise<OutboundActionRow> {
    const [rows] = await em.query(
      `UPDATE outbound_action SET state = $2::text, updated_at = now(),
              first_attempt_at = CASE WHEN $2::text = 'PENDING' THEN NULL ELSE first_attempt_at END,
              attempts_at_retry = CASE WHEN $2::text = 'PENDING' THEN attempts ELSE attempts_at_retry END
        WHERE id = $1 RETURNING ${OUTBOUND_COLUMNS}`,
      [actionId, state],
    );
    return rows[0];
  }

  /** The request's status (unchanged when null) and sync state; `keepError`: its sync error stays, else it is cleared. */
  async setRequestSync(em: EntityManager, requestId: string, change: { status: RequestStatus | null; syncState: SyncState; keepError: boolean }) {
    await em.query(
      `UPDATE rs_request SET status = COALESCE($2, status), sync_state = $3, sync_error = CASE WHEN $4::boolean THEN sync_error ELSE NULL END, updated_at = now() WHERE id = $1`,
      [requestId, change.status, change.syncState, change.keepError],
    );
  }

  async addEvent(db: Db, event: RequestEventInput) {
    await db.query(`INSERT INTO request_event (${INSERT_STAFF_EVENT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, eventParams(event));
  }

  // ---- the push worker's drain

  /** Claims the request with a lease for `owner` (null when another drain holds it or there is no such request),
   *  with its profile and the actions to push, and marks the first of them SENDING (as `markSending` would: the drain
   *  pushes it next), in one statement. The actions are read with the statement's snapshot, which may be older than
   *  the row the claim waited for: an action added meanwhile is missing from the end of the list (each SENT and the
   *  finish look again), and one whose state changed meanwhile is caught by the guards of the mark (it is then not
   *  marked) and of `markSending`, which only marks an action still in the state and attempts read here. The list
   *  shows the first action as it was before the mark. */
  async claim(requestId: string, leaseMs: number, owner: string): Promise<ClaimedRequest | null> {
    const [claimed] = await this.dataSource.query(
      prepared(`WITH claimed AS (
         UPDATE rs_request SET push_lease_until = now() + make_interval(secs => $2::double precision / 1000), push_lease_owner = $3
          WHERE id = $1 AND (push_lease_until IS NULL OR push_lease_until < now())
          RETURNING id, system, direction, format, status, external_id, external_system_status, raw, profile_id
       ), first AS (
         SELECT id, state, attempts FROM outbound_action WHERE request_id = $1 AND state = ANY($4::text[]) AND EXISTS (SELECT 1 FROM claimed) ORDER BY seq LIMIT 1
       ), marked AS (
         UPDATE outbound_action a SET state = 'SENDING', first_attempt_at = COALESCE(a.first_attempt_at, now()), updated_at = now()
           FROM first WHERE a.id = first.id AND a.state = first.state AND a.attempts = first.attempts AND a.state IN ('PENDING', 'SENDING')
         RETURNING a.id
       )
       SELECT c.*, p.id AS p_id, p.base_url AS p_base_url, p.auth_user_id AS p_auth_user_id, p.secret_enc AS p_secret_enc, p.library_code AS p_library_code,
              (${unpushedList('0', '$4')}) AS actions, (SELECT id FROM marked) AS marked_sending
         FROM claimed c LEFT JOIN integration_profile p ON p.id = c.profile_id`),
      [requestId, leaseMs, owner, UNPUSHED_STATES],
    );
    if (!claimed) return null;
    const { p_id, p_base_url, p_auth_user_id, p_secret_enc, p_library_code, actions, marked_sending, ...request } = claimed;
    const profile: ProfileRow | null = p_id ? { id: p_id, base_url: p_base_url, auth_user_id: p_auth_user_id, secret_enc: p_secret_enc, library_code: p_library_code } : null;
    return { request, profile, actions, markedSending: marked_sending ?? null };
  }

  /** Whether the request has actions to push (PENDING, or SENDING after a crash). */
  async hasWaiting(requestId: string): Promise<boolean> {
    const [row] = await this.dataSource.query(prepared(`SELECT 1 FROM outbound_action WHERE request_id = $1 AND state IN ('PENDING', 'SENDING') LIMIT 1`), [requestId]);
    return !!row;
  }

  /** The requests whose actions wait (with `idleOnly`, only those no drain holds now). */
  async waitingRequests(idleOnly: boolean): Promise<string[]> {
    const rows: { request_id: string }[] = await this.dataSource.query(
      `SELECT DISTINCT a.request_id FROM outbound_action a JOIN rs_request r ON r.id = a.request_id
        WHERE a.state IN ('PENDING', 'SENDING') AND (NOT $1::boolean OR r.push_lease_until IS NULL OR r.push_lease_until < now())`,
      [idleOnly],
    );
    return rows.map((r) => r.request_id);
  }

  async releaseLease(requestId: string, owner: string) {
    await this.dataSource.query(prepared('UPDATE rs_request SET push_lease_until = NULL, push_lease_owner = NULL WHERE id = $1 AND push_lease_owner = $2'), [requestId, owner]);
  }

  /** The request's actions not yet SENT or DISCARDED after `afterSeq`, in seq order. */
  async unpushed(db: Db, requestId: string, afterSeq: number): Promise<QueuedAction[]> {
    const [row] = await db.query(prepared(`SELECT (${unpushedList('$2', '$3')}) AS actions`), [requestId, afterSeq, UNPUSHED_STATES]);
    return row.actions;
  }

  /** Marks the action SENDING if it is still in the state and attempts it was read in; with `renewLease`, renews the
   *  lease in the same statement (`held` false: the lease is not `owner`'s any more, nothing was marked). */
  async markSending(requestId: string, action: Pick<QueuedAction, 'id' | 'state' | 'attempts'>, renewLease?: { leaseMs: number; owner: string }): Promise<{ held: boolean; marked: boolean }> {
    if (!renewLease) {
      const [rows] = await this.dataSource.query(
        prepared(`UPDATE outbound_action SET state = 'SENDING', first_attempt_at = COALESCE(first_attempt_at, now()), updated_at = now() WHERE id = $1 AND state = $2 AND attempts = $3 RETURNING id`),
        [
          action.id,
          action.state,
          action.attempts,
        ],
      );
      return { held: true, marked: rows.length > 0 };
    }
    const [row] = await this.dataSource.query(
      prepared(`WITH lease AS (
         UPDATE rs_request SET push_lease_until = now() + make_interval(secs => $2::double precision / 1000) WHERE id = $1 AND push_lease_owner = $3 RETURNING id
       ), marked AS (
         UPDATE outbound_action SET state = 'SENDING', first_attempt_at = COALESCE(first_attempt_at, now()), updated_at = now()
          WHERE id = $4 AND state = $5 AND attempts = $6 AND EXISTS (SELECT 1 FROM lease) RETURNING id
       )
       SELECT EXISTS (SELECT 1 FROM lease) AS held, EXISTS (SELECT 1 FROM marked) AS marked`),
      [requestId, renewLease.leaseMs, renewLease.owner, action.id, action.state, action.attempts],
    );
    return { held: row.held, marked: row.marked };
  }

  /** SENT, the request's new state and its event, in one statement that applies only if the request row is still
   *  the version its snapshot saw (no action added, retried or discarded since), so that "is anything waiting after
   *  this one" is answered right without locking first; it also answers what is left to push, and when nothing
   *  is, finishes the drain: IN_SYNC and the lease released; when something is, and the lease is still ours, it renews the
   *  lease and marks the next action SENDING (the drain pushes it next without marking it again). If the row changed,
   *  the same statement runs again under the row lock. */
  markSent(input: SentInput): Promise<SentOutcome> {
    return this.onRequest(input.requestId, async (db) => {
      const [row] = await db.query(
        prepared(`WITH seen AS (
           SELECT ctid, status, push_lease_owner FROM rs_request WHERE id = $1
         ), waiting AS (
           SELECT (${unpushedList('$4', '$11')}) AS actions,
                  EXISTS (SELECT 1 FROM outbound_action WHERE request_id = $1 AND id <> $2 AND state = ANY($11::text[])) AS others
         ), request AS (
           UPDATE rs_request r
              SET external_system_status = $5, raw = COALESCE($6::jsonb, r.raw), sync_error = NULL, updated_at = now(),
                  status = CASE WHEN json_array_length(waiting.actions) > 0 OR $7::text IS NULL THEN r.status ELSE $7 END,
                  sync_state = CASE WHEN NOT waiting.others AND COALESCE(seen.push_lease_owner = $8, false) THEN 'IN_SYNC' ELSE r.sync_state END,
                  push_lease_until = CASE WHEN NOT waiting.others AND COALESCE(seen.push_lease_owner = $8, false) THEN NULL
                                          WHEN COALESCE(seen.push_lease_owner = $8, false) THEN now() + make_interval(secs => $12::double precision / 1000)
                                          ELSE r.push_lease_until END,
                  push_lease_owner = CASE WHEN NOT waiting.others AND COALESCE(seen.push_lease_owner = $8, false) THEN NULL ELSE r.push_lease_owner END
             FROM seen, waiting
            WHERE r.id = $1 AND r.ctid = seen.ctid
           RETURNING seen.status AS from_status, r.status AS to_status, waiting.actions, NOT waiting.others AND COALESCE(seen.push_lease_owner = $8, false) AS finished,
                     COALESCE(seen.push_lease_owner = $8, false) AS ours
         ), action AS (
           UPDATE outbound_action SET state = 'SENT', sent_at = now(), attempts = attempts + $3, updated_at = now()
            WHERE id = $2 AND EXISTS (SELECT 1 FROM request)
         ), event AS (
           INSERT INTO request_event (${INSERT_EVENT_COLUMNS})
           SELECT $1, 'ACTION_PUSHED', from_status, to_status, $5, $9::text, $10::jsonb FROM request
         ), next AS (
           -- The drain pushes the next action at once: SENDING now, if it is still as listed (as markSending would).
           UPDATE outbound_action a SET state = 'SENDING', first_attempt_at = COALESCE(a.first_attempt_at, now()), updated_at = now()
             FROM request
            WHERE request.ours AND NOT request.finished AND a.id = (request.actions->0->>'id')::uuid
              AND a.state = request.actions->0->>'state' AND a.attempts = (request.actions->0->>'attempts')::int AND a.state IN ('PENDING', 'SENDING')
           RETURNING a.id
         )
         SELECT actions, finished, ours, (SELECT id FROM next) AS marked_next FROM request`),
        [
          input.requestId,
          input.action.id,
          input.recovered ? 0 : 1,
          input.action.seq,
          input.stat,
          input.raw ? JSON.stringify(input.raw) : null,
          input.following,
          input.leaseOwner,
          input.message,
          JSON.stringify(input.data),
          UNPUSHED_STATES,
          input.leaseMs,
        ],
      );
      return row ? { remaining: row.actions, finished: row.finished, leaseRenewed: row.ours && !row.finished, markedNext: row.marked_next ?? null } : STALE;
    });
  }

  /** A transient failure: the action is PENDING again (one attempt more, with the error), the request shows it. */
  async markTransient(requestId: string, action: Pick<QueuedAction, 'id'>, error: string, syncError: string) {
    await this.dataSource.query(
      prepared(`WITH action AS (
         UPDATE outbound_action SET state = 'PENDING', attempts = attempts + 1, last_error = $3, updated_at = now() WHERE id = $2
       )
       UPDATE rs_request SET sync_error = $4 WHERE id = $1`),
      [requestId, action.id, error, syncError],
    );
  }

  /** NACSIS refused for good, or the push was given up: the action is FAILED (one attempt more, with the error), the
   *  request PUSH_FAILED with the reason, and an ACTION_FAILED event, in one statement. */
  async markRefused(requestId: string, action: Pick<QueuedAction, 'id'>, error: string, syncError: string, data: Record<string, unknown>) {
    await this.dataSource.query(
      prepared(`WITH action AS (
         UPDATE outbound_action SET state = 'FAILED', attempts = attempts + 1, last_error = $3, updated_at = now() WHERE id = $2
       ), request AS (
         UPDATE rs_request SET sync_state = 'PUSH_FAILED', sync_error = $4, updated_at = now() WHERE id = $1 RETURNING status, external_system_status
       )
       INSERT INTO request_event (${INSERT_EVENT_COLUMNS})
       SELECT $1, 'ACTION_FAILED', status, status, external_system_status, $4::text, $5::jsonb FROM request`),
      [requestId, action.id, error, syncError, JSON.stringify(data)],
    );
  }

  /** Nothing left to push: IN_SYNC and the lease released, together and under the row lock that a take holds while
   *  it writes, so that an action added meanwhile is seen. Answers whether the drain is over (false: something is
   *  left, go on draining) and whether it released the lease. */
  finish(requestId: string, owner: string): Promise<{ over: boolean; released: boolean }> {
    return this.onRequest(requestId, async (db, locked) => {
      const [done] = await db.query(
        prepared(`UPDATE rs_request r SET sync_state = 'IN_SYNC', sync_error = NULL, push_lease_until = NULL, push_lease_owner = NULL
           FROM (SELECT ctid FROM rs_request WHERE id = $1) seen
          WHERE r.id = $1 AND r.ctid = seen.ctid AND r.push_lease_owner = $2
            AND NOT EXISTS (SELECT 1 FROM outbound_action WHERE request_id = $1 AND state NOT IN ('SENT', 'DISCARDED'))
          RETURNING r.id`),
        [requestId, owner],
      );
      if (done.length) return { over: true, released: true };
      if (!locked) return STALE;
      // Under the lock: something is left, or the lease is not ours any more (nothing of ours to release).
      const [left] = await db.query(prepared(`SELECT 1 FROM outbound_action WHERE request_id = $1 AND state NOT IN ('SENT', 'DISCARDED') LIMIT 1`), [requestId]);
      return { over: !left, released: false };
    });
  }
}
