import { getQueueToken } from '@nestjs/bullmq';
import { INestApplication } from '@nestjs/common';
import { Queue } from 'bullmq';
import { Client } from 'pg';
import { AppConfig } from '@illbridge/common';
import { QUEUE } from '@illbridge/queues';
import { createTestDatabase, eventually, jsonClient, TEST_ADMIN_KEY, TestDatabase, testConfig, wipeQueuePrefix } from '@illbridge/testing';
import { ImportSettings } from '../apps/import-worker/src/import-settings';
import { createImportWorkerApp } from '../apps/import-worker/src/main';
import { RETENTION_PATTERN, RETENTION_SCHEDULER_ID } from '../apps/import-worker/src/retention';
import { createReportingApp } from '../apps/reporting/src/main';
import { consoleSettings } from '../apps/reporting/src/console/console-settings';
import { urlOf } from './support/stack';

/** RETENTION_DAYS=30: the daily job removes the requester name, patron id and raw record of requests closed more
 *  than 30 days ago, keeps the requests, their history and counts, and its run says how many it purged. */
describe('personal data retention (end to end)', () => {
  let db: TestDatabase;
  let config: AppConfig;
  let worker: INestApplication;
  let reporting: INestApplication;
  let pg: Client;

  beforeAll(async () => {
    db = await createTestDatabase();
    config = testConfig(db.url);
    worker = await createImportWorkerApp(config, new ImportSettings({ retentionDays: 30 }));
    await worker.init();
    reporting = await createReportingApp(config, consoleSettings({}));
    await reporting.listen(0, '127.0.0.1');
    pg = new Client({ connectionString: db.url });
    await pg.connect();
  });

  afterAll(async () => {
    await pg?.end();
    await worker?.close();
    await reporting?.close();
    await wipeQueuePrefix(config.redisUrl, config.queuePrefix);
    await db?.drop();
  });

  const seed = async (externalId: string, closed: boolean, closedDaysAgo: number | null) => {
    const { rows } = await pg.query(
      `INSERT INTO rs_request (system, direction, external_id, status, owner_library_code, title, requester_name, requester_id, raw, closed, closed_at)
       VALUES ('LIBRIS', 'BORROWING', $1, $2, 'MAIN', 'Kept title', 'Anna Andersson', 'patron-4711', '{"user": "Anna Andersson"}', $3,
               CASE WHEN $4::int IS NULL THEN NULL ELSE now() - make_interval(days => $4::int) END) RETURNING id`,
      [externalId, closed ? 'REQUEST_COMPLETED' : 'REQUEST_SENT_TO_PARTNER', closed, closedDaysAgo],
    );
    const id = rows[0].id;
    await pg.query(`INSERT INTO request_event (request_id, type, to_status, message) VALUES ($1, 'CREATED', 'CREATED_BORROWING_REQUEST', 'Imported'), ($1, 'STATUS_CHANGED', $2, 'Closed')`, [id, 'REQUEST_COMPLETED']);
    return id;
  };
  const row = async (id: string) => (await pg.query('SELECT requester_name, requester_id, raw, title, status, closed, personal_data_purged_at FROM rs_request WHERE id = $1', [id])).rows[0];
  const eventCount = async (id: string) => Number((await pg.query('SELECT count(*) FROM request_event WHERE request_id = $1', [id])).rows[0].count);

  it('closing a request records when (closed_at, kept by the database)', async () => {
    const id = await seed('LF-CLOSED-NOW', false, null);
    expect((await pg.query('SELECT closed_at FROM rs_request WHERE id = $1', [id])).rows[0].closed_at).toBeNull();
    await pg.query('UPDATE rs_request SET closed = true WHERE id = $1', [id]);
    const closedAt: Date = (await pg.query('SELECT closed_at FROM rs_request WHERE id = $1', [id])).rows[0].closed_at;
    expect(Math.abs(closedAt.getTime() - Date.now())).toBeLessThan(60_000);
  });

  it('schedules itself daily and purges old closed requests only, keeping their history; its run says how many', async () => {
    const queue = worker.get<Queue>(getQueueToken(QUEUE.MAINTENANCE));
    const schedulers = await queue.getJobSchedulers();
    expect(schedulers.map((s) => [s.key, s.pattern])).toEqual([[RETENTION_SCHEDULER_ID, RETENTION_PATTERN]]);

    const old = await seed('LF-OLD-CLOSED', true, 40);
    const recent = await seed('LF-RECENT-CLOSED', true, 5);
    const open = await seed('LF-OLD-OPEN', false, null);
    await pg.query(`UPDATE rs_request SET created_at = now() - interval '400 days', updated_at = now() - interval '400 days' WHERE id = $1`, [open]);

    // What the scheduler does each day, now: a retention job on the maintenance queue.
    await queue.add('retention', { task: 'retention' });
    const run = await eventually(async () => (await pg.query('SELECT * FROM retention_run WHERE finished_at IS NOT NULL')).rows[0], 20_000, 'a finished retention run');
    expect(run).toMatchObject({ retention_days: 30, requests_purged: 1, error: null });

    expect(await row(old)).toMatchObject({ requester_name: null, requester_id: null, raw: null, title: 'Kept title', status: 'REQUEST_COMPLETED', closed: true });
    expect((await row(old)).personal_data_purged_at).not.toBeNull();
    expect(await eventCount(old)).toBe(2); // the history stays
    for (const kept of [recent, open]) {
      expect(await row(kept)).toMatchObject({ requester_name: 'Anna Andersson', requester_id: 'patron-4711', raw: { user: 'Anna Andersson' }, personal_data_purged_at: null });
    }

    const runs = await jsonClient(await urlOf(reporting), TEST_ADMIN_KEY)('GET', '/api/retention-runs');
    expect(runs.status).toBe(200);
    expect(runs.body).toMatchObject({ total: 1, items: [{ retentionDays: 30, requestsPurged: 1 }] });

    // A second run finds nothing more to purge.
    await queue.add('retention', { task: 'retention' });
    await eventually(async () => Number((await pg.query('SELECT count(*) FROM retention_run WHERE finished_at IS NOT NULL')).rows[0].count) === 2, 20_000, 'a second run');
    expect((await pg.query('SELECT requests_purged FROM retention_run ORDER BY started_at DESC LIMIT 1')).rows[0].requests_purged).toBe(0);
  });
});
