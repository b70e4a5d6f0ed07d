import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomBytes } from 'crypto';
import { DataSource } from 'typeorm';
import { ReportEventsPublisher } from '@illbridge/queues/report-events';
import { MetricsService } from '@illbridge/common';
import { fieldValue, nacsisRecordState } from '@illbridge/connectors/nacsis';
import type { CatpRecord, NacsisDatabase } from '@illbridge/connectors/nacsis';
import { ExternalSystemError } from '@illbridge/connectors/types';
import type { Counter } from 'prom-client';
import { CatpSession, CatpSessions, ProfileRow } from './catp-sessions';
import { catpElements, databaseOf, localStatusFor, ourParticipantIdOf, passedOnFrom, rawRecordOf } from './nacsis-context';
import { PushSettings } from './push-settings';
import { returning } from './views';

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
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly sessions: CatpSessions,
    private readonly settings: PushSettings,
    metrics: MetricsService,
    private readonly reports: ReportEventsPublisher,
  ) {
    this.attempts = metrics.counter('illbridge_push_attempts_total', 'Pushes of outbound actions to NACSIS-ILL, by result', ['result']);
  }

  async drain(requestId: string): Promise<DrainOutcome> {
    const owner = `${this.settings.workerId}#${randomBytes(4).toString('hex')}`.slice(-64);
    const [claimed] = await returning(
      this.dataSource,
      `UPDATE rs_request SET push_lease_until = now() + make_interval(secs => $2::double precision / 1000), push_lease_owner = $3
        WHERE id = $1 AND (push_lease_until IS NULL OR push_lease_until < now())
        RETURNING id, system, direction, format, status, external_id, external_system_status, raw, profile_id`,
      [requestId, this.settings.leaseMs, owner],
    );
    if (!claimed) {
      const [exists] = await this.dataSource.query(`SELECT 1 FROM outbound_action WHERE request_id = $1 AND state IN ('PENDING', 'SENDING') LIMIT 1`, [requestId]);
      if (!exists) return 'IDLE';
      throw new LeaseBusyError(requestId);
    }
    try {
      return await this.drainClaimed(claimed, owner);
    } finally {
      await this.dataSource
        .query('UPDATE rs_request SET push_lease_until = NULL, push_lease_owner = NULL WHERE id = $1 AND push_lease_owner = $2', [requestId, owner])
        .catch((error) => this.logger.warn(`Could not release the push lease on ${requestId} (it runs out by itself): ${error.message}`));
    }
  }

  private async drainClaimed(request: any, owner: string): Promise<DrainOutcome> {
    let profile: ProfileRow | null = null;
    if (request.profile_id) {
      [profile] = await this.dataSource.query('SELECT id, base_url, auth_user_id, secret_enc, library_code FROM integration_profile WHERE id = $1', [request.profile_id]);
    }
    const database = databaseOf(request.direction, request.format);
    for (;;) {
      const [next] = await this.dataSource.query(
        `SELECT * FROM outbound_action WHERE request_id = $1 AND state NOT IN ('SENT', 'DISCARDED') ORDER BY seq LIMIT 1`,
        [request.id],
      );
      if (!next) {
        if (await this.finish(request.id, owner)) return 'DRAINED';
        continue;
      }
      if (next.state === 'FAILED') return 'HELD';
      // Renew the lease and mark the action SENDING together: from here its outcome is unknown until recorded.
      await this.dataSource.transaction(async (em) => {
        const [held] = await returning(
          em,
          `UPDATE rs_request SET push_lease_until = now() + make_interval(secs => $2::double precision / 1000) WHERE id = $1 AND push_lease_owner = $3 RETURNING id`,
          [request.id, this.settings.leaseMs, owner],
        );
        if (!held) throw new LeaseLostError(request.id);
        await em.query(`UPDATE outbound_action SET state = 'SENDING', updated_at = now() WHERE id = $1`, [next.id]);
      });
      if (!profile) {
        await this.refused(request, next, 'The request has no NACSIS integration profile to push with');
        return 'HELD';
      }
      const sent = await this.push(request, profile, database, next);
      if (!sent) return 'HELD';
      request.raw = sent.raw ?? request.raw;
      request.external_system_status = sent.stat;
    }
  }

  /** One action: check whether an earlier attempt got through, else send it. Returns the new state of
   *  the record, or null when NACSIS refused (the action is FAILED). Throws TransientPushError. */
  private async push(request: any, profile: ProfileRow, database: NacsisDatabase, action: any): Promise<{ stat: string; raw: CatpRecord | null } | null> {
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
          return await this.sent(request, action, record, database, ourId, true);
        }
      }
      const record = await session.client.procedureCall(session.handle, database, action.nacsis_command, request.external_id, catpElements(action.fields), { returnedEditType: EDIT_TYPE });
      return await this.sent(request, action, record, database, ourId, false);
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

  /** Our command is on the record already: the last history entry of ours is this command, and we have
   *  more entries than the record had when we last saw it (the raw record, updated after every push). */
  private alreadyApplied(record: CatpRecord, database: NacsisDatabase, action: any, ourId: string | null, before: CatpRecord | null): boolean {
    if (!ourId) return false;
    const now = nacsisRecordState(record, database);
    if (!now) return false;
    const ours = now.history.filter((entry) => entry.participantId === ourId);
    if (ours.at(-1)?.command !== action.nacsis_command) return false;
    const previous = before ? nacsisRecordState(before, database) : null;
    if (previous) return ours.length > previous.history.filter((entry) => entry.participantId === ourId).length;
    return now.stat === action.to_external_status;
  }

  private async sent(request: any, action: any, record: CatpRecord | null, database: NacsisDatabase, ourId: string | null, recovered: boolean) {
    const stat = (record && fieldValue(record, 'STAT')) || action.to_external_status;
    this.attempts.inc({ result: 'sent' });
    void this.reports.publish({ type: 'push', id: `push:${action.id}:sent`, requestId: request.id, actionId: action.id, result: 'sent' });
    await this.dataSource.transaction(async (em) => {
      await em.query(`UPDATE outbound_action SET state = 'SENT', sent_at = now(), attempts = attempts + $2, updated_at = now() WHERE id = $1`, [action.id, recovered ? 0 : 1]);
      const [current] = await em.query('SELECT status FROM rs_request WHERE id = $1 FOR UPDATE', [request.id]);
      // With nothing else waiting, the local status follows what NACSIS says now.
      const [later] = await em.query(`SELECT 1 FROM outbound_action WHERE request_id = $1 AND seq > $2 AND state IN ('PENDING', 'SENDING', 'FAILED') LIMIT 1`, [request.id, action.seq]);
      const status = later ? current.status : (localStatusFor(request.direction, stat, record ? passedOnFrom(record, database, ourId) : false) ?? current.status);
      await em.query(
        `UPDATE rs_request SET external_system_status = $2, raw = COALESCE($3::jsonb, raw), status = $4, sync_error = NULL, updated_at = now() WHERE id = $1`,
        [request.id, stat, record ? JSON.stringify(record) : null, status],
      );
      await em.query(
        `INSERT INTO request_event (request_id, type, from_status, to_status, external_system_status, message, data) VALUES ($1, 'ACTION_PUSHED', $2, $3, $4, $5, $6)`,
        [
          request.id,
          current.status,
          status,
          stat,
          `${action.action} (#${action.seq}) pushed: NACSIS ${action.nacsis_command} → ${stat}${recovered ? ' (found on the record after an interrupted attempt)' : ''}`,
          JSON.stringify({ outboundActionId: action.id, seq: action.seq, command: action.nacsis_command, recovered }),
        ],
      );
    });
    return { stat, raw: record };
  }

  private async transient(request: any, action: any, message: string): Promise<void> {
    this.attempts.inc({ result: 'transient' });
    void this.reports.publish({ type: 'push', id: `push:${action.id}:transient:${action.attempts + 1}`, requestId: request.id, actionId: action.id, result: 'transient' });
    await this.dataSource.query(`UPDATE outbound_action SET state = 'PENDING', attempts = attempts + 1, last_error = $2, updated_at = now() WHERE id = $1`, [action.id, message]);
    await this.dataSource.query(`UPDATE rs_request SET sync_error = $2 WHERE id = $1`, [request.id, `Retrying ${action.action} (#${action.seq}): ${message}`]);
  }

  /** NACSIS refused for good: the action is FAILED and holds the request's queue. */
  private async refused(request: any, action: any, message: string): Promise<void> {
    this.attempts.inc({ result: 'refused' });
    void this.reports.publish({ type: 'push', id: `push:${action.id}:refused:${action.attempts + 1}`, requestId: request.id, actionId: action.id, result: 'refused' });
    const syncError = `${action.action} (#${action.seq}, NACSIS ${action.nacsis_command}) refused: ${message}`;
    await this.dataSource.transaction(async (em) => {
      await em.query(`UPDATE outbound_action SET state = 'FAILED', attempts = attempts + 1, last_error = $2, updated_at = now() WHERE id = $1`, [action.id, message]);
      const [current] = await returning(em, `UPDATE rs_request SET sync_state = 'PUSH_FAILED', sync_error = $2, updated_at = now() WHERE id = $1 RETURNING status, external_system_status`, [request.id, syncError]);
      await em.query(
        `INSERT INTO request_event (request_id, type, from_status, to_status, external_system_status, message, data) VALUES ($1, 'ACTION_FAILED', $2, $2, $3, $4, $5)`,
        [request.id, current.status, current.external_system_status, syncError, JSON.stringify({ outboundActionId: action.id, seq: action.seq, command: action.nacsis_command })],
      );
    });
    this.logger.warn(`Request ${request.id}: ${syncError}`);
  }

  /** Nothing left to push: IN_SYNC and the lease released, together and under the row lock that the
   *  API takes to add an action, so that an action added meanwhile is seen (false: go on draining). */
  private async finish(requestId: string, owner: string): Promise<boolean> {
    return this.dataSource.transaction(async (em) => {
      await em.query('SELECT id FROM rs_request WHERE id = $1 FOR UPDATE', [requestId]);
      const [left] = await em.query(`SELECT 1 FROM outbound_action WHERE request_id = $1 AND state NOT IN ('SENT', 'DISCARDED') LIMIT 1`, [requestId]);
      if (left) return false;
      await em.query(
        `UPDATE rs_request SET sync_state = 'IN_SYNC', sync_error = NULL, push_lease_until = NULL, push_lease_owner = NULL WHERE id = $1 AND push_lease_owner = $2`,
        [requestId, owner],
      );
      return true;
    });
  }
}
