import { HttpStatus, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'crypto';
import { EntityManager } from 'typeorm';
import { ApiError, AuditActor, conflict, isUuid, notFound, validationFailed } from '@illbridge/common';
import type { Direction, Format, RequestStatus } from '@illbridge/database/entities/enums';
import { allowedActions, allowedLocalActions, evaluateAction, evaluateLocalAction, isLocalAction, isNacsisAction } from '@illbridge/workflow';
import type { NacsisActionContext } from '@illbridge/workflow';
import { BulkActionDto, TakeActionDto } from './action.dto';
import { Doorbell } from './doorbell';
import { Iso18626Actions } from './iso18626/iso18626-actions';
import { baseContext, localStatusFor, ourParticipantIdOf, projectedContext } from './nacsis-context';
import { Db, LocalActionData, NacsisActionInput, OutboundActionRow, PushStore, RequestRow, Stale, STALE, TakeInput } from './push-store';
import { commandFields, normaliseNote } from './ship-fields';
import { OutboundActionView, outboundView, requestView } from './views';

export const MAX_IDEMPOTENCY_KEY_LENGTH = 200;

/** An `Idempotency-Key` header, when sent, is 1 to 200 characters long (every route that honours one). */
export function checkIdempotencyKey(idempotencyKey: string | undefined): void {
  if (idempotencyKey !== undefined && (idempotencyKey.length === 0 || idempotencyKey.length > MAX_IDEMPOTENCY_KEY_LENGTH)) {
    throw validationFailed([`Idempotency-Key must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} characters long`]);
  }
}

export interface ActionAnswer {
  action: OutboundActionView;
  request: Record<string, unknown>;
}

/** One request's part of a bulk answer: `ACCEPTED` with what the single action answers (202), or `REFUSED`
 *  with the HTTP status and error body the single action would have answered (409, 400, 404). */
export type BulkResult =
  | { requestId: string; result: 'ACCEPTED'; status: 202; action: ActionAnswer['action']; request: Record<string, unknown> }
  | { requestId: string; result: 'REFUSED'; status: number; error: Record<string, unknown> };

export interface BulkAnswer {
  action: string;
  accepted: number;
  refused: number;
  results: BulkResult[];
}

/** What a staff action came to: the answer, and whether to ring the doorbell. */
interface Taken {
  answer: ActionAnswer;
  ring: boolean;
  /** An Idempotency-Key's repeat: the first answer, nothing taken. */
  repeat?: true;
}

/** A single action's answer, and whether it was an Idempotency-Key's repeat (nothing taken: nothing to audit). */
export interface TakeOutcome {
  answer: ActionAnswer;
  repeat: boolean;
}

interface Judged {
  base: NacsisActionContext | null;
  projected: NacsisActionContext | null;
  pending: OutboundActionRow[];
}

/** Staff actions on requests (api.md "action-push"). NACSIS requests: judged on the projected NACSIS
 *  state, recorded as an outbound action in the request's ordered log and pushed by the worker.
 *  Libris and Netpunkt requests: the local workflow only. */
@Injectable()
export class ActionsService {
  private readonly logger = new Logger(ActionsService.name);

  constructor(
    private readonly store: PushStore,
    private readonly doorbell: Doorbell,
    private readonly iso18626: Iso18626Actions,
  ) {}

  private async requestRow(id: string): Promise<RequestRow> {
    const row = isUuid(id) ? await this.store.request(this.store.dataSource, id) : null;
    if (!row) throw notFound(`Request ${id}`);
    return row;
  }

  private async judge(db: Db, request: RequestRow): Promise<Judged> {
    const { pending, libraryCode } = await this.store.pendingOf(db, request);
    const base = baseContext(request, ourParticipantIdOf(request, libraryCode));
    const projected = base ? projectedContext(base, pending.map((a) => a.action)) : null;
    return { base, projected, pending };
  }

  /** `GET /api/requests/:id/actions` */
  async allowed(id: string) {
    const request = await this.requestRow(id);
    if (request.system !== 'NACSIS') {
      return { allowed: allowedLocalActions(request.direction, request.status), externalSystemStatus: request.external_system_status, pending: [] };
    }
    const { projected, pending } = await this.judge(this.store.dataSource, request);
    return {
      allowed: projected ? allowedActions(projected) : [],
      externalSystemStatus: request.external_system_status,
      projectedStatus: projected?.stat ?? null,
      pending: pending.map(outboundView),
    };
  }

  /** `GET /api/requests/:id/outbound-actions` */
  async outboundActions(id: string) {
    await this.requestRow(id);
    return (await this.store.actionsOf(id)).map(outboundView);
  }

  /** `POST /api/requests/:id/actions`: judged on what one statement read, and written in one statement that
   *  applies only if the request row is still that version (`PushStore.onRequest`; else again under the row lock).
   *  The doorbell rings after the write, unless a drain holds the request's lease: that drain finishes under the
   *  row lock, after our write, so it sees our action and pushes it (nacsis: `PushDrainer`). */
  async take(id: string, body: TakeActionDto, idempotencyKey?: string, actor: AuditActor = null): Promise<TakeOutcome> {
    checkIdempotencyKey(idempotencyKey);
    if (!isUuid(id)) throw notFound(`Request ${id}`);
    const outcome = await this.store.onRequest(id, async (db): Promise<Taken | Stale> => {
      const input = await this.store.takeInput(db, id);
      if (!input) throw notFound(`Request ${id}`);
      if (input.request.system === 'NACSIS') return this.takeNacsis(db, input, body, idempotencyKey, actor);
      // A request of an ISO 18626 channel: RECEIVE, RETURN, CANCEL, RENEW go to the lender through the push queue.
      return (await this.iso18626.take(db, input, body, idempotencyKey, actor)) ?? this.takeLocal(db, input, body, idempotencyKey, actor);
    });
    if (outcome.ring) {
      await this.doorbell.ring(id).catch((error) =>
        this.logger.warn(`Action ${outcome.answer.action.id} of request ${id} is saved, but the push queue could not be told (${error.message}); the worker's sweep will pick it up`),
      );
    }
    return { answer: outcome.answer, repeat: outcome.repeat === true };
  }

  /** `POST /api/actions/bulk`: the same action taken on each request, each judged on its own as the single action
   *  judges it, so a refusal of one touches no other and each request's actions keep their order. The NACSIS
   *  requests are taken together: read in one statement, judged one by one, and the accepted ones recorded in one
   *  statement that writes each only if its row is still the version read (`PushStore.recordNacsisActions`), their
   *  doorbells rung in one Redis call. A request whose row changed meanwhile, one named twice (its second time), and
   *  requests of the other systems are then taken one after the other through `take`, in the order given.
   *  The one Idempotency-Key is each request's key: a repeat answers the accepted ones' first answers and takes
   *  nothing twice (a refused one is judged again). A failure that is not a refusal (a database that is down) stops
   *  the call: the answer is that error, and a repeat with the same key finishes what was not taken. */
  async bulk(body: BulkActionDto, idempotencyKey?: string, actor: AuditActor = null): Promise<BulkAnswer> {
    checkIdempotencyKey(idempotencyKey);
    const { requestIds, ...rest } = body;
    const single = rest as TakeActionDto;
    const results: (BulkResult | undefined)[] = new Array(requestIds.length);
    const once = [...new Set(requestIds.filter(isUuid))];
    const db = this.store.dataSource;
    const [inputs, firsts] = once.length
      ? await Promise.all([this.store.takeInputs(db, once), idempotencyKey ? this.store.actionsByIdempotencyKey(db, once, idempotencyKey) : new Map<string, OutboundActionRow>()])
      : [new Map<string, TakeInput>(), new Map<string, OutboundActionRow>()];
    const judged: { index: number; input: TakeInput; record: NacsisActionInput }[] = [];
    const seen = new Set<string>();
    requestIds.forEach((requestId, index) => {
      const input = inputs.get(requestId);
      if (!input || input.request.system !== 'NACSIS' || seen.has(requestId)) return;
      seen.add(requestId);
      const outcome = refusalOr(requestId, () => this.judgeNacsis(input, single, idempotencyKey, actor, firsts.get(requestId) ?? null));
      if ('result' in outcome) results[index] = outcome;
      else if ('repeat' in outcome) results[index] = accepted(requestId, outcome.repeat);
      else judged.push({ index, input, record: outcome.record });
    });
    const written = judged.length ? await this.store.recordNacsisActions(db, judged.map(({ input, record }) => ({ rowVersion: input.rowVersion, input: record }))) : new Map();
    const ring: string[] = [];
    for (const { index, input } of judged) {
      const recorded = written.get(input.request.id);
      if (!recorded) continue; // its row changed since it was read: taken again below, on its own
      results[index] = accepted(input.request.id, { action: outboundView(recorded.action), request: requestView(recorded.request) });
      if (!recorded.drainHoldsLease) ring.push(input.request.id);
    }
    if (ring.length) {
      await this.doorbell.ringAll(ring).catch((error) =>
        this.logger.warn(`${ring.length} bulk action(s) are saved, but the push queue could not be told (${error.message}); the worker's sweep will pick them up`),
      );
    }
    for (let index = 0; index < requestIds.length; index++) {
      if (results[index]) continue;
      const requestId = requestIds[index];
      try {
        results[index] = accepted(requestId, (await this.take(requestId, single, idempotencyKey, actor)).answer);
      } catch (error) {
        results[index] = refusalOf(requestId, error);
      }
    }
    const done = results as BulkResult[];
    const acceptedCount = done.filter((r) => r.result === 'ACCEPTED').length;
    return { action: body.action, accepted: acceptedCount, refused: done.length - acceptedCount, results: done };
  }

  /** Judges the action on the request's projected NACSIS state and records it; refusals throw. */
  private async takeNacsis(db: Db, input: TakeInput, body: TakeActionDto, idempotencyKey: string | undefined, actor: AuditActor): Promise<Taken | Stale> {
    const first = idempotencyKey ? await this.store.actionByIdempotencyKey(db, input.request.id, idempotencyKey) : null;
    const judged = this.judgeNacsis(input, body, idempotencyKey, actor, first);
    if ('repeat' in judged) return { answer: judged.repeat, ring: false, repeat: true };
    const written = await this.store.recordNacsisAction(db, input.rowVersion, judged.record);
    if (written === STALE) return STALE;
    return { answer: { action: outboundView(written.action), request: requestView(written.request) }, ring: !written.drainHoldsLease };
  }

  /** What a NACSIS action on the request comes to, judged on what `input` read: the action to record, or (the
   *  Idempotency-Key was used on this request: `first`) the first answer again. Refusals throw. */
  private judgeNacsis(input: TakeInput, body: TakeActionDto, idempotencyKey: string | undefined, actor: AuditActor, first: OutboundActionRow | null): NacsisJudgement {
    const { request } = input;
    if (first) {
      if (first.action !== body.action) throw conflict(`Idempotency-Key "${idempotencyKey}" was used for ${first.action}, not ${body.action}`);
      return { repeat: { action: outboundView(first), request: requestView(request) } };
    }
    const direction: Direction = request.direction;
    const format: Format = request.format ?? 'COPY';
    const checked = commandFields(body.action, body, format);
    if (!checked.ok) throw validationFailed(checked.problems);
    const base = baseContext(request, ourParticipantIdOf(request, input.profileLibraryCode));
    const projected = base ? projectedContext(base, input.pendingActions) : null;
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
    const seq = input.nextSeq;
    const actionId = randomUUID();
    return {
      record: {
        actionId,
        seq,
        action: body.action,
        command: verdict.command,
        fromStat: projected.stat,
        toStat: verdict.toStat,
        note: checked.note ?? null,
        fields: checked.fields,
        idempotencyKey: idempotencyKey ?? null,
        toStatus,
        held: input.hasFailed,
        event: {
          requestId: request.id,
          type: 'ACTION_REQUESTED',
          fromStatus: request.status,
          toStatus,
          externalSystemStatus: request.external_system_status,
          message: `${body.action} taken: NACSIS ${verdict.command} queued as #${seq} (${projected.stat} → ${verdict.toStat})`,
          data: { outboundActionId: actionId, seq, action: body.action, command: verdict.command, note: checked.note ?? null },
          actor,
        },
      },
    };
  }

  /** Libris / Netpunkt: the local status changes, a request event records the action; nothing is
   *  pushed, so there is no outbound action. The answer's `action` has the outbound action's shape
   *  with `id: null`, `seq: null`, `nacsisCommand: null`, `state: 'SENT'` (done) and `local: true`. */
  private async takeLocal(db: Db, input: TakeInput, body: TakeActionDto, idempotencyKey: string | undefined, actor: AuditActor): Promise<Taken | Stale> {
    const { request } = input;
    const localView = (eventId: string, at: Date, data: LocalActionData): OutboundActionView & { local: true; eventId: string } => ({
      id: null,
      requestId: request.id,
      seq: null,
      action: data.action,
      nacsisCommand: null,
      state: 'SENT',
      attempts: 0,
      lastError: null,
      createdAt: at,
      sentAt: at,
      fromExternalStatus: null,
      toExternalStatus: null,
      note: data.note ?? null,
      fields: null,
      updatedAt: at,
      local: true,
      eventId,
    });
    if (idempotencyKey) {
      const first = await this.store.localEventByIdempotencyKey(db, request.id, idempotencyKey);
      if (first) {
        const data = first.data;
        if (data.action !== body.action) throw conflict(`Idempotency-Key "${idempotencyKey}" was used for ${data.action}, not ${body.action}`);
        return { answer: { action: localView(String(first.id), first.created_at, data), request: requestView(request) }, ring: false, repeat: true };
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
    const data: LocalActionData = { local: true, action: body.action, note: normaliseNote(body.note) ?? null, idempotencyKey: idempotencyKey ?? null };
    const written = await this.store.recordLocalAction(db, input.rowVersion, {
      toStatus: verdict.toStatus,
      event: {
        requestId: request.id,
        type: 'ACTION_REQUESTED',
        fromStatus: request.status,
        toStatus: verdict.toStatus,
        externalSystemStatus: request.external_system_status,
        message: `${body.action} taken (local workflow: ${request.status} → ${verdict.toStatus})`,
        data,
        actor,
      },
    });
    if (written === STALE) return STALE;
    return { answer: { action: localView(written.eventId, written.eventAt, data), request: requestView(written.request) }, ring: false };
  }

  /** `POST /api/outbound-actions/:id/retry`: a FAILED action goes back to PENDING (attempts kept). */
  async retry(actionId: string, actor: AuditActor = null): Promise<OutboundActionView> {
    const result = await this.failedAction(actionId, 'retried', async (em, action) => {
      const updated = await this.store.setActionState(em, action.id, 'PENDING');
      await this.store.setRequestSync(em, action.request_id, { status: null, syncState: 'PUSH_PENDING', keepError: false });
      await this.store.addEvent(em, {
        requestId: action.request_id,
        type: 'ACTION_REQUESTED',
        fromStatus: null,
        toStatus: null,
        externalSystemStatus: null,
        message: `${action.action} (#${action.seq}, NACSIS ${action.nacsis_command}) retried by an operator`,
        data: { outboundActionId: action.id, seq: action.seq, retry: true },
        actor,
      });
      return updated;
    });
    await this.doorbell.ring(result.request_id).catch((error) => this.logger.warn(`Could not ring the push queue for request ${result.request_id}: ${error.message}`));
    return outboundView(result);
  }

  /** `POST /api/outbound-actions/:id/discard`: a FAILED action is given up. The local status is set
   *  back to what NACSIS's state and the remaining unpushed actions say; actions held behind it go on. */
  async discard(actionId: string, actor: AuditActor = null): Promise<OutboundActionView> {
    const { updated, ring } = await this.failedAction(actionId, 'discarded', async (em, action) => {
      const updated = await this.store.setActionState(em, action.id, 'DISCARDED');
      const request = (await this.store.request(em, action.request_id))!;
      const { projected, pending } = await this.judge(em, request);
      const waiting = pending.filter((a) => a.state !== 'FAILED').length;
      const failed = pending.some((a) => a.state === 'FAILED');
      const syncState = failed ? 'PUSH_FAILED' : waiting ? 'PUSH_PENDING' : 'IN_SYNC';
      const status = (projected && localStatusFor(request.direction, projected.stat, projected.passedOn ?? false)) ?? request.status;
      await this.store.setRequestSync(em, request.id, { status, syncState, keepError: failed });
      await this.store.addEvent(em, {
        requestId: request.id,
        type: 'ACTION_DISCARDED',
        fromStatus: request.status,
        toStatus: status,
        externalSystemStatus: request.external_system_status,
        message: `${action.action} (#${action.seq}, NACSIS ${action.nacsis_command}) discarded by an operator`,
        data: { outboundActionId: action.id, seq: action.seq },
        actor,
      });
      return { updated, ring: waiting > 0 && !failed };
    });
    if (ring) await this.doorbell.ring(updated.request_id).catch((error) => this.logger.warn(`Could not ring the push queue for request ${updated.request_id}: ${error.message}`));
    return outboundView(updated);
  }

  /** `work` on the action, in a transaction holding it and its request (request row first, as everywhere), if it is FAILED. */
  private failedAction<T>(actionId: string, verb: string, work: (em: EntityManager, action: OutboundActionRow) => Promise<T>): Promise<T> {
    if (!isUuid(actionId)) throw notFound(`Outbound action ${actionId}`);
    return this.store.transaction(async (em) => {
      const action = await this.store.lockedAction(em, actionId);
      if (!action) throw notFound(`Outbound action ${actionId}`);
      if (action.state !== 'FAILED') throw conflict(`Only a FAILED action can be ${verb}; this one is ${action.state}`);
      return work(em, action);
    });
  }
}

/** What a NACSIS action judged on a request comes to: the action to record, or the first answer of its key. */
type NacsisJudgement = { record: NacsisActionInput } | { repeat: ActionAnswer };

const accepted = (requestId: string, answer: ActionAnswer): BulkResult => ({ requestId, result: 'ACCEPTED', status: 202, action: answer.action, request: answer.request });

/** A refusal (an ApiError below 500) as a bulk result; anything else is thrown (it stops the call). */
function refusalOf(requestId: string, error: unknown): BulkResult {
  if (!(error instanceof ApiError) || error.getStatus() >= 500) throw error;
  const message = (error.getResponse() as { message: string | string[] }).message;
  return { requestId, result: 'REFUSED', status: error.getStatus(), error: { code: error.code, message: Array.isArray(message) ? message : [message], ...error.extra } };
}

/** `judge()`'s answer, or its refusal as a bulk result. */
function refusalOr<T extends object>(requestId: string, judge: () => T): T | BulkResult {
  try {
    return judge();
  } catch (error) {
    return refusalOf(requestId, error);
  }
}
