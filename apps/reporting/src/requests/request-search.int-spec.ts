import { INestApplication } from '@nestjs/common';
import { Client } from 'pg';
import request from 'supertest';
import { AppConfig } from '@illbridge/common';
import { createTestDatabase, TEST_ADMIN_KEY, TestDatabase, testConfig, wipeQueuePrefix } from '@illbridge/testing';
import { runMigrations } from '@illbridge/database/migrate';
import { RequestSearchLowerDoc1796299740000 } from '@illbridge/database/migrations/1796299740000-RequestSearchLowerDoc';
import { createReportingApp } from '../main';
import { OVERDUE_SQL } from '../desk/overdue';

/** `q` over request_search, the narrow copy of rs_request kept by triggers (migration RequestSearch), written to
 *  with plain SQL against the real Postgres: after every kind of write the copy equals rs_request, and a search
 *  answers (total, facets, the page in each sort) what matching each searched column of rs_request answers. */
describe('request search over request_search (Postgres)', () => {
  let db: TestDatabase;
  let config: AppConfig;
  let app: INestApplication;
  let pg: Client;
  let profile: string;
  const admin = { Authorization: `Bearer ${TEST_ADMIN_KEY}` };

  const SEARCHED = ['title', 'author', 'external_id', 'requester_name', 'requester_id', 'request_number'];
  const COPIED = ['id', 'profile_id', 'direction', 'status', 'external_system_status', 'partner_code', 'sync_state', 'closed', 'due_date', 'status_since', 'created_at', 'updated_at'];
  const STATUSES = ['SHIPPED_PHYSICALLY', 'REQUEST_COMPLETED', 'RENEW_REQUESTED', 'CONDITIONAL'];
  const TITLES = ['Svensk historia', 'The history of science', '日本の歴史', 'Kemi 100%_ren', 'Modern konst i Östersund'];
  const AUTHORS = ['Lindgren, Astrid', 'Historik, Eva', null, 'Abc'];

  /** `n` rows with every searched field varied (some NULL), in one multi-row INSERT. */
  const insertRows = (from: number, n: number) =>
    pg.query(
      `INSERT INTO rs_request (profile_id, system, direction, external_id, status, external_system_status, partner_code, owner_library_code,
                               title, author, requester_name, requester_id, request_number, due_date, created_at, updated_at)
       SELECT $1, 'LIBRIS', CASE WHEN i % 4 = 0 THEN 'LENDING' ELSE 'BORROWING' END, 'LF-' || i, ($2::text[])[1 + i % 4],
              CASE WHEN i % 3 = 0 THEN NULL ELSE 'Levererad' END, CASE WHEN i % 5 = 0 THEN NULL ELSE 'P' || (i % 3) END, 'MAIN',
              CASE WHEN i % 11 = 0 THEN NULL ELSE ($3::text[])[1 + i % 5] END, ($4::text[])[1 + i % 4],
              CASE WHEN i % 2 = 0 THEN 'Patron ' || (i % 7) END, CASE WHEN i % 2 = 0 THEN 'B' || (1000 + i % 13) END,
              CASE WHEN i % 6 = 0 THEN 'ILB-' || lpad(i::text, 6, '0') END,
              CASE WHEN i % 3 = 0 THEN current_date - (i % 20) END,
              now() - i * interval '1 hour', now() - (i % 17) * interval '1 minute'
         FROM generate_series($5::int, $5::int + $6::int - 1) i`,
      [profile, STATUSES, TITLES, AUTHORS, from, n],
    );

  /** The copy holds exactly rs_request's rows, with their columns and the searched text. */
  async function expectCopyExact() {
    const copied = COPIED.join(', ');
    const { rows } = await pg.query(`
      WITH live AS (SELECT ${copied}, lower(concat_ws(E'\\x1f', ${SEARCHED.join(', ')})) AS doc FROM rs_request),
           kept AS (SELECT ${copied}, doc FROM request_search)
      SELECT (SELECT count(*) FROM ((TABLE live EXCEPT ALL TABLE kept) UNION ALL (TABLE kept EXCEPT ALL TABLE live)) d)::int AS differences,
             (SELECT count(*) FROM rs_request)::int AS n`);
    expect(rows[0].differences).toBe(0);
    return rows[0].n as number;
  }

  type Query = Record<string, string>;
  /** What the list answers, counted and paged over rs_request with `q` matched against each searched column. */
  async function live(direction: string, query: Query) {
    const conditions = ['direction = $1'];
    const params: unknown[] = [direction];
    const add = (sql: string, value: unknown) => conditions.push(sql.replace(/\?/g, () => `$${params.push(value)}`));
    if (query.status) add('status = ?', query.status);
    if (query.partnerCode) add('lower(partner_code) = lower(?)', query.partnerCode);
    if (query.q) {
      const pattern = `%${query.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      params.push(pattern);
      conditions.push(`(${SEARCHED.map((c) => `${c} ILIKE $${params.length} ESCAPE '\\'`).join(' OR ')})`);
    }
    if (query.overdue) conditions.push(query.overdue === 'true' ? OVERDUE_SQL : `NOT ${OVERDUE_SQL}`);
    const where = conditions.join(' AND ');
    const facet = async (column: string) =>
      (await pg.query(`SELECT ${column} AS value, count(*)::int AS count FROM rs_request WHERE ${where} GROUP BY 1`, params)).rows.sort(
        (a, b) => b.count - a.count || String(a.value ?? '\uffff').localeCompare(String(b.value ?? '\uffff')),
      );
    const sortColumn = { updatedAt: 'updated_at', title: 'title', dueDate: 'due_date', status: 'status' }[query.sort ?? 'updatedAt']!;
    const order = query.order === 'asc' ? 'ASC' : 'DESC';
    const ids = (
      await pg.query(
        `SELECT id FROM rs_request WHERE ${where} ORDER BY ${sortColumn} ${order} NULLS LAST, id ${order} LIMIT ${Number(query.limit ?? 50)} OFFSET ${Number(query.offset ?? 0)}`,
        params,
      )
    ).rows.map((r) => r.id);
    const overdue = (await pg.query(`SELECT count(*)::int AS n FROM rs_request WHERE ${where} AND ${OVERDUE_SQL}`, params)).rows[0].n;
    const status = await facet('status');
    const total = status.reduce((sum, f) => sum + f.count, 0);
    return {
      total,
      ids,
      facets: {
        status,
        externalSystemStatus: await facet('external_system_status'),
        partnerCode: await facet('partner_code'),
        syncState: await facet('sync_state'),
        overdue: [
          { value: 'true', count: overdue },
          { value: 'false', count: total - overdue },
        ],
      },
    };
  }

  async function answered(direction: string, query: Query) {
    const path = direction === 'BORROWING' ? 'borrowing-requests' : 'lending-requests';
    const res = await request(app.getHttpServer()).get(`/api/${path}`).query(query).set(admin).expect(200);
    return { total: res.body.total, ids: res.body.items.map((i: { id: string }) => i.id), facets: res.body.facets };
  }

  const QUERIES: Query[] = [
    { q: 'histor' },
    { q: 'HISTOR', status: 'SHIPPED_PHYSICALLY' },
    { q: 'histor', sort: 'title', order: 'asc', limit: '7', offset: '3' },
    { q: 'histor', sort: 'dueDate', limit: '5' },
    { q: 'patron 3', sort: 'status', order: 'asc' },
    { q: 'B1004' },
    { q: 'ILB-0000' },
    { q: 'LF-1' , partnerCode: 'p1', limit: '4', offset: '2' },
    { q: '100%_' },
    { q: '%' },
    { q: '歴史' },
    { q: 'ÖSTERSUND' },
    { q: 'lindgren, ASTRID' },
    { q: 'histor', overdue: 'true' },
    { q: 'nothing like this' },
  ];

  async function expectSearchesAnswerLive() {
    for (const direction of ['BORROWING', 'LENDING']) {
      for (const query of QUERIES) {
        const [want, got] = await Promise.all([live(direction, query), answered(direction, query)]);
        expect({ direction, query, ...got }).toEqual({ direction, query, ...want });
      }
    }
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    config = testConfig(db.url);
    pg = new Client({ connectionString: db.url });
    await pg.connect();
    app = await createReportingApp(config);
    await app.init();
    profile = (
      await pg.query(
        `INSERT INTO integration_profile (code, name, system, library_code, resource_sharing_library_code, version) VALUES ('LIBRIS_S', 'LIBRIS_S', 'LIBRIS', 'Hig', 'MAIN', 1) RETURNING id`,
      )
    ).rows[0].id;
  });

  afterAll(async () => {
    await app?.close();
    await pg?.end();
    if (config) await wipeQueuePrefix(config.redisUrl, config.queuePrefix);
    await db?.drop();
  });

  it('keeps the copy exact through inserts, upserts, updates, a purge, deletes and a rollback, and searches answer what rs_request answers', async () => {
    await insertRows(1, 300);
    expect(await expectCopyExact()).toBe(300);
    await expectSearchesAnswerLive();

    // Many rows at once: searched fields and facet columns changed, some set to and from NULL.
    await pg.query(`UPDATE rs_request SET title = 'A history of everything', status = 'REQUEST_COMPLETED', partner_code = NULL, updated_at = now() WHERE external_id LIKE 'LF-2%'`);
    await pg.query(`UPDATE rs_request SET author = CASE WHEN author IS NULL THEN 'Nyhistoriker' END, sync_state = 'PUSH_PENDING' WHERE substr(external_id, 4)::int % 3 = 0`);
    // The retention purge: the requester's name and id leave the search with the row's.
    await pg.query(`UPDATE rs_request SET requester_name = NULL, requester_id = NULL, personal_data_purged_at = now() WHERE substr(external_id, 4)::int % 4 = 0`);
    // An upsert: some rows new, some changed (both triggers fire).
    await pg.query(
      `INSERT INTO rs_request (profile_id, system, direction, external_id, status, owner_library_code, title, requester_name)
       SELECT $1, 'LIBRIS', 'BORROWING', 'LF-' || i, 'CONDITIONAL', 'MAIN', 'Historia ' || i, 'Patron 3' FROM generate_series(280, 330) i
       ON CONFLICT (profile_id, direction, external_id) DO UPDATE SET title = EXCLUDED.title, status = EXCLUDED.status, requester_name = EXCLUDED.requester_name`,
      [profile],
    );
    // An update that changes nothing the copy holds writes nothing to it.
    const before = (await pg.query(`SELECT xmin::text AS v FROM request_search ORDER BY id`)).rows;
    await pg.query(`UPDATE rs_request SET note = 'seen' WHERE true`);
    expect((await pg.query(`SELECT xmin::text AS v FROM request_search ORDER BY id`)).rows).toEqual(before);
    await pg.query(`DELETE FROM rs_request WHERE substr(external_id, 4)::int % 7 = 0`);
    const kept = await expectCopyExact();
    await pg.query('BEGIN');
    await insertRows(1000, 20);
    await pg.query(`UPDATE rs_request SET title = 'rolled back'`);
    await pg.query(`DELETE FROM rs_request WHERE external_id LIKE 'LF-1%'`);
    await pg.query('ROLLBACK');
    expect(await expectCopyExact()).toBe(kept);
    await expectSearchesAnswerLive();
    // The purged requester is not found by name any more.
    const purged = (await pg.query(`SELECT requester_name FROM rs_request WHERE substr(external_id, 4)::int = 8`)).rows[0];
    expect(purged.requester_name).toBeNull();
    const byPatron = await answered('BORROWING', { q: 'B1008' });
    const stillNamed = (await pg.query(`SELECT count(*)::int AS n FROM rs_request WHERE direction = 'BORROWING' AND requester_id ILIKE '%B1008%'`)).rows[0].n;
    expect(byPatron.total).toBe(stillNamed);
  });

  it("a search's page holds each request as the list without q answers it (every field, the overdue flag), in order", async () => {
    const list = async (query: Query) =>
      (await request(app.getHttpServer()).get('/api/borrowing-requests').query(query).set(admin).expect(200)).body as { total: number; items: { id: string }[] };
    const all = new Map((await list({ limit: '500' })).items.map((item) => [item.id, item]));
    for (const query of [{ q: 'histor' }, { q: 'histor', sort: 'status', order: 'asc', offset: '5' }, { q: 'histor', sort: 'dueDate', order: 'asc' }] as Query[]) {
      const found = await list(query);
      expect(found.items.length).toBeGreaterThan(3);
      expect(found.items).toEqual(found.items.map((item) => all.get(item.id)));
      expect(found.items.map((item) => item.id)).toEqual((await live('BORROWING', query)).ids);
    }
    // Past the last hit: no rows, and the facets still count every hit.
    const past = await list({ q: 'histor', offset: '10000' });
    expect(past.items).toEqual([]);
    expect(past.total).toBe((await list({ q: 'histor' })).total);
    expect(past.total).toBeGreaterThan(0);
  });

  it('never matches across two fields, and a control character in q matches nothing more', async () => {
    await pg.query(
      `INSERT INTO rs_request (profile_id, system, direction, external_id, status, owner_library_code, title, author)
       VALUES ($1, 'LIBRIS', 'BORROWING', 'EDGE-1', 'CONDITIONAL', 'MAIN', 'Zyxw', 'Qrst')`,
      [profile],
    );
    const total = async (q: string) => (await answered('BORROWING', { q })).total;
    expect(await total('yxw')).toBe(1);
    expect(await total('xwqr')).toBe(0); // the end of the title and the start of the author
    expect(await total('xw\u001fqr')).toBe(0); // the separator itself is dropped from q
    expect(await total('xw qr')).toBe(0);
  });

  it('RequestSearchLowerDoc rebuilds a copy written before it (mixed-case text) lower-cased, and searches find it again', async () => {
    // The copy as the RequestSearch migration wrote it: the text as typed.
    await pg.query(`UPDATE request_search s SET doc = concat_ws(E'\\x1f', r.title, r.author, r.external_id, r.requester_name, r.requester_id, r.request_number) FROM rs_request r WHERE r.id = s.id`);
    expect((await pg.query(`SELECT count(*)::int AS n FROM request_search WHERE doc <> lower(doc)`)).rows[0].n).toBeGreaterThan(0);
    // Run it again the way an upgrade does: as not yet applied, through runMigrations.
    const { name } = new RequestSearchLowerDoc1796299740000();
    await pg.query(`DELETE FROM migrations WHERE name = $1`, [name]);
    expect(await runMigrations(db.url)).toEqual([name]);
    await expectCopyExact();
    await expectSearchesAnswerLive();
  });

  it('TRUNCATE of rs_request empties the copy', async () => {
    await pg.query('TRUNCATE rs_request CASCADE');
    expect(await expectCopyExact()).toBe(0);
    expect((await answered('BORROWING', { q: 'histor' })).total).toBe(0);
  });
});
