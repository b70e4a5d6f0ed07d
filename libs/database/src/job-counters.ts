import type { DataSource, EntityManager } from 'typeorm';
import type { Direction, JobCounters, RecordOutcome } from './entities';

/** The job report's counters, aggregated over record_event (the import worker when a run ends,
 *  reporting while it runs): counted from the record events, they are right however often a run was resumed. */
export const COUNTERS_COLUMNS = `
  count(*)::int AS total,
  count(*) FILTER (WHERE direction = 'BORROWING')::int AS bp,
  count(*) FILTER (WHERE direction = 'BORROWING' AND outcome <> 'FAILED')::int AS bs,
  count(*) FILTER (WHERE direction = 'BORROWING' AND outcome = 'FAILED')::int AS bf,
  count(*) FILTER (WHERE direction = 'LENDING')::int AS lp,
  count(*) FILTER (WHERE direction = 'LENDING' AND outcome <> 'FAILED')::int AS ls,
  count(*) FILTER (WHERE direction = 'LENDING' AND outcome = 'FAILED')::int AS lf,
  count(*) FILTER (WHERE outcome = 'CREATED')::int AS created,
  count(*) FILTER (WHERE outcome = 'UPDATED')::int AS updated,
  count(*) FILTER (WHERE outcome = 'UNCHANGED')::int AS unchanged`;

export const ZERO_COUNTERS: Readonly<JobCounters> = Object.freeze({
  totalRecordsProcessed: 0,
  borrowingProcessed: 0,
  borrowingSucceeded: 0,
  borrowingFailed: 0,
  lendingProcessed: 0,
  lendingSucceeded: 0,
  lendingFailed: 0,
  created: 0,
  updated: 0,
  unchanged: 0,
});

/** Adds `n` records of one direction and outcome to counters `c`. */
export function addOutcome(c: JobCounters, direction: Direction, outcome: RecordOutcome, n = 1) {
  c.totalRecordsProcessed += n;
  const failed = outcome === 'FAILED';
  if (direction === 'BORROWING') {
    c.borrowingProcessed += n;
    if (failed) c.borrowingFailed += n;
    else c.borrowingSucceeded += n;
  } else {
    c.lendingProcessed += n;
    if (failed) c.lendingFailed += n;
    else c.lendingSucceeded += n;
  }
  if (outcome === 'CREATED') c.created += n;
  else if (outcome === 'UPDATED') c.updated += n;
  else if (outcome === 'UNCHANGED') c.unchanged += n;
}

export function countersFromRow(row: any): JobCounters {
  if (!row) return { ...ZERO_COUNTERS };
  return {
    totalRecordsProcessed: row.total ?? 0,
    borrowingProcessed: row.bp ?? 0,
    borrowingSucceeded: row.bs ?? 0,
    borrowingFailed: row.bf ?? 0,
    lendingProcessed: row.lp ?? 0,
    lendingSucceeded: row.ls ?? 0,
    lendingFailed: row.lf ?? 0,
    created: row.created ?? 0,
    updated: row.updated ?? 0,
    unchanged: row.unchanged ?? 0,
  };
}

/** Live counters of one run, from its record events. */
export async function runCounters(db: DataSource | EntityManager, runId: string): Promise<JobCounters> {
  const [row] = await db.query(`SELECT ${COUNTERS_COLUMNS} FROM record_event WHERE job_run_id = $1`, [runId]);
  return countersFromRow(row);
}

/** Live counters of several runs in one query (runs without events get zeros). */
export async function runsCounters(db: DataSource | EntityManager, runIds: string[]): Promise<Map<string, JobCounters>> {
  const out = new Map<string, JobCounters>(runIds.map((id) => [id, { ...ZERO_COUNTERS }]));
  if (!runIds.length) return out;
  const rows: any[] = await db.query(
    `SELECT job_run_id, ${COUNTERS_COLUMNS} FROM record_event WHERE job_run_id = ANY($1::uuid[]) GROUP BY job_run_id`,
    [runIds],
  );
  for (const row of rows) out.set(row.job_run_id, countersFromRow(row));
  return out;
}

/** The same aggregate as a jsonb expression, for an UPDATE that ends a run in one statement. */
export const COUNTERS_JSONB_FOR_RUN = (runIdParam: string) => `(
  SELECT jsonb_build_object(
    'totalRecordsProcessed', count(*)::int,
    'borrowingProcessed', count(*) FILTER (WHERE direction = 'BORROWING')::int,
    'borrowingSucceeded', count(*) FILTER (WHERE direction = 'BORROWING' AND outcome <> 'FAILED')::int,
    'borrowingFailed', count(*) FILTER (WHERE direction = 'BORROWING' AND outcome = 'FAILED')::int,
    'lendingProcessed', count(*) FILTER (WHERE direction = 'LENDING')::int,
    'lendingSucceeded', count(*) FILTER (WHERE direction = 'LENDING' AND outcome <> 'FAILED')::int,
    'lendingFailed', count(*) FILTER (WHERE direction = 'LENDING' AND outcome = 'FAILED')::int,
    'created', count(*) FILTER (WHERE outcome = 'CREATED')::int,
    'updated', count(*) FILTER (WHERE outcome = 'UPDATED')::int,
    'unchanged', count(*) FILTER (WHERE outcome = 'UNCHANGED')::int)
  FROM record_event WHERE job_run_id = ${runIdParam})`;
