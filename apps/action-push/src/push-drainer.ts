import { Injectable, Logger } from '@nestjs/common';
import { randomBytes } from 'crypto';
import { ReportEventsPublisher } from '@illbridge/queues/report-events';
import { MetricsService } from '@illbridge/common';
import { fieldValue, nacsisDatabaseOf, nacsisRecordState } from '@illbridge/connectors/nacsis';
import type { CatpRecord, NacsisDatabase } from '@illbridge/connectors/nacsis';
import { ExternalSystemError } from '@illbridge/connectors/types';
import type { Counter } from 'prom-client';
import { CatpSession, CatpSessions, ProfileRow } from './catp-sessions';
import { catpElements, localStatusFor, ourParticipantIdOf, passedOnFrom, rawRecordOf } from './nacsis-context';
import { PushConnector, PushConnectors } from './push-connector';
import { PushSettings } from './push-settings';
import { ClaimedRequest, PushStore, QueuedAction } from './push-store';

/** The drain job found the request held by another drain: BullMQ retries it with backoff. */
export class LeaseBusyError extends Error {
  constructor(requestId: string) {
    super(`Request ${requestId} is being drained by another worker; will try again`);
    this.name = 'LeaseBusyError';
  }
}

/** The lease ran out and another drain may have taken the request over: stop at once. */
export class LeaseLostError extends Error {
  constructor(requestId: string) {
    super(`The push lease on request ${requestId} was lost`);
    this.name = 'LeaseLostError';
  }
}

/** A push that failed for a reason worth retrying: the action is PENDING again. */
export class TransientPushError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'TransientPushError';
  }
}

export type DrainOutcome = 'IDLE' | 'DRAINED' | 'HELD';

/** One drain: its lease owner, and whether the lease was released already (by the finish). */
interface Drain {
  owner: string;
  released: boolean;
  /** `performance.now()` just before the statement that last set the lease: it runs out no earlier than leaseMs after. */
  leaseSetAt: number;
}

/** A recorded push: the record's new STAT and raw record, what is left to push after it (in seq order)
 *  and whether that was nothing and the drain is finished (IN_SYNC, lease released). */
interface Sent {
  stat: string | null;
  raw: CatpRecord | null;
  remaining: QueuedAction[];
  finished: boolean;
}

/** The claimed request as the drain keeps it (its STAT and raw record follow each push). */
type DrainedRequest = ClaimedRequest['request'];

/** Returned-edit-type of SPC and the record check: detailed, with the history (SENDG). */
const EDIT_TYPE = '2';

/** Drains the push queue of one request (engineering.md "Queues", nacsis-ill.md §3): claims it with
 *  a lease, then pushes its actions in seq order, one CATP call at a time and outside any transaction,
 *  recording each outcome in its own short transaction. */
@Injectable()
export class PushDrainer {
  private readonly logger = new Logger(PushDrainer.name);
  private readonly attempts: Counter<string>;

  constructor(
    private readonly store: PushStore,
    private readonly sessions: CatpSessions,
    private readonly settings: PushSettings,
    metrics: MetricsService,
    private readonly reports: ReportEventsPublisher,
    private readonly connectors: PushConnectors,
  ) {
    this.attempts = metrics.counter('illbridge_push_attempts_total', 'Pushes of outbound actions to NACSIS-ILL, by result', ['result']);
  }

  async drain(requestId: string): Promise<DrainOutcome> {
    const owner = `${this.settings.workerId}#${randomBytes(4).toString('hex')}`.slice(-64);
    const leaseSetAt = performance.now();
    const claimed = await this.store.claim(requestId, this.settings.leaseMs, owner);
    if (!claimed) {
      if (!(await this.store.hasWaiting(requestId))) return 'IDLE';
      throw new LeaseBusyError(requestId);
    }
    const drain: Drain = { owner, released: false, leaseSetAt };
    try {
      return await this.drainClaimed(claimed, drain);
    } finally {
      if (!drain.released) {
        await this.store
          .releaseLease(requestId, owner)
          .catch((error) => this.logger.warn(`Could not release the push lease on ${requestId} (it runs out by itself): ${error.message}`));
      }
    }
  }

  private async drainClaimed({ request, profile, actions }: ClaimedRequest, drain: Drain): Promise<DrainOutcome> {
    const database = nacsisDatabaseOf(request.direction, request.format);
    let queue = actions;
    for (;;) {
      const next = queue.shift();
      if (!next) {
        if (await this.finish(request.id, drain)) return 'DRAINED';
        queue = await this.store.unpushed(this.store.dataSource, request.id, 0);
        continue;
      }
      if (next.state === 'FAILED') return 'HELD';
      // SENDING (with the lease renewed when due): from here its outcome is unknown until recorded.
      if (!(await this.markSending(request.id, drain, next))) {
        queue = await this.store.unpushed(this.store.dataSource, request.id, 0);
        continue;
      }
      if (!profile) {
        await this.refused(request, next, 'The request has no NACSIS integration profile to push with');
        return 'HELD';
      }
      // The connector of the request's system (ISO 18626 for Netpunkt and ISO18626 requests); NACSIS is pushed here.
      const connector = this.connectors.for(request.system);
      const sent = connector ? await this.pushThrough(connector, request, next, drain) : await this.push(request, profile, database, next, drain);
      if (!sent) return 'HELD';
      if (sent.finished) return 'DRAINED';
      request.raw = sent.raw ?? request.raw;
      request.external_system_status = sent.stat;
      queue = sent.remaining;
    }
  }

  /** Whether the lease needs no renewal before the next command (see `markSending`). */
  private leaseFresh(drain: Drain): boolean {
    return performance.now() - drain.leaseSetAt < this.settings.leaseMs / 10;
  }

  /** Mark the action SENDING if it is still in the state it was read in (false: it changed meanwhile,
   *  read the list again). The lease is renewed in the same statement once a tenth of it has gone
   *  (LeaseLostError if the renewal finds it is not ours); before that it cannot have run out, is still
   *  ours, and nine tenths of it are left for the CATP calls, as good as a renewal. A drain of a few
   *  actions takes milliseconds, and every update of the request row costs Postgres an entry in each
   *  of its twelve indexes. */
  private async markSending(requestId: string, drain: Drain, action: QueuedAction): Promise<boolean> {
    if (this.leaseFresh(drain)) return (await this.store.markSending(requestId, action)).marked;
    const renewing = performance.now();
    const { held, marked } = await this.store.markSending(requestId, action, { leaseMs: this.settings.leaseMs, owner: drain.owner });
    if (!held) throw new LeaseLostError(requestId);
    drain.leaseSetAt = renewing;
    return marked;
  }

  /** One action: check whether an earlier attempt got through, else send it. Returns the new state of
   *  the record, or null when NACSIS refused (the action is FAILED). Throws TransientPushError. */
  private async push(request: DrainedRequest, profile: ProfileRow, database: NacsisDatabase, action: QueuedAction, drain: Drain): Promise<Sent | null> {
    const ourId = ourParticipantIdOf(request, profile.library_code);
    let session: CatpSession | undefined;
    try {
      session = await this.sessions.get(profile);
      // SENDING (a worker died during the call) or an earlier attempt that failed without an answer
      // (a timeout, a 5xx from a proxy): NACSIS may have carried the command out. Look before sending again.
      if (action.state === 'SENDING' || action.attempts > 0) {
        const current = await session.exclusive(() => session!.client.retrieve(session!.handle, database, [request.external_id], 1, 1));
        const record = current.records[0];
        if (record && this.alreadyApplied(record, database, action, ourId, rawRecordOf(request))) {
          this.logger.log(`${action.action} #${action.seq} of request ${request.id} had reached NACSIS already: marked SENT without sending again`);
          return await this.sent(request, action, record, database, ourId, true, drain);
        }
      }
      const record = await session.client.procedureCall(session.handle, database, action.nacsis_command, request.external_id, catpElements(action.fields), { returnedEditType: EDIT_TYPE });
      return await this.sent(request, action, record, database, ourId, false, drain);
    } catch (error) {
      if (!(error instanceof ExternalSystemError)) throw error;
      if (error.kind === 'PERMANENT') {
        await this.refused(request, action, error.message);
        return null;
      }
      if (error.kind === 'AUTHENTICATION') this.sessions.forget(profile.id);
      await this.transient(request, action, error.message);
      throw new TransientPushError(`${action.action} #${action.seq} of request ${request.id}: ${error.message}`, error.retryAfterMs);
    }
  }

  /** One action through a connector: SENT with its event, or FAILED (a PERMANENT error); other errors are retried. */
  private async pushThrough(connector: PushConnector, request: DrainedRequest, action: QueuedAction, drain: Drain): Promise<Sent | null> {
    let outcome;
    try {
      outcome = await connector.push(request, action);
    } catch (error) {
      if (!(error instanceof ExternalSystemError)) throw error;
      if (error.kind === 'PERMANENT') {
        this.attempts.inc({ result: 'refused' });
        const syncError = `${action.action} (#${action.seq}, ${connector.name}) refused: ${error.message}`;
        await this.store.markRefused(request.id, action, error.message, syncError, { outboundActionId: action.id, seq: action.seq, connector: connector.name });
        this.logger.warn(`Request ${request.id}: ${syncError}`);
        return null;
      }
      await this.transient(request, action, error.message);
      throw new TransientPushError(`${action.action} #${action.seq} of request ${request.id}: ${error.message}`, error.retryAfterMs);
    }
    const stat = outcome.externalStatus === undefined ? (request.external_system_status ?? null) : outcome.externalStatus;
    this.attempts.inc({ result: 'sent' });
    void this.reports.publish({ type: 'push', id: `push:${action.id}:sent`, requestId: request.id, actionId: action.id, result: 'sent' });
    const { remaining, finished } = await this.store.markSent({
      requestId: request.id,
      action,
      recovered: false,
      stat,
      raw: null,
      following: null,
      leaseOwner: drain.owner,
      message: outcome.message,
      data: outcome.data,
    });
    if (finished) drain.released = true;
    return { stat, raw: null, remaining, finished };
  }

  /** Our command is on the record already: the last history entry of ours is this command, and we have
   *  more entries than the record had when we last saw it (the raw record, updated after every push). */
  private alreadyApplied(record: CatpRecord, database: NacsisDatabase, action: QueuedAction, ourId: string | null, before: CatpRecord | null): boolean {
    if (!ourId) return false;
    const now = nacsisRecordState(record, database);
    if (!now) return false;
    const ours = now.history.filter((entry) => entry.participantId === ourId);
    if (ours.at(-1)?.command !== action.nacsis_command) return false;
    const previous = before ? nacsisRecordState(before, database) : null;
    if (previous) return ours.length > previous.history.filter((entry) => entry.participantId === ourId).length;
    return now.stat === action.to_external_status;
  }

  /** SENT, the request's new state and its event (`PushStore.markSent`: one statement in the common case). */
  private async sent(request: DrainedRequest, action: QueuedAction, record: CatpRecord | null, database: NacsisDatabase, ourId: string | null, recovered: boolean, drain: Drain): Promise<Sent> {
    const stat = (record && fieldValue(record, 'STAT')) || action.to_external_status;
    this.attempts.inc({ result: 'sent' });
    void this.reports.publish({ type: 'push', id: `push:${action.id}:sent`, requestId: request.id, actionId: action.id, result: 'sent' });
    const { remaining, finished } = await this.store.markSent({
      requestId: request.id,
      action,
      recovered,
      stat,
      raw: record,
      // With nothing else waiting, the local status follows what NACSIS says now.
      following: localStatusFor(request.direction, stat ?? '', record ? passedOnFrom(record, database, ourId) : false),
      leaseOwner: drain.owner,
      message: `${action.action} (#${action.seq}) pushed: NACSIS ${action.nacsis_command} → ${stat}${recovered ? ' (found on the record after an interrupted attempt)' : ''}`,
      data: { outboundActionId: action.id, seq: action.seq, command: action.nacsis_command, recovered },
    });
    if (finished) drain.released = true;
    return { stat, raw: record, remaining, finished };
  }

  private async transient(request: DrainedRequest, action: QueuedAction, message: string): Promise<void> {
    this.attempts.inc({ result: 'transient' });
    void this.reports.publish({ type: 'push', id: `push:${action.id}:transient:${action.attempts + 1}`, requestId: request.id, actionId: action.id, result: 'transient' });
    await this.store.markTransient(request.id, action, message, `Retrying ${action.action} (#${action.seq}): ${message}`);
  }

  /** NACSIS refused for good: the action is FAILED and holds the request's queue. */
  private async refused(request: DrainedRequest, action: QueuedAction, message: string): Promise<void> {
    this.attempts.inc({ result: 'refused' });
    void this.reports.publish({ type: 'push', id: `push:${action.id}:refused:${action.attempts + 1}`, requestId: request.id, actionId: action.id, result: 'refused' });
    const syncError = `${action.action} (#${action.seq}, NACSIS ${action.nacsis_command}) refused: ${message}`;
    await this.store.markRefused(request.id, action, message, syncError, { outboundActionId: action.id, seq: action.seq, command: action.nacsis_command });
    this.logger.warn(`Request ${request.id}: ${syncError}`);
  }

  /** Nothing left to push: IN_SYNC and the lease released (`PushStore.finish`); false: go on draining. */
  private async finish(requestId: string, drain: Drain): Promise<boolean> {
    const { over, released } = await this.store.finish(requestId, drain.owner);
    if (released) drain.released = true;
    return over;
  }
}
