import { HttpStatus, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'crypto';
import { ApiError, conflict, isUuid, notFound, validationFailed } from '@illbridge/common';
import { evaluateLocalAction, ISO18626_OUTBOUND_ACTIONS, isIso18626OutboundAction, isLocalAction } from '@illbridge/workflow';
import type { Iso18626OutboundLocalAction } from '@illbridge/workflow';
import type { RequestStatus } from '@illbridge/database/entities/enums';
import type { TakeActionDto } from '../action.dto';
import { Doorbell } from '../doorbell';
import { Db, PushStore, STALE, Stale, TakeInput } from '../push-store';
import { normaliseNote } from '../ship-fields';
import { outboundView, requestView } from '../views';
import type { Iso18626ActionFields } from './iso18626-connector';
import type { AuditActor } from '@illbridge/common';

/** What a take came to (ActionsService's shape): the answer, and whether to ring the doorbell. */
export interface Iso18626Taken {
  answer: { action: ReturnType<typeof outboundView>; request: Record<string, unknown> };
  ring: boolean;
  /** An Idempotency-Key's repeat: the first answer, nothing taken. */
  repeat?: true;
}

/** Staff actions on requests of an ISO 18626 channel (a Netpunkt profile with one, or an ISO18626 profile): judged by
 *  the local workflow like any Netpunkt request, and RECEIVE, RETURN, CANCEL, RENEW (and the status check) queued as
 *  requestingAgencyMessages in the request's ordered push queue. RECEIVE and RETURN change the local status at once;
 *  CANCEL and RENEW leave it until the lender's CancelResponse / RenewResponse (profile-config applies those). */
@Injectable()
export class Iso18626Actions {
  private readonly logger = new Logger(Iso18626Actions.name);

  constructor(
    private readonly store: PushStore,
    private readonly doorbell: Doorbell,
  ) {}

  /** Whether the request's profile has an ISO 18626 channel. */
  async hasChannel(db: Db, profileId: string | null): Promise<boolean> {
    if (!profileId) return false;
    const [row] = await db.query(`SELECT iso18626_endpoint_url IS NOT NULL AS channel FROM integration_profile WHERE id = $1 AND system IN ('NETPUNKT', 'ISO18626')`, [profileId]);
    return !!row?.channel;
  }

  /** The action taken on a request of an ISO 18626 channel, or null when it is not one (the local workflow takes it). */
  async take(db: Db, input: TakeInput, body: Pick<TakeActionDto, 'action' | 'note' | 'fields'>, idempotencyKey?: string, actor: AuditActor = null): Promise<Iso18626Taken | Stale | null> {
    const { request } = input;
    if (!isIso18626OutboundAction(body.action) || !(await this.hasChannel(db, request.profile_id))) return null;
    if (idempotencyKey) {
      const first = await this.store.actionByIdempotencyKey(db, request.id, idempotencyKey);
      if (first) {
        if (first.action !== body.action) throw conflict(`Idempotency-Key "${idempotencyKey}" was used for ${first.action}, not ${body.action}`);
        return { answer: { action: outboundView(first), request: requestView(request) }, ring: false, repeat: true };
      }
    }
    if (body.fields !== undefined && Object.keys(body.fields).length > 0) throw validationFailed([`fields are not taken by ${body.action} on a ${request.system} request`]);
    const action = body.action as Iso18626OutboundLocalAction;
    const { action: isoAction, waitsForAnswer } = ISO18626_OUTBOUND_ACTIONS[action];
    let toStatus: RequestStatus = request.status;
    if (isLocalAction(action)) {
      const verdict = evaluateLocalAction(request.direction, request.status, action);
      if (!verdict.allowed) throw new ApiError(HttpStatus.CONFLICT, 'ACTION_NOT_ALLOWED', verdict.message, { allowed: verdict.allowedActions });
      if (!waitsForAnswer) toStatus = verdict.toStatus;
    } else if (request.closed) {
      throw new ApiError(HttpStatus.CONFLICT, 'ACTION_NOT_ALLOWED', `Action Not Allowed: ${action} is not allowed while the request is ${request.status} (closed)`, { allowed: [] });
    }
    const note = normaliseNote(body.note) ?? null;
    const fields: Iso18626ActionFields = { iso18626Action: isoAction, note };
    const seq = input.nextSeq;
    const actionId = randomUUID();
    const written = await this.store.recordNacsisAction(db, input.rowVersion, {
      actionId,
      seq,
      action,
      command: null as unknown as string, // not a NACSIS command: the ISO 18626 action is in fields
      fromStat: request.external_system_status as string,
      toStat: request.external_system_status as string,
      note,
      fields: fields as never,
      idempotencyKey: idempotencyKey ?? null,
      toStatus,
      held: input.hasFailed,
      event: {
        requestId: request.id,
        type: 'ACTION_REQUESTED',
        fromStatus: request.status,
        toStatus,
        externalSystemStatus: request.external_system_status,
        message: `${action} taken: ISO 18626 ${isoAction} queued as #${seq}${waitsForAnswer && action !== 'STATUS_REQUEST' ? ` (the status changes when the lender answers)` : toStatus !== request.status ? ` (${request.status} → ${toStatus})` : ''}`,
        data: { outboundActionId: actionId, seq, action, iso18626Action: isoAction, note },
        actor,
      },
    });
    if (written === STALE) return STALE;
    return { answer: { action: outboundView(written.action), request: requestView(written.request) }, ring: !written.drainHoldsLease };
  }

  /** `POST /api/requests/:id/iso18626/status-request`: a StatusRequest queued (the lender answers with a
   *  StatusRequestResponse to our endpoint). */
  async statusRequest(id: string, idempotencyKey?: string) {
    if (!isUuid(id)) throw notFound(`Request ${id}`);
    const outcome = await this.store.onRequest(id, async (db) => {
      const input = await this.store.takeInput(db, id);
      if (!input) throw notFound(`Request ${id}`);
      const taken = await this.take(db, input, { action: 'STATUS_REQUEST' }, idempotencyKey);
      if (taken === null) throw conflict(`Request ${id} is not a request of an ISO 18626 channel`);
      return taken;
    });
    if (outcome.ring) await this.doorbell.ring(id).catch((error) => this.logger.warn(`StatusRequest of request ${id} saved; the push queue could not be told (${error.message}); the sweep picks it up`));
    return { answer: outcome.answer, repeat: outcome.repeat === true };
  }
}
