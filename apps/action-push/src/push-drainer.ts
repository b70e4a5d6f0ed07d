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
  stat: string;
  raw: CatpRecord | null;
  remaining: any[];
  finished: boolean;
}

const UNPUSHED = `('PENDING', 'SENDING', 'FAILED')`;
/** A request's actions not yet SENT or DISCARDED after seq `afterSeq`, in seq order, as a JSON array of the
 *  columns the drain uses (request id: $1). */
const unpushedList = (afterSeq: string) => `SELECT COALESCE(json_agg(json_build_object('id', id, 'seq', seq, 'action', action, 'nacsis_command', nacsis_command,
    'state', state, 'attempts', attempts, 'fields', fields, 'to_external_status', to_external_status) ORDER BY seq), '[]')
  FROM outbound_action WHERE request_id = $1 AND seq > ${afterSeq} AND state IN ${UNPUSHED}`;

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
    const leaseSetAt = performance.now();
    // The claim, the profile and the actions to push, in one statement. The actions are read with the
    // statement's snapshot, which may be older than the row the claim waited for: an action added
    // meanwhile is missing from the end of the list (each SENT and the finish look again, under the
    // row lock or checked against it), and an action whose state changed meanwhile is caught by
    // `markSending`, which only marks it if its state and attempts are still those read here.
    const [claimed] = await this.dataSource.query(
      `WITH claimed AS (
         UPDATE rs_request SET push_lease_until = now() + make_interval(secs => $2::double precision / 1000), push_lease_owner = $3
          WHERE id = $1 AND (push_lease_until IS NULL OR push_lease_until < now())
          RETURNING id, system, direction, format, status, external_id, external_system_status, raw, profile_id
       )
       SELECT c.*, p.id AS p_id, p.base_url AS p_base_url, p.auth_user_id AS p_auth_user_id, p.secret_enc AS p_secret_enc, p.library_code AS p_library_code,
              (${unpushedList('0')}) AS actions
         FROM claimed c LEFT JOIN integration_profile p ON p.id = c.profile_id`,
      [requestId, this.settings.leaseMs, owner],
    );
    if (!claimed) {
      const [exists] = await this.dataSource.query(`SELECT 1 FROM outbound_action WHERE request_id = $1 AND state IN ('PENDING', 'SENDING') LIMIT 1`, [requestId]);
      if (!exists) return 'IDLE';
      throw new LeaseBusyError(requestId);
    }
    const drain: Drain = { owner, released: false, leaseSetAt };
    try {
      return await this.drainClaimed(claimed, drain);
    } finally {
      if (!drain.released) {
        await this.dataSource
          .query('UPDATE rs_request SET push_lease_until = NULL, push_lease_owner = NULL WHERE id = $1 AND push_lease_owner = $2', [requestId, owner])
          .catch((error) => this.logger.warn(`Could not release the push lease on ${requestId} (it runs out by itself): ${error.message}`));
      }
    }
  }

  private async drainClaimed(claimed: any, drain: Drain): Promise<DrainOutcome> {
    const { p_id, p_base_url, p_auth_user_id, p_secret_enc, p_library_code, actions, ...request } = claimed;
    const profile: ProfileRow | null = p_id ? { id: p_id, base_url: p_base_url, auth_user_id: p_auth_user_id, secret_enc: p_secret_enc, library_code: p_library_code } : null;
    const database = databaseOf(request.direction, request.format);
    let queue: any[] = actions;
    for (;;) {
      const next = queue.shift();
      if (!next) {
        if (await this.finish(request.id, drain)) return 'DRAINED';
        queue = await this.unpushed(request.id, 0);
        continue;
      }
      if (next.state === 'FAILED') return 'HELD';
      // SENDING (with the lease renewed when due): from here its outcome is unknown until recorded.
      if (!(await this.markSending(request.id, drain, next))) {
        queue = await this.unpushed(request.id, 0);
        continue;
      }
      if (!profile) {
        await this.refused(request, next, 'The request has no NACSIS integration profile to push with');
        return 'HELD';
      }
      const sent = await this.push(request, profile, database, next, drain);
      if (!sent) return 'HELD';
      if (sent.finished) return 'DRAINED';
      request.raw = sent.raw ?? request.raw;
      request.external_system_status = sent.stat;
      queue = sent.remaining;
    }
  }

  /** The request's actions not yet SENT or DISCARDED after `afterSeq`, in seq order. */
  private async unpushed(requestId: string, afterSeq: number): Promise<any[]> {
    const [row] = await this.dataSource.query(`SELECT (${unpushedList('$2')}) AS actions`, [requestId, afterSeq]);
    return row.actions;
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
  private async markSending(requestId: string, drain: Drain, action: any): Promise<boolean> {
    if (this.leaseFresh(drain)) {
      const marked = await returning(
        this.dataSource,
        `UPDATE outbound_action SET state = 'SENDING', updated_at = now() WHERE id = $1 AND state = $2 AND attempts = $3 RETURNING id`,
        [action.id, action.state, action.attempts],
      );
      return marked.length > 0;
    }
    const renewing = performance.now();
    const [row] = await this.dataSource.query(
      `WITH lease AS (
         UPDATE rs_request SET push_lease_until = now() + make_interval(secs => $2::double precision / 1000) WHERE id = $1 AND push_lease_owner = $3 RETURNING id
       ), marked AS (
         UPDATE outbound_action SET state = 'SENDING', updated_at = now()
          WHERE id = $4 AND state = $5 AND attempts = $6 AND EXISTS (SELECT 1 FROM lease) RETURNING id
       )
       SELECT EXISTS (SELECT 1 FROM lease) AS held, EXISTS (SELECT 1 FROM marked) AS marked`,
      [requestId, this.settings.leaseMs, drain.owner, action.id, action.state, action.attempts],
    );
    if (!row.held) throw new LeaseLostError(requestId);
    drain.leaseSetAt = renewing;
    return row.marked;
  }

  /** One action: check whether an earlier attempt got through, else send it. Returns the new state of
   *  the record, or null when NACSIS refused (the action is FAILED). Throws TransientPushError. */
  private async push(request: any, profile: ProfileRow, database: NacsisDatabase, action: any, drain: Drain): Promise<Sent | null> {
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

  /** SENT, the request's new state and its event. The common case is one statement: it checks that the
   *  request row is still the version its snapshot saw (no action added, retried or discarded since),
   *  so that "is anything waiting after this one" is answered right without locking first; it also
   *  returns what is left to push, and when nothing is, finishes the drain: IN_SYNC and
   *  the lease released. If the row changed, the same is done in a transaction under the row lock. */
  private async sent(request: any, action: any, record: CatpRecord | null, database: NacsisDatabase, ourId: string | null, recovered: boolean, drain: Drain): Promise<Sent> {
    const stat = (record && fieldValue(record, 'STAT')) || action.to_external_status;
    this.attempts.inc({ result: 'sent' });
    void this.reports.publish({ type: 'push', id: `push:${action.id}:sent`, requestId: request.id, actionId: action.id, result: 'sent' });
    // With nothing else waiting, the local status follows what NACSIS says now.
    const following = localStatusFor(request.direction, stat, record ? passedOnFrom(record, database, ourId) : false);
    const raw = record ? JSON.stringify(record) : null;
    const message = `${action.action} (#${action.seq}) pushed: NACSIS ${action.nacsis_command} → ${stat}${recovered ? ' (found on the record after an interrupted attempt)' : ''}`;
    const data = JSON.stringify({ outboundActionId: action.id, seq: action.seq, command: action.nacsis_command, recovered });
    const [row] = await this.dataSource.query(
      `WITH seen AS (
         SELECT ctid, status, push_lease_owner FROM rs_request WHERE id = $1
       ), waiting AS (
         SELECT (${unpushedList('$4')}) AS actions,
                EXISTS (SELECT 1 FROM outbound_action WHERE request_id = $1 AND id <> $2 AND state IN ${UNPUSHED}) AS others
       ), request AS (
         UPDATE rs_request r
            SET external_system_status = $5, raw = COALESCE($6::jsonb, r.raw), sync_error = NULL, updated_at = now(),
                status = CASE WHEN json_array_length(waiting.actions) > 0 OR $7::text IS NULL THEN r.status ELSE $7 END,
                sync_state = CASE WHEN NOT waiting.others AND COALESCE(seen.push_lease_owner = $8, false) THEN 'IN_SYNC' ELSE r.sync_state END,
                push_lease_until = CASE WHEN NOT waiting.others AND COALESCE(seen.push_lease_owner = $8, false) THEN NULL ELSE r.push_lease_until END,
                push_lease_owner = CASE WHEN NOT waiting.others AND COALESCE(seen.push_lease_owner = $8, false) THEN NULL ELSE r.push_lease_owner END
           FROM seen, waiting
          WHERE r.id = $1 AND r.ctid = seen.ctid
         RETURNING seen.status AS from_status, r.status AS to_status, waiting.actions, NOT waiting.others AND COALESCE(seen.push_lease_owner = $8, false) AS finished
       ), action AS (
         UPDATE outbound_action SET state = 'SENT', sent_at = now(), attempts = attempts + $3, updated_at = now()
          WHERE id = $2 AND EXISTS (SELECT 1 FROM request)
       ), event AS (
         INSERT INTO request_event (request_id, type, from_status, to_status, external_system_status, message, data)
         SELECT $1, 'ACTION_PUSHED', from_status, to_status, $5, $9::text, $10::jsonb FROM request
       )
       SELECT actions, finished FROM request`,
      [request.id, action.id, recovered ? 0 : 1, action.seq, stat, raw, following, drain.owner, message, data],
    );
    if (row) {
      if (row.finished) drain.released = true;
      return { stat, raw: record, remaining: row.actions, finished: row.finished };
    }
    const remaining = await this.dataSource.transaction(async (em) => {
      const [current] = await em.query('SELECT status FROM rs_request WHERE id = $1 FOR UPDATE', [request.id]);
      await em.query(`UPDATE outbound_action SET state = 'SENT', sent_at = now(), attempts = attempts + $2, updated_at = now() WHERE id = $1`, [action.id, recovered ? 0 : 1]);
      const [{ actions }] = await em.query(`SELECT (${unpushedList('$2')}) AS actions`, [request.id, action.seq]);
      const status = actions.length > 0 ? current.status : (following ?? current.status);
      await em.query(
        `UPDATE rs_request SET external_system_status = $2, raw = COALESCE($3::jsonb, raw), status = $4, sync_error = NULL, updated_at = now() WHERE id = $1`,
        [request.id, stat, raw, status],
      );
      await em.query(
        `INSERT INTO request_event (request_id, type, from_status, to_status, external_system_status, message, data) VALUES ($1, 'ACTION_PUSHED', $2, $3, $4, $5, $6)`,
        [request.id, current.status, status, stat, message, data],
      );
      return actions;
    });
    return { stat, raw: record, remaining, finished: false };
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
   *  API takes to add an action, so that an action added meanwhile is seen (false: go on draining).
   *  First as one statement that only applies to the row version its snapshot saw; if the row changed
   *  (or something is left), again in a transaction holding the lock. */
  private async finish(requestId: string, drain: Drain): Promise<boolean> {
    const done = await returning(
      this.dataSource,
      `UPDATE rs_request r SET sync_state = 'IN_SYNC', sync_error = NULL, push_lease_until = NULL, push_lease_owner = NULL
         FROM (SELECT ctid FROM rs_request WHERE id = $1) seen
        WHERE r.id = $1 AND r.ctid = seen.ctid AND r.push_lease_owner = $2
          AND NOT EXISTS (SELECT 1 FROM outbound_action WHERE request_id = $1 AND state NOT IN ('SENT', 'DISCARDED'))
        RETURNING r.id`,
      [requestId, drain.owner],
    );
    if (done.length) {
      drain.released = true;
      return true;
    }
    return this.dataSource.transaction(async (em) => {
      await em.query('SELECT id FROM rs_request WHERE id = $1 FOR UPDATE', [requestId]);
      const [left] = await em.query(`SELECT 1 FROM outbound_action WHERE request_id = $1 AND state NOT IN ('SENT', 'DISCARDED') LIMIT 1`, [requestId]);
      if (left) return false;
      await em.query(
        `UPDATE rs_request SET sync_state = 'IN_SYNC', sync_error = NULL, push_lease_until = NULL, push_lease_owner = NULL WHERE id = $1 AND push_lease_owner = $2`,
        [requestId, drain.owner],
      );
      return true;
    });
  }
}
