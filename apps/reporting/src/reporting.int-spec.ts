import { INestApplication } from '@nestjs/common';
import { Client } from 'pg';
import request from 'supertest';
import { AppConfig, sha256 } from '@illbridge/common';
import { createTestDatabase, TEST_ADMIN_KEY, TestDatabase, testConfig, wipeQueuePrefix } from '@illbridge/testing';
import { createReportingApp } from './main';
import { parseCsv } from './testing/parse-csv';

/** The reporting service against the real Postgres and Redis, with rows seeded directly in SQL. */
describe('reporting (Postgres + Redis)', () => {
  let db: TestDatabase;
  let config: AppConfig;
  let app: INestApplication;
  let pg: Client;
  const admin = { Authorization: `Bearer ${TEST_ADMIN_KEY}` };
  const viewer = { Authorization: 'Bearer reporting-viewer-key-0123456789' };
  const operator = { Authorization: 'Bearer reporting-operator-key-0123456789' };
  const http = () => request(app.getHttpServer());
  const ids: Record<string, string> = {};
  const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000).toISOString();

  const insert = async (table: string, values: Record<string, unknown>): Promise<string> => {
    const keys = Object.keys(values);
    const { rows } = await pg.query(
      `INSERT INTO ${table} (${keys.join(', ')}) VALUES (${keys.map((_, i) => `$${i + 1}`).join(', ')}) RETURNING id`,
      keys.map((k) => {
        const v = values[k];
        return v !== null && typeof v === 'object' && !(v instanceof Date) ? JSON.stringify(v) : v;
      }),
    );
    return String(rows[0].id);
  };
  const event = (jobRunId: string, externalId: string, direction: string, outcome: string, extra: Record<string, unknown> = {}) =>
    insert('record_event', { job_run_id: jobRunId, external_id: externalId, direction, outcome, ...extra });

  const DONE_COUNTERS = {
    totalRecordsProcessed: 7,
    borrowingProcessed: 4,
    borrowingSucceeded: 3,
    borrowingFailed: 1,
    lendingProcessed: 3,
    lendingSucceeded: 2,
    lendingFailed: 1,
    created: 2,
    updated: 1,
    unchanged: 2,
  };
  const UNMAPPED_MESSAGE = 'The requesting library "Xyz" is not mapped, add a library-code mapping';
  const MALFORMED_MESSAGE = 'Record is malformed:\nfield "title" is not text, 処理中';

  beforeAll(async () => {
    db = await createTestDatabase();
    config = testConfig(db.url);
    pg = new Client({ connectionString: db.url });
    await pg.connect();
    app = await createReportingApp(config);
    await app.init();

    for (const [name, role, key] of [
      ['viewer', 'viewer', viewer.Authorization.slice(7)],
      ['operator', 'operator', operator.Authorization.slice(7)],
    ]) {
      await pg.query('INSERT INTO api_key (name, role, key_hash, key_prefix) VALUES ($1, $2, $3, $4)', [name, role, sha256(key), key.slice(0, 8)]);
    }

    ids.libris = await insert('integration_profile', { code: 'LIBRIS_MAIN', name: 'Libris main library', system: 'LIBRIS', library_code: 'Hig', resource_sharing_library_code: 'MAIN', version: 1 });
    ids.nacsis = await insert('integration_profile', { code: 'NACSIS_MAIN', name: 'NACSIS main', system: 'NACSIS', library_code: 'FA000001', resource_sharing_library_code: 'MAIN', version: 1 });
    const run = (profileId: string, state: string, createdHoursAgo: number, extra: Record<string, unknown> = {}) =>
      insert('job_run', { profile_id: profileId, job_name: `Import resource sharing requests using profile ${profileId === ids.libris ? 'Libris main library' : 'NACSIS main'}`, trigger: 'MANUAL', state, created_at: hoursAgo(createdHoursAgo), ...extra });

    ids.failed = await run(ids.libris, 'FAILED', 48, {
      stage: 'DONE', started_at: hoursAgo(48), finished_at: hoursAgo(47.9), error_code: 'EXTERNAL_SYSTEM_UNAVAILABLE', error: 'Libris did not answer after 3 attempts',
      counters: { ...DONE_COUNTERS, totalRecordsProcessed: 0, borrowingProcessed: 0, borrowingSucceeded: 0, borrowingFailed: 0, lendingProcessed: 0, lendingSucceeded: 0, lendingFailed: 0, created: 0, updated: 0, unchanged: 0 },
    });
    ids.big = await run(ids.nacsis, 'COMPLETED_SUCCESSFULLY', 30, { stage: 'DONE', started_at: hoursAgo(30), finished_at: hoursAgo(29), records_read: 2500 });
    ids.done = await run(ids.libris, 'COMPLETED_WITH_ERRORS', 3, {
      stage: 'DONE', started_at: hoursAgo(3), finished_at: hoursAgo(2.9), records_read: 7, window_from: '2026-11-01', window_to: '2026-11-22', counters: DONE_COUNTERS,
    });
    ids.running = await run(ids.nacsis, 'RUNNING', 1, { stage: 'HARVESTING', started_at: hoursAgo(1), records_read: 3 });
    ids.pending = await run(ids.libris, 'PENDING', 0.1, { stage: 'QUEUED' });

    ids.r1 = await insert('rs_request', {
      profile_id: ids.libris, system: 'LIBRIS', direction: 'BORROWING', external_id: 'Hig-261120-0001', external_ref: '9001', status: 'SHIPPED_PHYSICALLY', external_system_status: 'Levererad',
      partner_code: 'Hig', partners: ['Hig', 'Gk'], owner_library_code: 'MAIN', pickup_library_code: 'MAIN', title: 'Svensk bok, "citat" och åäö', author: 'Strindberg, August', format: 'LOAN',
      raw: { lf_number: 'Hig-261120-0001', status: 'Levererad' }, updated_at: hoursAgo(1),
    });
    ids.r2 = await insert('rs_request', {
      profile_id: ids.libris, system: 'LIBRIS', direction: 'BORROWING', external_id: 'Hig-261120-0002', status: 'SHIPPED_DIGITALLY', external_system_status: 'Levererad',
      partner_code: 'hig', owner_library_code: 'MAIN', title: 'Artikel om fjärrlån', author: 'Lagerlöf, Selma', format: 'COPY', updated_at: hoursAgo(2),
    });
    ids.r3 = await insert('rs_request', {
      profile_id: ids.libris, system: 'LIBRIS', direction: 'BORROWING', external_id: 'Hig-261120-0003', status: 'REQUEST_SENT_TO_PARTNER', external_system_status: 'Uteliggande',
      partner_code: 'Gk', owner_library_code: 'MAIN', title: '100% ren_text', updated_at: hoursAgo(3),
    });
    ids.n4 = await insert('rs_request', {
      profile_id: ids.nacsis, system: 'NACSIS', direction: 'BORROWING', external_id: 'ILL0000004', status: 'SHIPPED_PHYSICALLY', external_system_status: '発送',
      partner_code: 'FA009999', owner_library_code: 'MAIN', title: '図書館情報学', sync_state: 'PUSH_FAILED', updated_at: hoursAgo(4),
    });
    ids.n1 = await insert('rs_request', {
      profile_id: ids.nacsis, system: 'NACSIS', direction: 'LENDING', external_id: 'ILL0000001', status: 'SHIPPED_PHYSICALLY', external_system_status: '発送',
      partner_code: 'FA001234', owner_library_code: 'MAIN', title: '日本の図書館', updated_at: hoursAgo(1),
    });
    ids.n2 = await insert('rs_request', {
      profile_id: ids.nacsis, system: 'NACSIS', direction: 'LENDING', external_id: 'ILL0000002', status: 'SHIPPED_PHYSICALLY', external_system_status: '発送',
      partner_code: null, owner_library_code: 'MAIN', title: '東京の歴史', updated_at: hoursAgo(2),
    });
    ids.n3 = await insert('rs_request', {
      profile_id: ids.nacsis, system: 'NACSIS', direction: 'LENDING', external_id: 'ILL0000003', status: 'BEING_PROCESSED', external_system_status: '処理中',
      partner_code: 'FA001234', owner_library_code: 'MAIN', title: '京都案内', updated_at: hoursAgo(3),
    });

    await insert('request_event', { request_id: ids.r1, type: 'CREATED', to_status: 'REQUEST_SENT_TO_PARTNER', external_system_status: 'Uteliggande', job_run_id: ids.done, created_at: hoursAgo(5) });
    await insert('request_event', { request_id: ids.r1, type: 'STATUS_CHANGED', from_status: 'REQUEST_SENT_TO_PARTNER', to_status: 'SHIPPED_PHYSICALLY', external_system_status: 'Levererad', job_run_id: ids.done, created_at: hoursAgo(1) });
    await insert('outbound_action', { request_id: ids.n4, seq: 2, action: 'RECEIVE', nacsis_command: 'RECEIVE', state: 'FAILED', attempts: 3, last_error: 'NACSIS refused: 受付不可' });
    await insert('outbound_action', { request_id: ids.n4, seq: 1, action: 'SHIP', nacsis_command: 'SHIP', state: 'SENT', attempts: 1, sent_at: hoursAgo(2) });

    await event(ids.done, 'Hig-261120-0001', 'BORROWING', 'CREATED', { request_id: ids.r1 });
    await event(ids.done, 'Hig-261120-0002', 'BORROWING', 'UPDATED', { request_id: ids.r2 });
    await event(ids.done, 'Hig-261120-0003', 'BORROWING', 'UNCHANGED', { request_id: ids.r3 });
    await event(ids.done, 'Hig-261120-0007', 'BORROWING', 'FAILED', { reason_code: 'LIBRARY_NOT_MAPPED', message: UNMAPPED_MESSAGE });
    await event(ids.done, 'ILL0000001', 'LENDING', 'CREATED', { request_id: ids.n1, warnings: ['Unknown partner code "Zz", kept as text'] });
    await event(ids.done, 'ILL0000009', 'LENDING', 'FAILED', { reason_code: 'MALFORMED_RECORD', message: MALFORMED_MESSAGE });
    await event(ids.done, 'ILL0000003', 'LENDING', 'UNCHANGED', { request_id: ids.n3, message: 'Göteborg – 発送済み' });

    await event(ids.running, 'ILL1000001', 'LENDING', 'CREATED');
    await event(ids.running, 'ILL1000002', 'LENDING', 'UPDATED');
    await event(ids.running, 'ILL1000003', 'BORROWING', 'FAILED', { reason_code: 'LIBRARY_NOT_MAPPED', message: 'Library "FA777777" is not mapped' });

    await pg.query(
      `INSERT INTO record_event (job_run_id, external_id, direction, outcome) SELECT $1, 'BIG-' || lpad(n::text, 5, '0'), 'LENDING', 'CREATED' FROM generate_series(1, 2500) n`,
      [ids.big],
    );
    await pg.query(`UPDATE job_run SET counters = $2 WHERE id = $1`, [ids.big, JSON.stringify({ ...DONE_COUNTERS, totalRecordsProcessed: 2500, borrowingProcessed: 0, borrowingSucceeded: 0, borrowingFailed: 0, lendingProcessed: 2500, lendingSucceeded: 2500, lendingFailed: 0, created: 2500, updated: 0, unchanged: 0 })]);
  });

  afterAll(async () => {
    await app?.close();
    await pg?.end();
    if (config) await wipeQueuePrefix(config.redisUrl, config.queuePrefix);
    await db?.drop();
  });

  describe('authentication and validation', () => {
    it('needs a key (401), the operator role to abort (403), and answers health and metrics without one', async () => {
      expect((await http().get('/api/jobs').expect(401)).body).toMatchObject({ statusCode: 401, code: 'UNAUTHENTICATED' });
      await http().get('/api/borrowing-requests').set({ Authorization: 'Bearer not-a-key' }).expect(401);
      await http().get(`/api/jobs/${ids.done}/events.csv`).expect(401);
      const weak = await http().post(`/api/jobs/${ids.running}/abort`).set(viewer).expect(403);
      expect(weak.body.code).toBe('FORBIDDEN');
      await http().get('/api/jobs').set(viewer).expect(200);
      await http().get('/health').expect(200);
      const docs = await http().get('/docs-json').expect(200);
      expect(Object.keys(docs.body.paths)).toEqual(
        expect.arrayContaining(['/api/jobs', '/api/jobs/{id}', '/api/jobs/{id}/abort', '/api/jobs/{id}/events', '/api/jobs/{id}/events.csv', '/api/integration-profiles/{id}/job-history', '/api/borrowing-requests', '/api/lending-requests', '/api/requests/{id}']),
      );
      const report = docs.body.paths['/api/jobs/{id}'].get.responses['200'].content['application/json'].schema;
      expect(report.properties.warnings).toMatchObject({ type: 'array', items: { type: 'string' } });
      expect(report.properties.progress.properties.detail).toMatchObject({ type: 'string', nullable: true });
    });

    it('refuses unknown query parameters and bad enum values, listing every problem', async () => {
      const bad = await http().get('/api/jobs?state=DONE&color=red&limit=0&profileId=nope&from=yesterday').set(viewer).expect(400);
      expect(bad.body.code).toBe('VALIDATION_FAILED');
      const text = bad.body.message.join('\n');
      for (const part of ['state', 'property color should not exist', 'limit', 'profileId', 'from']) expect(text).toContain(part);
      expect(bad.body.message.length).toBeGreaterThanOrEqual(5);
      const events = await http().get(`/api/jobs/${ids.done}/events?outcome=BROKEN&direction=SIDEWAYS`).set(viewer).expect(400);
      expect(events.body.message).toHaveLength(2);
      await http().get(`/api/jobs/${ids.done}/events.csv?limit=5`).set(viewer).expect(400);
      // a lending status is not a borrowing status
      const status = await http().get('/api/borrowing-requests?status=BEING_PROCESSED&syncState=LOST&surprise=1').set(viewer).expect(400);
      expect(status.body.message.join('\n')).toEqual(expect.stringContaining('status'));
      expect(status.body.message).toHaveLength(3);
      await http().get('/api/lending-requests?status=BEING_PROCESSED').set(viewer).expect(200);
    });
  });

  describe('monitor jobs and job history', () => {
    it('lists runs newest first with profile code, progress and counters (live while running)', async () => {
      const res = await http().get('/api/jobs').set(viewer).expect(200);
      expect(res.body).toMatchObject({ total: 5, limit: 50, offset: 0 });
      expect(res.body.items.map((r: any) => r.id)).toEqual([ids.pending, ids.running, ids.done, ids.big, ids.failed]);
      const running = res.body.items[1];
      expect(running).toMatchObject({
        id: ids.running,
        profileId: ids.nacsis,
        profileCode: 'NACSIS_MAIN',
        jobName: 'Import resource sharing requests using profile NACSIS main',
        trigger: 'MANUAL',
        state: 'RUNNING',
        finishedAt: null,
        progress: { stage: 'HARVESTING', recordsRead: 3 },
      });
      expect(running.counters).toEqual({
        totalRecordsProcessed: 3, borrowingProcessed: 1, borrowingSucceeded: 0, borrowingFailed: 1,
        lendingProcessed: 2, lendingSucceeded: 2, lendingFailed: 0, created: 1, updated: 1, unchanged: 0,
      });
      expect(new Date(running.startedAt).toISOString()).toBe(running.startedAt);
      expect(res.body.items[2].counters).toEqual(DONE_COUNTERS);
      expect(res.body.items[0].counters.totalRecordsProcessed).toBe(0);
    });

    it('filters by state, profile and creation time, and pages', async () => {
      const failed = await http().get('/api/jobs?state=FAILED').set(viewer).expect(200);
      expect(failed.body.items.map((r: any) => r.id)).toEqual([ids.failed]);
      const nacsis = await http().get(`/api/jobs?profileId=${ids.nacsis}`).set(viewer).expect(200);
      expect(nacsis.body.items.map((r: any) => r.id)).toEqual([ids.running, ids.big]);
      const recent = await http().get(`/api/jobs?from=${encodeURIComponent(hoursAgo(5))}`).set(viewer).expect(200);
      expect(recent.body.items.map((r: any) => r.id)).toEqual([ids.pending, ids.running, ids.done]);
      const older = await http().get(`/api/jobs?to=${encodeURIComponent(hoursAgo(10))}`).set(viewer).expect(200);
      expect(older.body.items.map((r: any) => r.id)).toEqual([ids.big, ids.failed]);
      const today = new Date().toISOString().slice(0, 10);
      const upToToday = await http().get(`/api/jobs?to=${today}`).set(viewer).expect(200);
      expect(upToToday.body.total).toBe(5); // a bare date includes the whole day
      const page1 = await http().get('/api/jobs?limit=2&offset=0').set(viewer).expect(200);
      const page2 = await http().get('/api/jobs?limit=2&offset=2').set(viewer).expect(200);
      const page3 = await http().get('/api/jobs?limit=2&offset=4').set(viewer).expect(200);
      expect(page1.body).toMatchObject({ total: 5, limit: 2, offset: 0 });
      expect([...page1.body.items, ...page2.body.items, ...page3.body.items].map((r: any) => r.id)).toEqual([ids.pending, ids.running, ids.done, ids.big, ids.failed]);
      expect(page3.body.items).toHaveLength(1);
    });

    it("lists one profile's job history, newest first; 404 for an unknown or malformed profile id", async () => {
      const history = await http().get(`/api/integration-profiles/${ids.libris}/job-history`).set(viewer).expect(200);
      expect(history.body).toMatchObject({ total: 3, limit: 50, offset: 0 });
      expect(history.body.items.map((r: any) => r.id)).toEqual([ids.pending, ids.done, ids.failed]);
      const paged = await http().get(`/api/integration-profiles/${ids.libris}/job-history?limit=1&offset=1`).set(viewer).expect(200);
      expect(paged.body.items.map((r: any) => r.id)).toEqual([ids.done]);
      const missing = await http().get('/api/integration-profiles/00000000-0000-4000-8000-000000000000/job-history').set(viewer).expect(404);
      expect(missing.body.code).toBe('NOT_FOUND');
      await http().get('/api/integration-profiles/LIBRIS_MAIN/job-history').set(viewer).expect(404);
    });
  });

  describe('job report', () => {
    it('answers the counters stored on a finished run and the failed records of each direction', async () => {
      const res = await http().get(`/api/jobs/${ids.done}`).set(viewer).expect(200);
      expect(res.body).toEqual({
        id: ids.done,
        profileId: ids.libris,
        jobName: 'Import resource sharing requests using profile Libris main library',
        trigger: 'MANUAL',
        state: 'COMPLETED_WITH_ERRORS',
        startedAt: expect.any(String),
        finishedAt: expect.any(String),
        window: { from: '2026-11-01', to: '2026-11-22' },
        progress: { stage: 'DONE', recordsRead: 7, detail: null },
        counters: DONE_COUNTERS,
        failedBorrowing: [{ externalId: 'Hig-261120-0007', reasonCode: 'LIBRARY_NOT_MAPPED', message: UNMAPPED_MESSAGE }],
        failedLending: [{ externalId: 'ILL0000009', reasonCode: 'MALFORMED_RECORD', message: MALFORMED_MESSAGE }],
        warnings: [],
        error: null,
      });
    });

    it('counts a running run live from its record events and shows the error of a failed run', async () => {
      const running = await http().get(`/api/jobs/${ids.running}`).set(viewer).expect(200);
      expect(running.body.counters).toMatchObject({ totalRecordsProcessed: 3, borrowingFailed: 1, lendingSucceeded: 2 });
      expect(running.body.failedBorrowing).toEqual([{ externalId: 'ILL1000003', reasonCode: 'LIBRARY_NOT_MAPPED', message: 'Library "FA777777" is not mapped' }]);
      expect(running.body.failedLending).toEqual([]);
      await event(ids.running, 'ILL1000004', 'LENDING', 'UNCHANGED');
      const later = await http().get(`/api/jobs/${ids.running}`).set(viewer).expect(200);
      expect(later.body.counters).toMatchObject({ totalRecordsProcessed: 4, unchanged: 1 });
      await pg.query(`DELETE FROM record_event WHERE job_run_id = $1 AND external_id = 'ILL1000004'`, [ids.running]);

      const failed = await http().get(`/api/jobs/${ids.failed}`).set(viewer).expect(200);
      expect(failed.body).toMatchObject({ state: 'FAILED', error: { code: 'EXTERNAL_SYSTEM_UNAVAILABLE', message: 'Libris did not answer after 3 attempts' }, window: { from: null, to: null } });
    });

    it('answers 404 for an unknown or malformed run id', async () => {
      const missing = await http().get('/api/jobs/00000000-0000-4000-8000-000000000000').set(viewer).expect(404);
      expect(missing.body).toMatchObject({ statusCode: 404, code: 'NOT_FOUND' });
      await http().get('/api/jobs/not-a-uuid').set(viewer).expect(404);
      await http().get('/api/jobs/not-a-uuid/events').set(viewer).expect(404);
      await http().get('/api/jobs/00000000-0000-4000-8000-000000000000/events.csv').set(viewer).expect(404);
      await http().post('/api/jobs/not-a-uuid/abort').set(operator).expect(404);
    });
  });

  describe('events report', () => {
    it('lists every record of the run and filters by outcome and direction', async () => {
      const all = await http().get(`/api/jobs/${ids.done}/events`).set(viewer).expect(200);
      expect(all.body).toMatchObject({ total: 7, limit: 50, offset: 0 });
      expect(all.body.items.map((e: any) => e.externalId)).toEqual(['Hig-261120-0001', 'Hig-261120-0002', 'Hig-261120-0003', 'Hig-261120-0007', 'ILL0000001', 'ILL0000009', 'ILL0000003']);
      expect(all.body.items[0]).toEqual({ externalId: 'Hig-261120-0001', direction: 'BORROWING', outcome: 'CREATED', reasonCode: null, message: null, warnings: [], requestId: ids.r1 });
      expect(all.body.items[4].warnings).toEqual(['Unknown partner code "Zz", kept as text']);

      const failed = await http().get(`/api/jobs/${ids.done}/events?outcome=FAILED`).set(viewer).expect(200);
      expect(failed.body.total).toBe(2);
      const failedLending = await http().get(`/api/jobs/${ids.done}/events?outcome=FAILED&direction=LENDING`).set(viewer).expect(200);
      expect(failedLending.body).toMatchObject({ total: 1, items: [{ externalId: 'ILL0000009', outcome: 'FAILED', reasonCode: 'MALFORMED_RECORD', message: MALFORMED_MESSAGE, requestId: null }] });
      const paged = await http().get(`/api/jobs/${ids.done}/events?limit=3&offset=3`).set(viewer).expect(200);
      expect(paged.body).toMatchObject({ total: 7, limit: 3, offset: 3 });
      expect(paged.body.items.map((e: any) => e.externalId)).toEqual(['Hig-261120-0007', 'ILL0000001', 'ILL0000009']);
    });

    it('downloads the same rows as RFC 4180 CSV in UTF-8, quoting commas, quotes and newlines', async () => {
      const res = await http().get(`/api/jobs/${ids.done}/events.csv`).set(viewer).expect(200);
      expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(res.headers['content-disposition']).toBe(`attachment; filename="job-${ids.done}-events.csv"`);
      expect(res.text.startsWith('externalId,direction,outcome,reasonCode,message,warnings,requestId\r\n')).toBe(true);
      expect(res.text).toContain(`"The requesting library ""Xyz"" is not mapped, add a library-code mapping"`);
      expect(res.text).toContain('"Record is malformed:\nfield ""title"" is not text, 処理中"');
      expect(res.text).toContain('Göteborg – 発送済み');
      const rows = parseCsv(res.text);
      expect(rows).toHaveLength(8);
      expect(rows[0]).toEqual(['externalId', 'direction', 'outcome', 'reasonCode', 'message', 'warnings', 'requestId']);
      expect(rows.slice(1).map((r) => r[0])).toEqual(['Hig-261120-0001', 'Hig-261120-0002', 'Hig-261120-0003', 'Hig-261120-0007', 'ILL0000001', 'ILL0000009', 'ILL0000003']);
      expect(rows[4]).toEqual(['Hig-261120-0007', 'BORROWING', 'FAILED', 'LIBRARY_NOT_MAPPED', UNMAPPED_MESSAGE, '', '']);
      expect(rows[5][5]).toBe('Unknown partner code "Zz", kept as text');
      expect(rows[6][4]).toBe(MALFORMED_MESSAGE);
      expect(rows[1][6]).toBe(ids.r1);
      for (const row of rows) expect(row).toHaveLength(7);

      const failed = parseCsv((await http().get(`/api/jobs/${ids.done}/events.csv?outcome=FAILED&direction=BORROWING`).set(viewer).expect(200)).text);
      expect(failed.map((r) => r[0])).toEqual(['externalId', 'Hig-261120-0007']);
    });

    it('streams a large run through several pages without losing or repeating a row', async () => {
      const res = await http().get(`/api/jobs/${ids.big}/events.csv`).set(viewer).expect(200);
      const rows = parseCsv(res.text);
      expect(rows).toHaveLength(2501);
      const external = rows.slice(1).map((r) => r[0]);
      expect(new Set(external).size).toBe(2500);
      expect(external[0]).toBe('BIG-00001');
      expect(external[2499]).toBe('BIG-02500');
    });
  });

  describe('request lists and facets', () => {
    it('filters by external system status (Japanese) and counts facets over the whole filtered set', async () => {
      const res = await http().get(`/api/lending-requests?externalSystemStatus=${encodeURIComponent('発送')}`).set(viewer).expect(200);
      expect(res.body.total).toBe(2);
      expect(res.body.items.map((r: any) => r.id)).toEqual([ids.n1, ids.n2]);
      for (const item of res.body.items) expect(item.externalSystemStatus).toBe('発送');
      const sum = (facet: { count: number }[]) => facet.reduce((s, f) => s + f.count, 0);
      expect(res.body.facets.externalSystemStatus).toEqual([{ value: '発送', count: 2 }]);
      expect(res.body.facets.status).toEqual([{ value: 'SHIPPED_PHYSICALLY', count: 2 }]);
      expect(res.body.facets.partnerCode).toEqual([{ value: 'FA001234', count: 1 }, { value: null, count: 1 }]);
      for (const facet of Object.values(res.body.facets) as any[]) expect(sum(facet)).toBe(res.body.total);

      const all = await http().get('/api/lending-requests').set(viewer).expect(200);
      expect(all.body.total).toBe(3);
      expect(all.body.facets.externalSystemStatus).toEqual([{ value: '発送', count: 2 }, { value: '処理中', count: 1 }]);
      expect(all.body.facets.partnerCode[0]).toEqual({ value: 'FA001234', count: 2 });

      const borrowing = await http().get(`/api/borrowing-requests?externalSystemStatus=${encodeURIComponent('発送')}`).set(viewer).expect(200);
      expect(borrowing.body.items.map((r: any) => r.id)).toEqual([ids.n4]);
    });

    it('answers the public fields in camelCase without raw, newest change first, and pages with facets of the whole set', async () => {
      const page1 = await http().get('/api/borrowing-requests?limit=2').set(viewer).expect(200);
      const page2 = await http().get('/api/borrowing-requests?limit=2&offset=2').set(viewer).expect(200);
      expect(page1.body).toMatchObject({ total: 4, limit: 2, offset: 0 });
      expect(page2.body).toMatchObject({ total: 4, limit: 2, offset: 2 });
      expect([...page1.body.items, ...page2.body.items].map((r: any) => r.id)).toEqual([ids.r1, ids.r2, ids.r3, ids.n4]);
      expect(page1.body.facets).toEqual(page2.body.facets);
      expect(page1.body.facets.externalSystemStatus).toEqual([{ value: 'Levererad', count: 2 }, { value: 'Uteliggande', count: 1 }, { value: '発送', count: 1 }]);
      const item = page1.body.items[0];
      expect(item).not.toHaveProperty('raw');
      expect(Object.keys(item).sort()).toEqual(
        [
          'id', 'profileId', 'system', 'direction', 'externalId', 'externalRef', 'requestNumber', 'status', 'externalSystemStatus', 'partnerCode', 'partners', 'ownerLibraryCode',
          'pickupLibraryCode', 'requesterName', 'requesterId', 'title', 'author', 'isbn', 'issn', 'publisher', 'placeOfPublication', 'year', 'edition', 'volume',
          'issue', 'pages', 'articleTitle', 'articleAuthor', 'format', 'note', 'lastInterestDate', 'dueDate', 'statusSince', 'overdue', 'syncState', 'createdAt', 'updatedAt',
        ].sort(),
      );
      expect(item).toMatchObject({ externalId: 'Hig-261120-0001', externalRef: '9001', status: 'SHIPPED_PHYSICALLY', externalSystemStatus: 'Levererad', partners: ['Hig', 'Gk'], title: 'Svensk bok, "citat" och åäö', syncState: 'IN_SYNC' });
    });

    it('filters by Swedish status, partner code ignoring case, profile, sync state and free text', async () => {
      const levererad = await http().get('/api/borrowing-requests?externalSystemStatus=Levererad').set(viewer).expect(200);
      expect(levererad.body.items.map((r: any) => r.id)).toEqual([ids.r1, ids.r2]);
      expect(levererad.body.facets.status).toEqual([{ value: 'SHIPPED_DIGITALLY', count: 1 }, { value: 'SHIPPED_PHYSICALLY', count: 1 }]);
      expect(levererad.body.facets.partnerCode.reduce((s: number, f: any) => s + f.count, 0)).toBe(2);
      const hig = await http().get('/api/borrowing-requests?partnerCode=HIG').set(viewer).expect(200);
      expect(hig.body.items.map((r: any) => r.id)).toEqual([ids.r1, ids.r2]);
      const byProfile = await http().get(`/api/borrowing-requests?profileId=${ids.nacsis}`).set(viewer).expect(200);
      expect(byProfile.body.items.map((r: any) => r.id)).toEqual([ids.n4]);
      const pushFailed = await http().get('/api/borrowing-requests?syncState=PUSH_FAILED').set(viewer).expect(200);
      expect(pushFailed.body.items.map((r: any) => r.id)).toEqual([ids.n4]);
      const status = await http().get('/api/borrowing-requests?status=REQUEST_SENT_TO_PARTNER').set(viewer).expect(200);
      expect(status.body.items.map((r: any) => r.id)).toEqual([ids.r3]);
      const q = async (text: string) => (await http().get(`/api/borrowing-requests?q=${encodeURIComponent(text)}`).set(viewer).expect(200)).body.items.map((r: any) => r.id);
      expect(await q('SVENSK')).toEqual([ids.r1]);
      expect(await q('lagerlöf')).toEqual([ids.r2]);
      expect(await q('261120-0003')).toEqual([ids.r3]);
      expect(await q('図書館')).toEqual([ids.n4]);
      expect(await q('100%')).toEqual([ids.r3]);
      expect(await q('%')).toEqual([ids.r3]); // literal, not a wildcard
      expect(await q('k_b')).toEqual([]); // "_" is literal too (as a wildcard it would find "Svensk bok")
      expect(await q('n_t')).toEqual([ids.r3]);
    });

    it('shows one request with raw, its history oldest first and its outbound actions by seq; 404 otherwise', async () => {
      const r1 = await http().get(`/api/requests/${ids.r1}`).set(viewer).expect(200);
      expect(r1.body).toMatchObject({ id: ids.r1, externalId: 'Hig-261120-0001', raw: { lf_number: 'Hig-261120-0001', status: 'Levererad' }, outboundActions: [] });
      expect(r1.body.events).toEqual([
        { type: 'CREATED', fromStatus: null, toStatus: 'REQUEST_SENT_TO_PARTNER', externalSystemStatus: 'Uteliggande', message: null, jobRunId: ids.done, actor: null, createdAt: expect.any(String) },
        { type: 'STATUS_CHANGED', fromStatus: 'REQUEST_SENT_TO_PARTNER', toStatus: 'SHIPPED_PHYSICALLY', externalSystemStatus: 'Levererad', message: null, jobRunId: ids.done, actor: null, createdAt: expect.any(String) },
      ]);
      const n4 = await http().get(`/api/requests/${ids.n4}`).set(viewer).expect(200);
      expect(n4.body.outboundActions.map((a: any) => [a.seq, a.action, a.state])).toEqual([
        [1, 'SHIP', 'SENT'],
        [2, 'RECEIVE', 'FAILED'],
      ]);
      expect(n4.body.outboundActions[1]).toEqual({
        id: expect.any(String), requestId: ids.n4, seq: 2, action: 'RECEIVE', nacsisCommand: 'RECEIVE', state: 'FAILED', attempts: 3, lastError: 'NACSIS refused: 受付不可', createdAt: expect.any(String), sentAt: null,
      });
      await http().get('/api/requests/00000000-0000-4000-8000-000000000000').set(viewer).expect(404);
      await http().get('/api/requests/Hig-261120-0001').set(viewer).expect(404);
    });
  });

  describe('metrics', () => {
    it('shows the import queue, runs by state and records by outcome', async () => {
      const metrics = await http().get('/metrics').expect(200);
      expect(metrics.text).toMatch(/illbridge_queue_jobs\{queue="import",state="waiting"\} 0/);
      expect(metrics.text).toContain('illbridge_job_runs{state="RUNNING"} 1');
      expect(metrics.text).toContain('illbridge_job_runs{state="COMPLETED_WITH_ERRORS"} 1');
      expect(metrics.text).toContain('illbridge_job_runs{state="ABORTED"} 0');
      // finished runs from their stored counters (7 + 2500), the running one live (3)
      expect(metrics.text).toContain('illbridge_records{outcome="CREATED"} 2503');
      expect(metrics.text).toContain('illbridge_records{outcome="FAILED"} 3');
      expect(metrics.text).toContain('illbridge_records{outcome="UNCHANGED"} 2');
    });
  });

  describe('abort', () => {
    it('ends a PENDING run that no worker has started ABORTED at once', async () => {
      const res = await http().post(`/api/jobs/${ids.pending}/abort`).set(operator).expect(200);
      expect(res.body).toMatchObject({ id: ids.pending, state: 'ABORTED', abortRequested: true, progress: { stage: 'DONE', recordsRead: 0 }, counters: { totalRecordsProcessed: 0 } });
      expect(res.body.finishedAt).toEqual(expect.any(String));
      const { rows } = await pg.query('SELECT state, abort_requested, finished_at, counters FROM job_run WHERE id = $1', [ids.pending]);
      expect(rows[0]).toMatchObject({ state: 'ABORTED', abort_requested: true, counters: { totalRecordsProcessed: 0, created: 0 } });
      expect(rows[0].finished_at).toBeInstanceOf(Date);
      const again = await http().post(`/api/jobs/${ids.pending}/abort`).set(operator).expect(409);
      expect(again.body.code).toBe('CONFLICT');
    });

    it('only flags a RUNNING run (the worker ends it) and refuses a finished run with 409', async () => {
      const res = await http().post(`/api/jobs/${ids.running}/abort`).set(admin).expect(200);
      expect(res.body).toMatchObject({ id: ids.running, state: 'RUNNING', abortRequested: true, finishedAt: null });
      const { rows } = await pg.query('SELECT state, abort_requested, finished_at FROM job_run WHERE id = $1', [ids.running]);
      expect(rows[0]).toEqual({ state: 'RUNNING', abort_requested: true, finished_at: null });
      const done = await http().post(`/api/jobs/${ids.done}/abort`).set(operator).expect(409);
      expect(done.body).toMatchObject({ statusCode: 409, code: 'CONFLICT' });
      expect((await pg.query('SELECT state FROM job_run WHERE id = $1', [ids.done])).rows[0].state).toBe('COMPLETED_WITH_ERRORS');
    });

    it('does not end a PENDING run that a worker has just started', async () => {
      // A worker started it between our read and our write: the conditional UPDATE must not match.
      const racing = await insert('job_run', { profile_id: ids.libris, job_name: 'race', trigger: 'MANUAL', state: 'PENDING', started_at: new Date().toISOString() });
      const res = await http().post(`/api/jobs/${racing}/abort`).set(operator).expect(200);
      expect(res.body).toMatchObject({ state: 'PENDING', abortRequested: true, finishedAt: null });
    });
  });
});
