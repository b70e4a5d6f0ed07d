import { Injectable, Logger } from '@nestjs/common';
import { randomBytes } from 'crypto';
import { ReportEventsPublisher } from '@illbridge/queues/report-events';
import { MetricsService } from '@illbridge/common';
import { Notifier, pushFailedEvent } from '@illbridge/notifications';
import { fieldValue, nacsisDatabaseOf, recordShowsCommand } from '@illbridge/connectors/nacsis';
import type { CatpRecord, NacsisDatabase } from '@illbridge/connectors/nacsis';
import { ExternalSystemError } from '@illbridge/connectors/types';
import type { Counter } from 'prom-client';
import { CatpSessions, ProfileRow } from './catp-sessions';
import { catpElements, localStatusFor, ourParticipantIdOf, passedOnFrom, rawRecordOf } from './nacsis-context';
import { PushConnector, PushConnectors } from './push-connector';
import { PushSettings } from './push-settings';
import { ClaimedRequest, PushStore, QueuedAction, SentInput } from './push-store';
import { BorrowingStore } from './borrowing/borrowing-store';
import { isOrderOfOurs, pushOrder } from './borrowing/order-push';

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

/** NACSIS (CATP 401), or a server in front of it (HTTP 401/403), refused our credentials. A CATP 403 is a refusal
 *  of the command (PERMANENT), not of the login. */
const isCredentialRefusal = (error: ExternalSystemError) => error.kind === 'AUTHENTICATION' || (error.kind === 'TRANSIENT' && (error.status === 401 || error.status === 403));

/** `90 ms`, `2.5 s`, `40 s`, `3 min`, `24 h` */
function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 10_000) return `${Number((ms / 1000).toFixed(1))} s`;
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} min`;
  return `${Number((ms / 3_600_000).toFixed(1))} h`;
}

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
  /** The next action, marked SENDING with the SENT (see `PushStore.markSent`). */
  markedNext: string | null;
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
    private readonly borrowing: BorrowingStore,
    private readonly notifier: Notifier,
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

  private async drainClaimed({ request, profile, actions, markedSending }: ClaimedRequest, drain: Drain): Promise<DrainOutcome> {
    const database = nacsisDatabaseOf(request.direction, request.format);
    let queue = actions;
    // The claim marked the first action SENDING already (with a fresh lease), and each SENT marks the next one (renewing
    // the lease): such an action is pushed without marking it again.
    let marked = markedSending;
    for (;;) {
      const next = queue.shift();
      if (!next) {
        if (await this.finish(request.id, drain)) return 'DRAINED';
        queue = await this.store.unpushed(this.store.dataSource, request.id, 0);
        continue;
      }
      if (next.state === 'FAILED') return 'HELD';
      // SENDING (with the lease renewed when due): from here its outcome is unknown until recorded.
      const markedByClaim = next.id === marked;
      marked = null;
      if (!markedByClaim && !(await this.markSending(request.id, drain, next))) {
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
      marked = sent.markedNext;
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
   *  the record, or null when NACSIS refused or the push was given up (the action is FAILED). Throws
   *  TransientPushError. */
  private async push(request: DrainedRequest, profile: ProfileRow, database: NacsisDatabase, action: QueuedAction, drain: Drain): Promise<Sent | null> {
    const ourId = ourParticipantIdOf(request, profile.library_code);
    // A refused login (401, or an HTTP 401/403 in front of NACSIS) is tried once more with a new login; refused
    // again, the password is wrong (changed at NACSIS): the push stops instead of knocking on with it for a day.
    for (let login = 1; ; login++) {
      try {
        return await this.attempt(request, profile, database, action, drain, ourId);
      } catch (error) {
        if (!(error instanceof ExternalSystemError)) throw error;
        if (error.kind === 'PERMANENT') {
          await this.refused(request, action, error.message);
          return null;
        }
        const credentials = isCredentialRefusal(error);
        if (credentials) this.sessions.forget(profile.id);
        if (credentials && login < 2) continue;
        if (credentials) {
          await this.gaveUp(request, action, error.message, "NACSIS refused the profile's user id or password again after a new login; correct the profile's authentication, then retry");
          return null;
        }
        if (await this.transient(request, action, error.message)) return null;
        throw new TransientPushError(`${action.action} #${action.seq} of request ${request.id}: ${error.message}`, error.retryAfterMs);
      }
    }
  }

  /** One attempt at pushing `action` (see `push`); throws ExternalSystemError. */
  private async attempt(request: DrainedRequest, profile: ProfileRow, database: NacsisDatabase, action: QueuedAction, drain: Drain, ourId: string | null): Promise<Sent> {
    const session = await this.sessions.get(profile);
    // A request created here: ORDER without ID, its NACSIS ID taken from the answer (or found by our order number).
    if (isOrderOfOurs(action)) {
      const { record, recovered } = await pushOrder(session, database, action, EDIT_TYPE);
      if (record) {
        await this.borrowing.adoptOrdered(request.id, record);
        request.external_id = fieldValue(record, 'ID') || request.external_id;
      }
      if (recovered) this.logger.log(`ORDER #${action.seq} of request ${request.id} had reached NACSIS already: its record was adopted by the order number`);
      return await this.sent(request, action, record, database, ourId, recovered, drain);
    }
    // SENDING (a worker died during the call) or an earlier attempt that failed without an answer
    // (a timeout, a 5xx from a proxy): NACSIS may have carried the command out. Look before sending again.
    if (action.state === 'SENDING' || action.attempts > 0) {
      const current = await session.exclusive(() => session.client.retrieve(session.handle, database, [request.external_id], 1, 1));
      const record = current.records[0];
      // Our command is on the record already: our last history entry is this command, and we have more entries than
      // the record had when we last saw it (the raw record, updated after every push).
      if (record && recordShowsCommand(record, rawRecordOf(request), database, ourId, action.nacsis_command, action.to_external_status)) {
        this.logger.log(`${action.action} #${action.seq} of request ${request.id} had reached NACSIS already: marked SENT without sending again`);
        return await this.sent(request, action, record, database, ourId, true, drain);
      }
    }
    const record = await session.client.procedureCall(session.handle, database, action.nacsis_command, request.external_id, catpElements(action.fields), { returnedEditType: EDIT_TYPE });
    return await this.sent(request, action, record, database, ourId, false, drain);
  }

  /** One action through a connector: SENT with its event, or FAILED (a PERMANENT error); other errors are retried. */
  private async pushThrough(connector: PushConnector, request: DrainedRequest, action: QueuedAction, drain: Drain): Promise<Sent | null> {
    let outcome;
    try {
      outcome = await connector.push(request, action);
    } catch (error) {
      if (!(error instanceof ExternalSystemError)) throw error;
      if (error.kind === 'PERMANENT') {
        await this.refused(request, action, error.message, connector.name);
        return null;
      }
      if (await this.transient(request, action, error.message, connector.name)) return null;
      throw new TransientPushError(`${action.action} #${action.seq} of request ${request.id}: ${error.message}`, error.retryAfterMs);
    }
    const stat = outcome.externalStatus === undefined ? (request.external_system_status ?? null) : outcome.externalStatus;
    return this.recordSent(request, action, drain, { recovered: false, stat, raw: null, following: null, message: outcome.message, data: outcome.data });
  }

  /** SENT, the request's new state and its event (`PushStore.markSent`: one statement in the common case). */
  private async sent(request: DrainedRequest, action: QueuedAction, record: CatpRecord | null, database: NacsisDatabase, ourId: string | null, recovered: boolean, drain: Drain): Promise<Sent> {
    const stat = (record && fieldValue(record, 'STAT')) || action.to_external_status;
    return this.recordSent(request, action, drain, {
      recovered,
      stat,
      raw: record,
      // With nothing else waiting, the local status follows what NACSIS says now.
      following: localStatusFor(request.direction, stat ?? '', record ? passedOnFrom(record, database, ourId) : false),
      message: `${action.action} (#${action.seq}) pushed: NACSIS ${action.nacsis_command} → ${stat}${recovered ? ' (found on the record after an interrupted attempt)' : ''}`,
      data: { outboundActionId: action.id, seq: action.seq, command: action.nacsis_command, recovered },
    });
  }

  /** An action SENT, whichever connector carried it: counted, reported, and written with the request's new state and
   *  its event (`PushStore.markSent`: one statement in the common case); the drain's lease is released with the last. */
  private async recordSent(request: DrainedRequest, action: QueuedAction, drain: Drain, sent: Omit<SentInput, 'requestId' | 'action' | 'leaseOwner' | 'leaseMs'>): Promise<Sent> {
    this.attempts.inc({ result: 'sent' });
    await this.reports.publishBeforeCommit({ type: 'push', id: `push:${action.id}:sent`, requestId: request.id, actionId: action.id, result: 'sent' });
    const renewing = performance.now();
    const { remaining, finished, leaseRenewed, markedNext } = await this.store.markSent({ requestId: request.id, action, leaseOwner: drain.owner, leaseMs: this.settings.leaseMs, ...sent });
    if (finished) drain.released = true;
    if (leaseRenewed) drain.leaseSetAt = renewing;
    return { stat: sent.stat, raw: sent.raw, remaining, finished, markedNext };
  }

  /** A transient failure: the action waits for its next attempt (false), or, past PUSH_MAX_ATTEMPTS attempts or
   *  PUSH_GIVE_UP_AFTER_MS since its first attempt, it is given up (true). */
  private async transient(request: DrainedRequest, action: QueuedAction, message: string, via = nacsisVia(action)): Promise<boolean> {
    const attempts = action.attempts + 1 - (action.attempts_at_retry ?? 0);
    const elapsedMs = action.first_attempt_at ? Date.now() - Date.parse(action.first_attempt_at) : 0;
    if (attempts >= this.settings.maxAttempts) {
      await this.gaveUp(request, action, message, `given up after ${attempts} attempt${attempts === 1 ? '' : 's'} (PUSH_MAX_ATTEMPTS ${this.settings.maxAttempts})`, via);
      return true;
    }
    if (elapsedMs >= this.settings.giveUpAfterMs) {
      await this.gaveUp(request, action, message, `given up after ${attempts} attempts over ${duration(elapsedMs)} since the first (PUSH_GIVE_UP_AFTER_MS ${duration(this.settings.giveUpAfterMs)})`, via);
      return true;
    }
    this.attempts.inc({ result: 'transient' });
    await this.reports.publishBeforeCommit({ type: 'push', id: `push:${action.id}:transient:${action.attempts + 1}`, requestId: request.id, actionId: action.id, result: 'transient' });
    await this.store.markTransient(request.id, action, message, `Retrying ${action.action} (#${action.seq}): ${message}`);
    return false;
  }

  /** Failing for too long, or with credentials NACSIS refuses: the action is FAILED with the last reason and holds the
   *  request's queue (PUSH_FAILED), as after a refusal, until an operator retries or discards it. */
  private async gaveUp(request: DrainedRequest, action: QueuedAction, message: string, why: string, via = nacsisVia(action)): Promise<void> {
    await this.failed(request, action, 'gave_up', message, `${why}: ${message}`, `${action.action} (#${action.seq}, ${via}) ${why}: ${message}`);
  }

  /** NACSIS refused for good: the action is FAILED and holds the request's queue. */
  private async refused(request: DrainedRequest, action: QueuedAction, message: string, via = nacsisVia(action)): Promise<void> {
    await this.failed(request, action, 'refused', message, message, `${action.action} (#${action.seq}, ${via}) refused: ${message}`);
  }

  /** An action FAILED (refused, or given up): counted, reported and told (PUSH_FAILED, once per failed attempt: a
   *  retried action that fails again is told again) before the failure is committed, then written. */
  private async failed(request: DrainedRequest, action: QueuedAction, result: 'refused' | 'gave_up', message: string, told: string, syncError: string): Promise<void> {
    this.attempts.inc({ result });
    const attempt = action.attempts + 1;
    await Promise.all([
      this.reports.publishBeforeCommit({ type: 'push', id: `push:${action.id}:${result}:${attempt}`, requestId: request.id, actionId: action.id, result }),
      this.notifier.notifyBeforeCommit(pushFailedEvent({ requestId: request.id, profileId: request.profile_id, actionId: action.id, attempt, action: action.action, seq: action.seq, message: told })),
    ]);
    await this.store.markRefused(request.id, action, message, syncError, { outboundActionId: action.id, seq: action.seq, command: action.nacsis_command, ...(result === 'gave_up' ? { gaveUp: true } : {}) });
    this.logger.warn(`Request ${request.id}: ${syncError}`);
  }

  /** Nothing left to push: IN_SYNC and the lease released (`PushStore.finish`); false: go on draining. */
  private async finish(requestId: string, drain: Drain): Promise<boolean> {
    const { over, released } = await this.store.finish(requestId, drain.owner);
    if (released) drain.released = true;
    return over;
  }
}

/** How an action travels, as its messages name it: the NACSIS command (an ISO 18626 action names its connector). */
function nacsisVia(action: QueuedAction): string {
  return `NACSIS ${action.nacsis_command}`;
}
