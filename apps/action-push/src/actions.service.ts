import { HttpStatus, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'crypto';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { ApiError, conflict, notFound, validationFailed } from '@illbridge/common';
import type { Direction, Format, RequestStatus } from '@illbridge/database/entities/enums';
import { FINAL_STATUSES } from '@illbridge/database/entities/enums';
import { REQUEST_LIST_FIELDS } from '@illbridge/database/request-view';
import { allowedActions, allowedLocalActions, evaluateAction, evaluateLocalAction, isLocalAction, isNacsisAction } from '@illbridge/workflow';
import type { NacsisActionContext } from '@illbridge/workflow';
import { TakeActionDto } from './action.dto';
import { Doorbell } from './doorbell';
import { baseContext, localStatusFor, ourParticipantIdOf, projectedContext } from './nacsis-context';
import { commandFields, normaliseNote } from './ship-fields';
import { OUTBOUND_COLUMNS, OutboundActionView, outboundView, requestView, returning } from './views';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const MAX_IDEMPOTENCY_KEY_LENGTH = 200;
/** Accepted but not pushed: judged on, and pushed in seq order. A FAILED action holds the queue. */
const UNPUSHED = `('PENDING', 'SENDING', 'FAILED')`;
/** What `take` judges on and numbers with: the unpushed actions (in seq order), whether one is FAILED,
 *  the next seq, of the request `requestId` (an SQL expression). */
const unpushedSummary = (requestId: string) => `SELECT COALESCE(array_agg(action::text ORDER BY seq) FILTER (WHERE state IN ${UNPUSHED}), '{}') AS pending_actions,
       COALESCE(bool_or(state = 'FAILED'), false) AS has_failed, COALESCE(max(seq), 0) + 1 AS next_seq
  FROM outbound_action WHERE request_id = ${requestId}`;
interface UnpushedSummary {
  pending_actions: string[];
  has_failed: boolean;
  next_seq: number;
}
/** The request columns of an answer, returned with an `r_` prefix next to the action's columns. */
const REQUEST_ANSWER_COLUMNS = [...REQUEST_LIST_FIELDS.map(([, column]) => column), 'sync_error'];
const REQUEST_ANSWER_RETURNING = REQUEST_ANSWER_COLUMNS.map((column) => `${column} AS r_${column}`).join(', ');

export interface ActionAnswer {
  action: OutboundActionView;
  request: Record<string, unknown>;
}

/** What a staff action came to: the answer, whether to ring the doorbell, whether the transaction was committed already. */
interface Taken {
  answer: ActionAnswer;
  ring: boolean;
  committed?: boolean;
}

/** The pg client under a query runner (multi-statement queries answer with one result per statement). */
interface PgClient {
  query(sql: string): Promise<any>;
  escapeLiteral(value: string): string;
}

/** A value as an SQL literal (strings through pg's escaping; numbers must be safe integers). */
function sqlLiteral(client: PgClient, value: string | number | boolean | null): string {
  if (value === null) return 'NULL';
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new Error(`Not an integer: ${value}`);
    return String(value);
  }
  return client.escapeLiteral(value);
}

interface Judged {
  base: NacsisActionContext | null;
  projected: NacsisActionContext | null;
  pending: any[];
}

/** Staff actions on requests (api.md "action-push"). NACSIS requests: judged on the projected NACSIS
 *  state, recorded as an outbound action in the request's ordered log and pushed by the worker.
 *  Libris and Netpunkt requests: the local workflow only. */
@Injectable()
export class ActionsService {
  private readonly logger = new Logger(ActionsService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly doorbell: Doorbell,
  ) {}

  private async requestRow(em: EntityManager | DataSource, id: string, lock = false): Promise<any> {
    if (!UUID.test(id)) throw notFound(`Request ${id}`);
    const [row] = await em.query(`SELECT * FROM rs_request WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [id]);
    if (!row) throw notFound(`Request ${id}`);
    return row;
  }

  private async judge(em: EntityManager | DataSource, request: any): Promise<Judged> {
    const pending = await em.query(`SELECT ${OUTBOUND_COLUMNS} FROM outbound_action WHERE request_id = $1 AND state IN ${UNPUSHED} ORDER BY seq`, [request.id]);
    let libraryCode: string | null = null;
    if (request.profile_id) {
      const [profile] = await em.query('SELECT library_code FROM integration_profile WHERE id = $1', [request.profile_id]);
      libraryCode = profile?.library_code ?? null;
    }
    const base = baseContext(request, ourParticipantIdOf(request, libraryCode));
    const projected = base ? projectedContext(base, pending.map((a: any) => a.action)) : null;
    return { base, projected, pending };
  }

  /** `GET /api/requests/:id/actions` */
  async allowed(id: string) {
    const request = await this.requestRow(this.dataSource, id);
    if (request.system !== 'NACSIS') {
      return { allowed: allowedLocalActions(request.direction, request.status), externalSystemStatus: request.external_system_status, pending: [] };
    }
    const { projected, pending } = await this.judge(this.dataSource, request);
    return {
      allowed: projected ? allowedActions(projected) : [],
      externalSystemStatus: request.external_system_status,
      projectedStatus: projected?.stat ?? null,
      pending: pending.map(outboundView),
    };
  }

  /** `GET /api/requests/:id/outbound-actions` */
  async outboundActions(id: string) {
    await this.requestRow(this.dataSource, id);
    const rows = await this.dataSource.query(`SELECT ${OUTBOUND_COLUMNS} FROM outbound_action WHERE request_id = $1 ORDER BY seq`, [id]);
    return rows.map(outboundView);
  }

  /** `POST /api/requests/:id/actions`: one transaction with the request row locked; the doorbell
   *  rings after the commit, unless a drain holds the request's lease: that drain finishes under the
   *  same row lock, after our commit, so it sees our action and pushes it (nacsis: `PushDrainer`). */
  async take(id: string, body: TakeActionDto, idempotencyKey?: string): Promise<ActionAnswer> {
    if (idempotencyKey !== undefined && (idempotencyKey.length === 0 || idempotencyKey.length > MAX_IDEMPOTENCY_KEY_LENGTH)) {
      throw validationFailed([`Idempotency-Key must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} characters long`]);
    }
    if (!UUID.test(id)) throw notFound(`Request ${id}`);
    // One transaction, by hand on the query runner's connection so that BEGIN travels with the lock and
    // COMMIT with the last write (one round trip each; on this machine a round trip to Postgres costs
    // more CPU than the statement). The id is a checked UUID, so it can be inlined.
    const runner = this.dataSource.createQueryRunner();
    let outcome: Taken;
    try {
      const client: PgClient = await runner.connect();
      let open = false;
      try {
        // The row lock, and with it (read in the same statement) the profile's library code, the unpushed
        // actions and the next seq. Those reads use the statement's snapshot, taken before the lock was
        // granted: they are only used when the row we locked is the version that snapshot saw (`fresh`).
        // Every writer of a request's outbound actions that matters here (take, retry, discard, the
        // drain's SENDING and SENT) updates the request row in the same transaction, so an unchanged
        // row version means unchanged actions. Otherwise they are read again, now under the lock.
        open = true;
        const [, locked] = await client.query(
          `BEGIN;
           SELECT r.*, p.library_code AS profile_library_code,
                  r.push_lease_owner IS NOT NULL AND r.push_lease_until > now() AS drain_holds_lease,
                  r.ctid = (SELECT ctid FROM rs_request WHERE id = '${id}') AS fresh, o.*
             FROM rs_request r
             LEFT JOIN integration_profile p ON p.id = r.profile_id
             CROSS JOIN (${unpushedSummary(`'${id}'`)}) o
            WHERE r.id = '${id}'
              FOR UPDATE OF r`,
        );
        const request = locked.rows[0];
        if (!request) throw notFound(`Request ${id}`);
        outcome =
          request.system === 'NACSIS' ? await this.takeNacsis(runner.manager, client, request, body, idempotencyKey) : await this.takeLocal(runner.manager, request, body, idempotencyKey);
        if (!outcome.committed) await client.query('COMMIT');
        open = false;
      } catch (error) {
        if (open) await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    } finally {
      await runner.release();
    }
    if (outcome.ring) {
      await this.doorbell.ring(id).catch((error) =>
        this.logger.warn(`Action ${outcome.answer.action.id} of request ${id} is saved, but the push queue could not be told (${error.message}); the worker's sweep will pick it up`),
      );
    }
    return outcome.answer;
  }

  /** Ends with the write and the COMMIT in one round trip (`committed`); refusals throw. */
  private async takeNacsis(em: EntityManager, client: PgClient, request: any, body: TakeActionDto, idempotencyKey?: string): Promise<Taken> {
    if (idempotencyKey) {
      const [first] = await em.query(`SELECT ${OUTBOUND_COLUMNS} FROM outbound_action WHERE request_id = $1 AND idempotency_key = $2`, [request.id, idempotencyKey]);
      if (first) {
        if (first.action !== body.action) throw conflict(`Idempotency-Key "${idempotencyKey}" was used for ${first.action}, not ${body.action}`);
        return { answer: { action: outboundView(first), request: requestView(request) }, ring: false };
      }
    }
    const direction: Direction = request.direction;
    const format: Format = request.format ?? 'COPY';
    const checked = commandFields(body.action, body, format);
    if (!checked.ok) throw validationFailed(checked.problems);
    const unpushed: UnpushedSummary = request.fresh ? request : (await em.query(unpushedSummary('$1'), [request.id]))[0];
    const base = baseContext(request, ourParticipantIdOf(request, request.profile_library_code ?? null));
    const projected = base ? projectedContext(base, unpushed.pending_actions) : null;
    const stat = projected?.stat ?? request.external_system_status ?? 'unknown';
    const refuse = (message: string, allowed: readonly string[]) =>
      new ApiError(HttpStatus.CONFLICT, 'NACSIS_ACTION_NOT_ALLOWED', message, { allowed, externalSystemStatus: request.external_system_status, projectedStatus: projected?.stat ?? null });
    if (!projected || !isNacsisAction(body.action)) {
      const allowed = projected ? allowedActions(projected) : [];
      throw refuse(`NACSIS Action Not Allowed: ${body.action} is not allowed while the request is ${stat} (allowed: ${allowed.join(', ') || 'none'})`, allowed);
    }
    const verdict = evaluateAction(projected, body.action);
    if (!verdict.allowed) throw refuse(verdict.message, verdict.allowedActions);
    if (verdict.noteRequired && !checked.note) throw validationFailed([`note is required for ${body.action}`]);

    const toStatus: RequestStatus = localStatusFor(direction, verdict.toStat, verdict.passedOn) ?? request.status;
    const next = unpushed.next_seq;
    const actionId = randomUUID();
    // The action, the request's new state and its event in one statement (the row is locked), and the
    // COMMIT with it: the values are inlined as literals (pg's escaping) since a multi-statement query
    // takes no parameters.
    const v = (value: string | number | boolean | null) => sqlLiteral(client, value);
    const message = `${body.action} taken: NACSIS ${verdict.command} queued as #${next} (${projected.stat} → ${verdict.toStat})`;
    const data = JSON.stringify({ outboundActionId: actionId, seq: next, action: body.action, command: verdict.command, note: checked.note ?? null });
    const [written] = await client.query(
      `WITH action AS (
         INSERT INTO outbound_action (id, request_id, seq, action, nacsis_command, from_external_status, to_external_status, state, attempts, note, fields, idempotency_key)
         VALUES (${v(actionId)}, ${v(request.id)}, ${v(next)}, ${v(body.action)}, ${v(verdict.command)}, ${v(projected.stat)}, ${v(verdict.toStat)}, 'PENDING', 0,
                 ${v(checked.note ?? null)}, ${v(JSON.stringify(checked.fields))}, ${v(idempotencyKey ?? null)})
         RETURNING ${OUTBOUND_COLUMNS}
       ), request AS (
         -- A FAILED action holds the queue: the request stays PUSH_FAILED, with its reason, until it is retried or discarded.
         UPDATE rs_request SET status = ${v(toStatus)}, sync_state = ${unpushed.has_failed ? `'PUSH_FAILED'` : `'PUSH_PENDING'`},
                sync_error = ${unpushed.has_failed ? 'sync_error' : 'NULL'}, updated_at = now()
          WHERE id = ${v(request.id)} RETURNING ${REQUEST_ANSWER_RETURNING}
       ), event AS (
         INSERT INTO request_event (request_id, type, from_status, to_status, external_system_status, message, data)
         VALUES (${v(request.id)}, 'ACTION_REQUESTED', ${v(request.status)}, ${v(toStatus)}, ${v(request.external_system_status)}, ${v(message)}, ${v(data)})
       )
       SELECT * FROM action, request;
       COMMIT`,
    );
    const row = written.rows[0];
    const updated = Object.fromEntries(REQUEST_ANSWER_COLUMNS.map((column) => [column, row[`r_${column}`]]));
    return { answer: { action: outboundView(row), request: requestView(updated) }, ring: !request.drain_holds_lease, committed: true };
  }

  /** Libris / Netpunkt: the local status changes, a request event records the action; nothing is
   *  pushed, so there is no outbound action. The answer's `action` has the outbound action's shape
   *  with `id: null`, `seq: null`, `nacsisCommand: null`, `state: 'SENT'` (done) and `local: true`. */
  private async takeLocal(em: EntityManager, request: any, body: TakeActionDto, idempotencyKey?: string): Promise<Taken> {
    const localView = (event: any, data: any): OutboundActionView & { local: true; eventId: string } => ({
      id: null,
      requestId: request.id,
      seq: null,
      action: data.action,
      nacsisCommand: null,
      state: 'SENT',
      attempts: 0,
      lastError: null,
      createdAt: event.created_at,
      sentAt: event.created_at,
      fromExternalStatus: null,
      toExternalStatus: null,
      note: data.note ?? null,
      fields: null,
      updatedAt: event.created_at,
      local: true,
      eventId: String(event.id),
    });
    if (idempotencyKey) {
      const [first] = await em.query(
        `SELECT id, created_at, data FROM request_event WHERE request_id = $1 AND type = 'ACTION_REQUESTED' AND data->>'idempotencyKey' = $2 ORDER BY id LIMIT 1`,
        [request.id, idempotencyKey],
      );
      if (first) {
        if (first.data.action !== body.action) throw conflict(`Idempotency-Key "${idempotencyKey}" was used for ${first.data.action}, not ${body.action}`);
        return { answer: { action: localView(first, first.data), request: requestView(request) }, ring: false };
      }
    }
    const direction: Direction = request.direction;
    const problems: string[] = [];
    if (body.fields !== undefined && Object.keys(body.fields).length > 0) problems.push(`fields are not taken by ${body.action} on a ${request.system} request`);
    if (problems.length) throw validationFailed(problems);
    const refuse = (message: string, allowed: readonly string[]) => new ApiError(HttpStatus.CONFLICT, 'ACTION_NOT_ALLOWED', message, { allowed });
    if (!isLocalAction(body.action)) {
      const allowed = allowedLocalActions(direction, request.status);
      throw refuse(`Action Not Allowed: ${body.action} is not allowed while the request is ${request.status} (allowed: ${allowed.join(', ') || 'none'})`, allowed);
    }
    const verdict = evaluateLocalAction(direction, request.status, body.action);
    if (!verdict.allowed) throw refuse(verdict.message, verdict.allowedActions);
    const note = normaliseNote(body.note) ?? null;
    // Set by staff: the next import keeps it (and records the external change); a final status closes the request.
    const [updated] = await returning(
      em,
      `UPDATE rs_request SET status = $2::text, status_by_staff = true, closed = $2::text = ANY($3::text[]), updated_at = now() WHERE id = $1 RETURNING *`,
      [request.id, verdict.toStatus, FINAL_STATUSES],
    );
    const data = { local: true, action: body.action, note, idempotencyKey: idempotencyKey ?? null };
    const [event] = await em.query(
      `INSERT INTO request_event (request_id, type, from_status, to_status, external_system_status, message, data) VALUES ($1, 'ACTION_REQUESTED', $2, $3, $4, $5, $6) RETURNING id, created_at`,
      [request.id, request.status, verdict.toStatus, request.external_system_status, `${body.action} taken (local workflow: ${request.status} → ${verdict.toStatus})`, JSON.stringify(data)],
    );
    return { answer: { action: localView(event, data), request: requestView(updated) }, ring: false };
  }

  /** `POST /api/outbound-actions/:id/retry`: a FAILED action goes back to PENDING (attempts kept). */
  async retry(actionId: string): Promise<OutboundActionView> {
    const result = await this.dataSource.transaction(async (em) => {
      const action = await this.failedAction(em, actionId, 'retried');
      const [updated] = await returning(em, `UPDATE outbound_action SET state = 'PENDING', updated_at = now() WHERE id = $1 RETURNING ${OUTBOUND_COLUMNS}`, [action.id]);
      await em.query(`UPDATE rs_request SET sync_state = 'PUSH_PENDING', sync_error = NULL, updated_at = now() WHERE id = $1`, [action.request_id]);
      await em.query(
        `INSERT INTO request_event (request_id, type, message, data) VALUES ($1, 'ACTION_REQUESTED', $2, $3)`,
        [action.request_id, `${action.action} (#${action.seq}, NACSIS ${action.nacsis_command}) retried by an operator`, JSON.stringify({ outboundActionId: action.id, seq: action.seq, retry: true })],
      );
      return updated;
    });
    await this.doorbell.ring(result.request_id).catch((error) => this.logger.warn(`Could not ring the push queue for request ${result.request_id}: ${error.message}`));
    return outboundView(result);
  }

  /** `POST /api/outbound-actions/:id/discard`: a FAILED action is given up. The local status is set
   *  back to what NACSIS's state and the remaining unpushed actions say; actions held behind it go on. */
  async discard(actionId: string): Promise<OutboundActionView> {
    const { updated, ring } = await this.dataSource.transaction(async (em) => {
      const action = await this.failedAction(em, actionId, 'discarded');
      const [updated] = await returning(em, `UPDATE outbound_action SET state = 'DISCARDED', updated_at = now() WHERE id = $1 RETURNING ${OUTBOUND_COLUMNS}`, [action.id]);
      const request = await this.requestRow(em, action.request_id);
      const { projected, pending } = await this.judge(em, request);
      const waiting = pending.filter((a: any) => a.state !== 'FAILED').length;
      const failed = pending.some((a: any) => a.state === 'FAILED');
      const syncState = failed ? 'PUSH_FAILED' : waiting ? 'PUSH_PENDING' : 'IN_SYNC';
      const status = (projected && localStatusFor(request.direction, projected.stat, projected.passedOn ?? false)) ?? request.status;
      await em.query(
        `UPDATE rs_request SET status = $2, sync_state = $3, sync_error = CASE WHEN $4 THEN sync_error ELSE NULL END, updated_at = now() WHERE id = $1`,
        [request.id, status, syncState, failed],
      );
      await em.query(
        `INSERT INTO request_event (request_id, type, from_status, to_status, external_system_status, message, data) VALUES ($1, 'ACTION_DISCARDED', $2, $3, $4, $5, $6)`,
        [
          request.id,
          request.status,
          status,
          request.external_system_status,
          `${action.action} (#${action.seq}, NACSIS ${action.nacsis_command}) discarded by an operator`,
          JSON.stringify({ outboundActionId: action.id, seq: action.seq }),
        ],
      );
      return { updated, ring: waiting > 0 && !failed };
    });
    if (ring) await this.doorbell.ring(updated.request_id).catch((error) => this.logger.warn(`Could not ring the push queue for request ${updated.request_id}: ${error.message}`));
    return outboundView(updated);
  }

  /** The action, locked with its request (request row first, as everywhere), if it is FAILED. */
  private async failedAction(em: EntityManager, actionId: string, verb: string): Promise<any> {
    if (!UUID.test(actionId)) throw notFound(`Outbound action ${actionId}`);
    const [found] = await em.query('SELECT request_id FROM outbound_action WHERE id = $1', [actionId]);
    if (!found) throw notFound(`Outbound action ${actionId}`);
    await em.query('SELECT id FROM rs_request WHERE id = $1 FOR UPDATE', [found.request_id]);
    const [action] = await em.query(`SELECT ${OUTBOUND_COLUMNS} FROM outbound_action WHERE id = $1 FOR UPDATE`, [actionId]);
    if (action.state !== 'FAILED') throw conflict(`Only a FAILED action can be ${verb}; this one is ${action.state}`);
    return action;
  }
}
