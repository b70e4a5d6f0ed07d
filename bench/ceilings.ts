/* The two ceilings the product is compared with: a raw upsert of import-shaped rows with pg, and a
   no-op BullMQ round trip. */
import { Queue, QueueEvents, Worker } from 'bullmq';
import { createHash } from 'crypto';
import { Client } from 'pg';
import { mapLibrisRecord } from '@illbridge/connectors/libris';
import type { IncomingRequest } from '@illbridge/connectors/types';
import { FINAL_STATUSES } from '@illbridge/database/entities';
import type { RequestStatus } from '@illbridge/database/entities';
import { DATA_COLUMNS as DATA_FIELDS } from '../apps/import-worker/src/runs/content-hash';
import { percentile } from './lib';

const COLUMNS = [
  'profile_id', 'system', 'direction', 'external_id', 'status', 'closed', 'partner_code', 'partners', 'owner_library_code', 'pickup_library_code',
  ...DATA_FIELDS.map(([column]) => column), 'raw', 'content_hash', 'last_job_run_id',
];

export interface RawCeiling {
  rowsPerSecond: number;
  rows: number;
  rawBytesAvg: number;
}

/** Ceiling 1: the import's own upsert statement (same 33 columns, same ON CONFLICT … DO UPDATE of every
 *  column, RETURNING id), 500 rows per statement, one transaction per statement, of the same Libris records
 *  the import reads (mapped beforehand, outside the timing): only the database write is timed. */
export async function rawUpsertCeiling(url: string, librisRecords: unknown[]): Promise<RawCeiling> {
  const pg = new Client({ connectionString: url });
  await pg.connect();
  const [{ id: profileId }] = (
    await pg.query(`INSERT INTO integration_profile (code, name, system, library_code, resource_sharing_library_code, version) VALUES ('RAW', 'raw', 'LIBRIS', 'X', 'X', 1) RETURNING id`)
  ).rows;
  let rawBytes = 0;
  const rows = librisRecords.flatMap((record) => {
    const mapped = mapLibrisRecord(record);
    if (!mapped.ok) return [];
    const r: IncomingRequest = mapped.request;
    const status: RequestStatus = r.mappedStatus ?? 'CREATED_BORROWING_REQUEST';
    const raw = JSON.stringify(r.raw ?? null);
    rawBytes += Buffer.byteLength(raw);
    const hash = createHash('sha1').update(raw).digest('hex');
    return [[
      profileId, 'LIBRIS', r.direction, r.externalId, status, FINAL_STATUSES.includes(status), r.activePartnerCode, JSON.stringify(r.partnerCodes), 'MAIN', 'MAIN',
      ...DATA_FIELDS.map(([, field]) => r[field] ?? null), raw, hash, null,
    ]];
  });
  const updates = COLUMNS.filter((c) => !['profile_id', 'direction', 'external_id'].includes(c))
    .map((c) => `"${c}" = EXCLUDED."${c}"`)
    .concat('"updated_at" = now()')
    .join(', ');
  const started = process.hrtime.bigint();
  for (let offset = 0; offset < rows.length; offset += 500) {
    const params: unknown[] = [];
    const values = rows.slice(offset, offset + 500).map((row) => `(${row.map((v) => (params.push(v), `$${params.length}`)).join(', ')})`);
    await pg.query(
      `INSERT INTO rs_request (${COLUMNS.map((c) => `"${c}"`).join(', ')}) VALUES ${values.join(', ')}
       ON CONFLICT (profile_id, direction, external_id) DO UPDATE SET ${updates}
       RETURNING id, direction, external_id`,
      params,
    );
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await pg.query(`DELETE FROM rs_request WHERE profile_id = $1`, [profileId]);
  await pg.query(`DELETE FROM integration_profile WHERE id = $1`, [profileId]);
  await pg.query('VACUUM rs_request');
  await pg.end();
  return { rowsPerSecond: rows.length / seconds, rows: rows.length, rawBytesAvg: rawBytes / Math.max(1, rows.length) };
}

/** Ceiling 2: a no-op BullMQ job, enqueued and completed (round trip through Redis). */
export async function bullmqRoundTrip(prefix: string): Promise<{ perSecond: number; p50: number }> {
  const connection = { host: '127.0.0.1', port: 6379, maxRetriesPerRequest: null };
  const queue = new Queue('bench-noop', { connection, prefix });
  const events = new QueueEvents('bench-noop', { connection, prefix });
  const worker = new Worker('bench-noop', async () => undefined, { connection, prefix, concurrency: 50 });
  await Promise.all([worker.waitUntilReady(), events.waitUntilReady()]);
  const n = 5000;
  const latencies: number[] = [];
  const added = new Map<string, number>();
  let done = 0;
  const finished = new Promise<void>((resolveDone) =>
    events.on('completed', ({ jobId }) => {
      latencies.push(Date.now() - (added.get(jobId) ?? Date.now()));
      if (++done === n) resolveDone();
    }),
  );
  const started = Date.now();
  for (let i = 0; i < n; i += 100) {
    const jobs = await queue.addBulk(Array.from({ length: 100 }, (_, k) => ({ name: 'noop', data: { i: i + k }, opts: { removeOnComplete: true } })));
    for (const job of jobs) added.set(job.id!, Date.now());
  }
  await finished;
  const seconds = (Date.now() - started) / 1000;
  await worker.close();
  await events.close();
  await queue.obliterate({ force: true });
  await queue.close();
  latencies.sort((a, b) => a - b);
  return { perSecond: n / seconds, p50: percentile(latencies, 50) };
}
