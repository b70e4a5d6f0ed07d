import { HttpStatus, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ApiError, notFound, serviceUnavailable } from '@illbridge/common';
import type { NetpunktReceipt } from '@illbridge/connectors/netpunkt';
import { ACTIVE_JOB_STATES, IntegrationProfileEntity, JobRunEntity, NetpunktReceiptEntity } from '@illbridge/database/entities';
import { LibraryResolver, resolveNetpunktOrder } from '@illbridge/database/resolvers';
import { ImportJobs } from '@illbridge/queues';
import { createInboundRun } from './netpunkt-receipts.service';

/** Where a stored receipt's import stands, as its latest run (and that run's record event) says. */
export const STORED_RECEIPT_STATES = ['QUEUED', 'IMPORTED', 'FAILED'] as const;
export type StoredReceiptState = (typeof STORED_RECEIPT_STATES)[number];

export interface StoredReceiptFilter {
  state?: StoredReceiptState;
  profileId?: string;
  orderId?: string;
}

/** How long `reimport` waits for the worker to import the receipt before it answers 202 with the run. */
const REIMPORT_WAIT_MS = 20_000;

/** The receipts' latest runs and their outcome; `state` derived: QUEUED while the run is pending or running,
 *  IMPORTED once its record became a request, else FAILED (the run failed, or its record did, or it has no run). */
const STORED_RECEIPTS_SQL = `
SELECT * FROM (
  SELECT n.id, n.profile_id, p.code AS profile_code, n.receipt_uuid, n.order_id, n.requester_id, n.received_at, n.job_run_id,
         r.state AS run_state, r.error_code, r.error, e.request_id, e.outcome, e.reason_code, e.message,
         CASE WHEN r.state = ANY($1::varchar[]) THEN 'QUEUED'
              WHEN e.request_id IS NOT NULL AND e.outcome <> 'FAILED' THEN 'IMPORTED'
              ELSE 'FAILED' END AS state
    FROM netpunkt_receipt n
    JOIN integration_profile p ON p.id = n.profile_id
    LEFT JOIN job_run r ON r.id = n.job_run_id
    LEFT JOIN LATERAL (
      SELECT request_id, outcome, reason_code, message FROM record_event WHERE job_run_id = n.job_run_id ORDER BY (outcome = 'FAILED') LIMIT 1
    ) e ON true
   WHERE ($2::uuid IS NULL OR n.profile_id = $2) AND ($3::varchar IS NULL OR n.order_id = $3) AND ($4::uuid IS NULL OR n.id = $4)
) s
WHERE ($5::varchar IS NULL OR s.state = $5)`;

/** The operators' view of stored Netpunkt receipts: find those whose import failed, and import one again
 *  once the mapping that was missing has been added (the worker does the import, as for every receipt). */
@Injectable()
export class StoredReceiptsService {
  private readonly logger = new Logger(StoredReceiptsService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly importJobs: ImportJobs,
  ) {}

  async list(filter: StoredReceiptFilter, limit: number, offset: number) {
    const params = [ACTIVE_JOB_STATES, filter.profileId ?? null, filter.orderId ?? null, null, filter.state ?? null];
    const [rows, [{ total }]] = await Promise.all([
      this.dataSource.query(`${STORED_RECEIPTS_SQL} ORDER BY s.received_at DESC, s.id LIMIT $6 OFFSET $7`, [...params, limit, offset]),
      this.dataSource.query(`SELECT count(*)::int AS total FROM (${STORED_RECEIPTS_SQL}) c`, params),
    ]);
    return { items: rows.map(view), total, limit, offset };
  }

  async get(id: string) {
    const [row] = await this.dataSource.query(STORED_RECEIPTS_SQL, [ACTIVE_JOB_STATES, null, null, id, null]);
    if (!row) throw notFound('Netpunkt receipt');
    return view(row);
  }

  /**
   * Imports a stored receipt again, in a new INBOUND run (the earlier runs stay in the job history), and answers
   * the request it became. Refused before any run is made when it still cannot become a request (422, judged by
   * resolveNetpunktOrder as the endpoint and the import judge it) or while its run is active (409). Importing a
   * receipt whose request exists already updates that request (the request's key is orderId + requesterId).
   */
  async reimport(id: string) {
    const { run, profile } = await this.dataSource.transaction(async (manager) => {
      const receipt = await manager.getRepository(NetpunktReceiptEntity).findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
      if (!receipt) throw notFound('Netpunkt receipt');
      const profile = await manager.getRepository(IntegrationProfileEntity).findOneOrFail({ where: { id: receipt.profileId } });
      if (!profile.active) throw new ApiError(HttpStatus.CONFLICT, 'PROFILE_INACTIVE', `Profile ${profile.code} is inactive; activate it to import its receipts`);
      const current = receipt.jobRunId ? await manager.getRepository(JobRunEntity).findOne({ where: { id: receipt.jobRunId } }) : null;
      if (current && ACTIVE_JOB_STATES.includes(current.state)) {
        throw new ApiError(HttpStatus.CONFLICT, 'JOB_ALREADY_RUNNING', `The import of this receipt (run ${current.id}) is still ${current.state.toLowerCase()}`);
      }
      const order = (receipt.receipt as unknown as NetpunktReceipt).order;
      const resolution = resolveNetpunktOrder(profile, order, await LibraryResolver.load(this.dataSource, profile.id));
      if (!resolution.ok) throw new ApiError(HttpStatus.UNPROCESSABLE_ENTITY, resolution.code, resolution.message);
      const run = await createInboundRun(manager, profile);
      await manager.getRepository(NetpunktReceiptEntity).update({ id }, { jobRunId: run.id });
      return { run, profile };
    });
    try {
      await this.importJobs.enqueueRun(run);
    } catch (error: any) {
      // The new run ends FAILED at once (the receipt shows it); the operator re-imports again later.
      this.logger.error(`Re-import of Netpunkt receipt ${id} (profile ${profile.code}) not queued now: ${error.message}`);
      await this.dataSource.getRepository(JobRunEntity).update({ id: run.id }, { state: 'FAILED', stage: 'DONE', errorCode: 'SERVICE_UNAVAILABLE', error: `Not queued: ${error.message}` });
      throw serviceUnavailable(`The queue store is unavailable, the receipt was not re-imported: ${error.message}`);
    }
    return this.outcome(id, run.id);
  }

  /** Waits for the run to end, then answers what the receipt became: IMPORTED (200), still QUEUED after
   *  REIMPORT_WAIT_MS (202, the run to follow in the job history), or failed (422 with the reason). */
  private async outcome(id: string, runId: string): Promise<{ status: HttpStatus.OK | HttpStatus.ACCEPTED; receipt: StoredReceipt }> {
    const deadline = Date.now() + REIMPORT_WAIT_MS;
    let receipt = await this.get(id);
    while (receipt.state === 'QUEUED' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      receipt = await this.get(id);
    }
    if (receipt.state !== 'FAILED') return { status: receipt.state === 'IMPORTED' ? HttpStatus.OK : HttpStatus.ACCEPTED, receipt };
    const failure = receipt.error ?? { code: 'IMPORT_FAILED', message: `Run ${runId} ended ${receipt.run.state}` };
    if (failure.code === 'LIBRARY_NOT_MAPPED') throw new ApiError(HttpStatus.UNPROCESSABLE_ENTITY, 'LIBRARY_NOT_MAPPED', failure.message, { receipt });
    throw new ApiError(HttpStatus.UNPROCESSABLE_ENTITY, 'IMPORT_FAILED', `${failure.code}: ${failure.message}`, { receipt });
  }
}

export type StoredReceipt = ReturnType<typeof view>;

/** A stored receipt as the API shows it (no password: the stored receipt is redacted). */
function view(row: any) {
  const error = row.outcome === 'FAILED' ? { code: row.reason_code, message: row.message } : row.error_code ? { code: row.error_code, message: row.error } : null;
  return {
    id: row.id as string,
    profileId: row.profile_id as string,
    profileCode: row.profile_code as string,
    receiptUuid: row.receipt_uuid as string,
    orderId: row.order_id as string,
    requesterId: row.requester_id as string,
    receivedAt: row.received_at as Date,
    state: row.state as StoredReceiptState,
    run: { id: row.job_run_id as string | null, state: (row.run_state ?? null) as string | null },
    requestId: (row.outcome === 'FAILED' ? null : row.request_id) as string | null,
    error: row.state === 'FAILED' ? (error ?? { code: 'RUN_NOT_FOUND', message: 'The receipt has no import run' }) : null,
  };
}
