import { INestApplication } from '@nestjs/common';
import { Client } from 'pg';
import request from 'supertest';
import { AppConfig } from '@illbridge/common';
import { createTestDatabase, TEST_ADMIN_KEY, TestDatabase, testConfig, wipeQueuePrefix } from '@illbridge/testing';
import { createReportingApp } from '../main';
import { OVERDUE_SQL } from '../desk/overdue';
import { FacetCompactionService } from './facet-compaction.service';

/** The facet counts kept by triggers on rs_request (migration RequestFacetCounts), written to with plain SQL,
 *  against the real Postgres: the lists answer exactly what a live GROUPING SETS count over rs_request answers. */
describe('request list facets from request_facet_delta (Postgres)', () => {
  let db: TestDatabase;
  let config: AppConfig;
  let app: INestApplication;
  let pg: Client;
  const others: Client[] = [];
  const admin = { Authorization: `Bearer ${TEST_ADMIN_KEY}` };
  const profiles: string[] = [];

  const FACETS = [['status', 'status'], ['externalSystemStatus', 'external_system_status'], ['partnerCode', 'partner_code'], ['syncState', 'sync_state']] as const;
  const STATUSES = ['CONDITIONAL', 'SHIPPED_PHYSICALLY', 'REQUEST_COMPLETED', 'RENEW_REQUESTED']; // valid in both directions
  const EXTERNAL = ['Levererad', '発送', 'Uteliggande', null];
  const PARTNERS = ['Hig', 'HIG', 'hig', 'U', 'FA001234', null];
  const SYNC = ['IN_SYNC', 'PUSH_PENDING', 'PUSH_FAILED'];
  let serial = 0;

  /** `n` rows of varied keys, direction, profile (or none), in one multi-row INSERT. */
  const insertRows = (client: Client, n: number, seed: number) => {
    const start = serial;
    serial += n;
    return client.query(
      `INSERT INTO rs_request (profile_id, system, direction, external_id, status, external_system_status, partner_code, owner_library_code, title, sync_state)
       SELECT CASE WHEN (i + $2) % 7 = 0 THEN NULL ELSE ($3::uuid[])[1 + (i + $2) % 2] END, 'LIBRIS',
              CASE WHEN (i * 3 + $2) % 4 = 0 THEN 'LENDING' ELSE 'BORROWING' END, 'X-' || i,
              ($4::text[])[1 + (i + $2) % 4], ($5::text[])[1 + (i * 5 + $2) % 4], ($6::text[])[1 + (i * 7 + $2) % 6], 'MAIN', 'Title ' || i,
              ($7::text[])[1 + (i * 11 + $2) % 3]
         FROM generate_series($1::int + 1, $1::int + $8::int) i`,
      [start, seed, profiles, STATUSES, EXTERNAL, PARTNERS, SYNC, n],
    );
  };

  type Filters = Record<string, string>;
  const filterSets = (): Filters[] => [
    {},
    { status: 'SHIPPED_PHYSICALLY' },
    { status: 'REQUEST_COMPLETED', externalSystemStatus: '発送' },
    { externalSystemStatus: 'Levererad' },
    { partnerCode: 'hig' },
    { partnerCode: 'fa001234', syncState: 'PUSH_FAILED' },
    { profileId: profiles[0] },
    { profileId: profiles[1], status: 'RENEW_REQUESTED' },
    { syncState: 'PUSH_PENDING' },
    { status: 'CONDITIONAL', externalSystemStatus: 'Uteliggande', partnerCode: 'U', profileId: profiles[0], syncState: 'IN_SYNC' },
  ];

  /** What the list answered before request_facet_delta: counted over rs_request. */
  async function liveFacets(direction: string, filters: Filters) {
    const conditions = ['direction = $1'];
    const params: unknown[] = [direction];
    const add = (sql: string, value: unknown) => conditions.push(sql.replace('?', `$${params.push(value)}`));
    if (filters.status) add('status = ?', filters.status);
    if (filters.externalSystemStatus) add('external_system_status = ?', filters.externalSystemStatus);
    if (filters.partnerCode) add('lower(partner_code) = lower(?)', filters.partnerCode);
    if (filters.profileId) add('profile_id = ?', filters.profileId);
    if (filters.syncState) add('sync_state = ?', filters.syncState);
    const { rows } = await pg.query(
      `SELECT status, external_system_status, partner_code, sync_state, GROUPING(status) AS g_status, GROUPING(external_system_status) AS g_external_system_status,
              GROUPING(partner_code) AS g_partner_code, GROUPING(sync_state) AS g_sync_state, count(*)::int AS count
         FROM rs_request WHERE ${conditions.join(' AND ')}
        GROUP BY GROUPING SETS ((status), (external_system_status), (partner_code), (sync_state))`,
      params,
    );
    const facets: Record<string, { value: string | null; count: number }[]> = {};
    for (const [name, column] of FACETS) {
      facets[name] = rows
        .filter((r) => r[`g_${column}`] === 0)
        .map((r) => ({ value: r[column], count: r.count }))
        .sort((a, b) => b.count - a.count || String(a.value ?? '\uffff').localeCompare(String(b.value ?? '\uffff')));
    }
    const total = facets.status.reduce((s, f) => s + f.count, 0);
    const overdue = await pg.query(`SELECT count(*)::int AS n FROM rs_request WHERE ${[...conditions, OVERDUE_SQL].join(' AND ')}`, params);
    facets.overdue = [
      { value: 'true', count: overdue.rows[0].n },
      { value: 'false', count: total - overdue.rows[0].n },
    ];
    return { total, facets };
  }

  async function answered(direction: string, filters: Filters) {
    const path = direction === 'BORROWING' ? 'borrowing-requests' : 'lending-requests';
    const res = await request(app.getHttpServer()).get(`/api/${path}`).query({ ...filters, limit: 1 }).set(admin).expect(200);
    return { total: res.body.total, facets: res.body.facets };
  }

  /** Every filter set, both directions: the list's facets equal the live count; the table's sums per key equal
   *  rs_request's counts per key, with no key summing to less than zero. */
  async function expectConsistent() {
    for (const direction of ['BORROWING', 'LENDING']) {
      for (const filters of filterSets()) {
        const [live, got] = await Promise.all([liveFacets(direction, filters), answered(direction, filters)]);
        expect({ direction, filters, ...got }).toEqual({ direction, filters, ...live });
        for (const facet of Object.values(got.facets) as { count: number }[][]) expect(facet.reduce((s, f) => s + f.count, 0)).toBe(got.total);
      }
    }
    const { rows } = await pg.query(`
      WITH live AS (SELECT profile_id, direction, status, external_system_status, partner_code, sync_state, count(*)::int AS n FROM rs_request GROUP BY 1, 2, 3, 4, 5, 6),
           kept AS (SELECT profile_id, direction, status, external_system_status, partner_code, sync_state, sum(n)::int AS n FROM request_facet_delta GROUP BY 1, 2, 3, 4, 5, 6 HAVING sum(n) <> 0)
      SELECT (SELECT count(*) FROM ((TABLE live EXCEPT ALL TABLE kept) UNION ALL (TABLE kept EXCEPT ALL TABLE live)) d)::int AS differences,
             (SELECT count(*) FROM kept WHERE n < 0)::int AS negative, (SELECT count(*) FROM live)::int AS keys`);
    expect(rows[0]).toMatchObject({ differences: 0, negative: 0 });
    return rows[0].keys as number;
  }

  const deltaRows = async () => (await pg.query(`SELECT count(*)::int AS n, count(*) FILTER (WHERE NOT compacted)::int AS pending FROM request_facet_delta`)).rows[0];
  const compact = async (client = pg) => (await client.query('SELECT request_facet_compact() AS folded')).rows[0].folded as number;

  beforeAll(async () => {
    db = await createTestDatabase();
    config = testConfig(db.url);
    pg = new Client({ connectionString: db.url });
    await pg.connect();
    for (let i = 0; i < 4; i++) {
      const c = new Client({ connectionString: db.url });
      await c.connect();
      others.push(c);
    }
    app = await createReportingApp(config);
    await app.init();
    for (const code of ['LIBRIS_A', 'LIBRIS_B']) {
      const { rows } = await pg.query(
        `INSERT INTO integration_profile (code, name, system, library_code, resource_sharing_library_code, version) VALUES ($1, $1, 'LIBRIS', 'Hig', 'MAIN', 1) RETURNING id`,
        [code],
      );
      profiles.push(rows[0].id);
    }
  });

  afterAll(async () => {
    await app?.close();
    for (const c of others) await c.end();
    await pg?.end();
    if (config) await wipeQueuePrefix(config.redisUrl, config.queuePrefix);
    await db?.drop();
  });

  it('counts multi-row inserts, updates, upserts and deletes, before and after compaction', async () => {
    await insertRows(pg, 400, 1);
    await insertRows(pg, 250, 2);
    expect((await deltaRows()).pending).toBeGreaterThan(0);
    await expectConsistent();

    // Facet columns changed on many rows at once, one of them set to NULL, another from NULL.
    await pg.query(`UPDATE rs_request SET status = 'REQUEST_COMPLETED', external_system_status = NULL WHERE external_id LIKE 'X-1%'`);
    await pg.query(`UPDATE rs_request SET partner_code = CASE WHEN partner_code IS NULL THEN 'Gk' ELSE NULL END, sync_state = 'PUSH_FAILED' WHERE substr(external_id, 3)::int % 3 = 0`);
    await pg.query(`UPDATE rs_request SET profile_id = $1 WHERE profile_id IS NULL AND direction = 'LENDING'`, [profiles[1]]);
    // An update that changes no facet column appends nothing.
    const before = await deltaRows();
    await pg.query(`UPDATE rs_request SET title = title || '.', updated_at = now()`);
    await pg.query(`UPDATE rs_request SET status = status WHERE false`);
    expect(await deltaRows()).toEqual(before);
    await expectConsistent();

    // Upsert: some rows new, some existing ones changed (both the INSERT and the UPDATE trigger fire).
    await pg.query(
      `INSERT INTO rs_request (profile_id, system, direction, external_id, status, external_system_status, partner_code, owner_library_code)
       SELECT $1, 'LIBRIS', 'BORROWING', 'X-' || i, 'CANCELED_BY_STAFF', 'Avbeställd', 'Ldo', 'MAIN' FROM generate_series(550, 649) i
       ON CONFLICT (profile_id, direction, external_id) DO UPDATE SET status = EXCLUDED.status, external_system_status = EXCLUDED.external_system_status, partner_code = EXCLUDED.partner_code`,
      [profiles[0]],
    );
    await expectConsistent();

    await pg.query(`DELETE FROM rs_request WHERE substr(external_id, 3)::int % 5 = 1`);
    await expectConsistent();

    const folded = await compact();
    expect(folded).toBeGreaterThan(0);
    const after = await deltaRows();
    expect(after.pending).toBe(0);
    const keys = await expectConsistent();
    // Folded: one row per key, no zero rows.
    expect(after.n).toBe(keys);
    expect((await pg.query(`SELECT count(*)::int AS n FROM request_facet_delta WHERE n = 0`)).rows[0].n).toBe(0);
    // Nothing new: a second fold keeps the same sums.
    await compact();
    expect((await deltaRows()).n).toBe(keys);
    await expectConsistent();
  });

  it('ignores a rolled-back transaction, and a transaction still running while a compaction folds the rest', async () => {
    const before = await deltaRows();
    await pg.query('BEGIN');
    await insertRows(pg, 50, 3);
    await pg.query(`UPDATE rs_request SET status = 'SHIPPED_PHYSICALLY'`);
    await pg.query(`DELETE FROM rs_request WHERE external_id LIKE 'X-2%'`);
    await pg.query('ROLLBACK');
    expect(await deltaRows()).toEqual(before);
    await expectConsistent();

    const [open, other] = others;
    await open.query('BEGIN');
    await insertRows(open, 40, 4);
    await open.query(`UPDATE rs_request SET partner_code = 'Open' WHERE external_id LIKE 'X-3%'`);
    await insertRows(other, 30, 5);
    expect(await compact(other)).toBeGreaterThan(0); // folds the committed rows, not the open transaction's
    await expectConsistent();
    await open.query('COMMIT');
    await expectConsistent();
    await compact();
    expect((await deltaRows()).pending).toBe(0);
    await expectConsistent();
  });

  it('stays exact under concurrent writers and concurrent compactions', async () => {
    // Every writer changes one shared row first (the others wait for its row lock), then only rows of its own.
    const { rows } = await pg.query(`SELECT id FROM rs_request ORDER BY external_id LIMIT 1`);
    const shared = rows[0].id;
    const writer = async (client: Client, k: number) => {
      for (let round = 0; round < 8; round++) {
        await client.query('BEGIN');
        await client.query(`UPDATE rs_request SET status = $1, partner_code = $2 WHERE id = $3`, [STATUSES[(k + round) % 4], PARTNERS[(k * 3 + round) % 6], shared]);
        const first = serial + 1;
        await insertRows(client, 20, k * 10 + round);
        const own = `substr(external_id, 3)::int BETWEEN ${first} AND ${first + 19}`;
        await client.query(`UPDATE rs_request SET status = $1, sync_state = $2 WHERE ${own} AND substr(external_id, 3)::int % 3 = $3`, [STATUSES[(k + round + 1) % 4], SYNC[round % 3], round % 3]);
        await client.query(`UPDATE rs_request SET external_system_status = $1 WHERE id <> $2 AND substr(external_id, 3)::int % 4 = $3 AND substr(external_id, 3)::int < 1000`, [EXTERNAL[round % 4], shared, k + 1]);
        if (round % 3 === 2) await client.query(`DELETE FROM rs_request WHERE ${own} AND substr(external_id, 3)::int % 5 = 0`);
        await client.query(round % 4 === 3 ? 'ROLLBACK' : 'COMMIT');
      }
    };
    const compactor = async (client: Client) => {
      const results: number[] = [];
      for (let i = 0; i < 10; i++) {
        results.push(await compact(client));
        await new Promise((r) => setTimeout(r, 5));
      }
      return results;
    };
    const [, , c1, c2] = await Promise.all([writer(others[0], 1), writer(others[1], 2), compactor(others[2]), compactor(others[3])]);
    expect([...c1, ...c2].every((n) => n >= -1)).toBe(true);
    await expectConsistent();
    await compact();
    await expectConsistent();
  });

  it('follows requests moved off a profile (a profile in use cannot be deleted) and TRUNCATE', async () => {
    const { rows } = await pg.query(
      `INSERT INTO integration_profile (code, name, system, library_code, resource_sharing_library_code, version) VALUES ('GONE', 'Gone', 'LIBRIS', 'Hig', 'MAIN', 1) RETURNING id`,
    );
    await pg.query(
      `UPDATE rs_request SET profile_id = $1 WHERE id IN (SELECT DISTINCT ON (direction, external_id) id FROM rs_request WHERE substr(external_id, 3)::int % 4 = 0)`,
      [rows[0].id],
    );
    await compact();
    // A profile with requests is never deleted (ON DELETE RESTRICT): the counts stay as they were.
    await expect(pg.query(`DELETE FROM integration_profile WHERE id = $1`, [rows[0].id])).rejects.toThrow(/foreign key/);
    await expectConsistent();
    await pg.query(`UPDATE rs_request SET profile_id = NULL WHERE profile_id = $1`, [rows[0].id]);
    await pg.query(`DELETE FROM integration_profile WHERE id = $1`, [rows[0].id]);
    await expectConsistent();

    await pg.query('TRUNCATE rs_request CASCADE');
    expect((await deltaRows()).n).toBe(0);
    expect(await answered('BORROWING', {})).toEqual({
      total: 0,
      facets: { status: [], externalSystemStatus: [], partnerCode: [], syncState: [], overdue: [{ value: 'true', count: 0 }, { value: 'false', count: 0 }] },
    });
    // A rolled-back TRUNCATE keeps the counts.
    await insertRows(pg, 100, 6);
    await pg.query('BEGIN');
    await pg.query('TRUNCATE rs_request CASCADE');
    await pg.query('ROLLBACK');
    await expectConsistent();
    await compact();
    await expectConsistent();
  });

  it('is compacted by the reporting service when rows were appended, and at once when a read sums many', async () => {
    const service = app.get(FacetCompactionService);
    await insertRows(pg, 60, 7);
    expect((await deltaRows()).pending).toBeGreaterThan(0);
    expect(await service.compactIfPending()).toBeGreaterThan(0);
    expect((await deltaRows()).pending).toBe(0);
    expect(await service.compactIfPending()).toBe(0);
    await expectConsistent();

    const threshold = FacetCompactionService.PENDING_THRESHOLD;
    FacetCompactionService.PENDING_THRESHOLD = 10;
    try {
      for (let i = 0; i < 12; i++) await pg.query(`UPDATE rs_request SET sync_state = $1 WHERE external_id = (SELECT min(external_id) FROM rs_request WHERE direction = 'BORROWING')`, [SYNC[i % 3]]);
      expect((await deltaRows()).pending).toBeGreaterThanOrEqual(10);
      await answered('BORROWING', {});
      await (service as any).running;
      expect((await deltaRows()).pending).toBe(0);
    } finally {
      FacetCompactionService.PENDING_THRESHOLD = threshold;
    }
    await expectConsistent();
  });
});
