import { HttpStatus, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { ApiError, conflict, notFound, validationFailed } from '@illbridge/common';
import type { Direction, Format, RequestStatus } from '@illbridge/database/entities/enums';
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

export interface ActionAnswer {
  action: OutboundActionView;
  request: Record<string, unknown>;
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
   *  rings after the commit. */
  async take(id: string, body: TakeActionDto, idempotencyKey?: string): Promise<ActionAnswer> {
    if (idempotencyKey !== undefined && (idempotencyKey.length === 0 || idempotencyKey.length > MAX_IDEMPOTENCY_KEY_LENGTH)) {
      throw validationFailed([`Idempotency-Key must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} characters long`]);
    }
    const outcome = await this.dataSource.transaction(async (em) => {
      const request = await this.requestRow(em, id, true);
      return request.system === 'NACSIS' ? this.takeNacsis(em, request, body, idempotencyKey) : this.takeLocal(em, request, body, idempotencyKey);
    });
    if (outcome.ring) {
      await this.doorbell.ring(id).catch((error) =>
        this.logger.warn(`Action ${outcome.answer.action.id} of request ${id} is saved, but the push queue could not be told (${error.message}); the worker's sweep will pick it up`),
      );
    }
    return outcome.answer;
  }

  private async takeNacsis(em: EntityManager, request: any, body: TakeActionDto, idempotencyKey?: string): Promise<{ answer: ActionAnswer; ring: boolean }> {
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

    const { projected, pending } = await this.judge(em, request);
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
    const [{ next }] = await em.query('SELECT COALESCE(MAX(seq), 0) + 1 AS next FROM outbound_action WHERE request_id = $1', [request.id]);
    const [action] = await em.query(
      `INSERT INTO outbound_action (request_id, seq, action, nacsis_command, from_external_status, to_external_status, state, attempts, note, fields, idempotency_key)
       VALUES ($1, $2, $3, $4, $5, $6, 'PENDING', 0, $7, $8, $9) RETURNING ${OUTBOUND_COLUMNS}`,
      [request.id, next, body.action, verdict.command, projected.stat, verdict.toStat, checked.note ?? null, JSON.stringify(checked.fields), idempotencyKey ?? null],
    );
    const [updated] = await returning(
      em,
      // A FAILED action holds the queue: the request stays PUSH_FAILED, with its reason, until it is retried or discarded.
      `UPDATE rs_request SET status = $2, sync_state = CASE WHEN $3 THEN 'PUSH_FAILED' ELSE 'PUSH_PENDING' END,
              sync_error = CASE WHEN $3 THEN sync_error ELSE NULL END, updated_at = now() WHERE id = $1 RETURNING *`,
      [request.id, toStatus, pending.some((a: any) => a.state === 'FAILED')],
    );
    await em.query(
      `INSERT INTO request_event (request_id, type, from_status, to_status, external_system_status, message, data) VALUES ($1, 'ACTION_REQUESTED', $2, $3, $4, $5, $6)`,
      [
        request.id,
        request.status,
        toStatus,
        request.external_system_status,
        `${body.action} taken: NACSIS ${verdict.command} queued as #${next} (${projected.stat} → ${verdict.toStat})`,
        JSON.stringify({ outboundActionId: action.id, seq: next, action: body.action, command: verdict.command, note: checked.note ?? null }),
      ],
    );
    return { answer: { action: outboundView(action), request: requestView(updated) }, ring: true };
  }

  /** Libris / Netpunkt: the local status changes, a request event records the action; nothing is
   *  pushed, so there is no outbound action. The answer's `action` has the outbound action's shape
   *  with `id: null`, `seq: null`, `nacsisCommand: null`, `state: 'SENT'` (done) and `local: true`. */
  private async takeLocal(em: EntityManager, request: any, body: TakeActionDto, idempotencyKey?: string): Promise<{ answer: ActionAnswer; ring: boolean }> {
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
    const [updated] = await returning(em, `UPDATE rs_request SET status = $2, updated_at = now() WHERE id = $1 RETURNING *`, [request.id, verdict.toStatus]);
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
