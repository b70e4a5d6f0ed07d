import { INestApplication } from '@nestjs/common';
import { Client } from 'pg';
import { AppConfig } from '@illbridge/common';
import { createTestDatabase, TestDatabase, testConfig, wipeQueuePrefix } from '@illbridge/testing';
import { createReportingApp } from '../main';
import { StatisticsService } from './statistics';

/** The statistics' per-group recompute (migration StatisticsGroups, StatisticsService.refresh) against the real
 *  Postgres: after every kind of history write, request_stats_month holds exactly what a full GROUPING SETS
 *  computation over request_stats answers, and an event that changes no milestone marks nothing. */
describe('statistics recomputed per changed group (Postgres)', () => {
  let db: TestDatabase;
  let config: AppConfig;
  let app: INestApplication;
  let stats: StatisticsService;
  let pg: Client;
  const profiles: string[] = [];
  const requests: { id: string; month: string }[] = [];

  /** Every group of every month, computed from scratch (the computation the per-group refresh must equal). */
  const fullRecompute = async () =>
    (
      await pg.query(
        `SELECT month, direction, all_profiles, profile_id, all_partners, partner_code, created, filled, unfilled, ship[1] AS ship_p50, ship[2] AS ship_p90, receive[1] AS receive_p50, receive[2] AS receive_p90
           FROM (SELECT to_char(created_month, 'YYYY-MM') AS month, direction, GROUPING(profile_id) = 1 AS all_profiles, profile_id, GROUPING(partner_code) = 1 AS all_partners, partner_code,
                count(*)::int AS created, count(*) FILTER (WHERE shipped_at IS NOT NULL)::int AS filled,
                count(*) FILTER (WHERE shipped_at IS NULL AND unfilled_at IS NOT NULL)::int AS unfilled,
                percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY ship_secs) AS ship,
                percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY receive_secs) AS receive
           FROM request_stats
          GROUP BY GROUPING SETS ((created_month, direction, profile_id, partner_code), (created_month, direction, profile_id),
                                  (created_month, direction, partner_code), (created_month, direction))) g
          ORDER BY 1, 2, 3, 4 NULLS FIRST, 5, 6 NULLS FIRST`,
      )
    ).rows;
  const computed = async () =>
    (
      await pg.query(
        `SELECT to_char(created_month, 'YYYY-MM') AS month, direction, all_profiles, profile_id, all_partners, partner_code, created, filled, unfilled,
                ship_p50, ship_p90, receive_p50, receive_p90
           FROM request_stats_month ORDER BY 1, 2, 3, 4 NULLS FIRST, 5, 6 NULLS FIRST`,
      )
    ).rows;
  const marked = async () => (await pg.query(`SELECT to_char(created_month, 'YYYY-MM') AS month, direction, profile_id, partner_code FROM request_stats_dirty ORDER BY id`)).rows;
  const event = (requestId: string, toStatus: string, at: string) =>
    pg.query(`INSERT INTO request_event (request_id, type, to_status, created_at) VALUES ($1, 'STATUS_CHANGED', $2, $3)`, [requestId, toStatus, at]);
  const refreshAndCompare = async () => {
    await stats.refresh('0001-01-01', '9999-12-01');
    expect(await marked()).toEqual([]);
    expect(await computed()).toEqual(await fullRecompute());
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    config = testConfig(db.url);
    pg = new Client({ connectionString: db.url });
    await pg.connect();
    for (const code of ['P0', 'P1'])
      profiles.push((await pg.query(`INSERT INTO integration_profile (code, name, system, library_code, resource_sharing_library_code, version) VALUES ($1, $1, 'LIBRIS', 'X', 'MAIN', 1) RETURNING id`, [code])).rows[0].id);
    // 60 requests over two months, three partners (one of them none), two profiles and none, both directions.
    const partners = ['Hig', 'U', null];
    for (let i = 0; i < 60; i++) {
      const month = i % 2 ? '2026-03' : '2026-04';
      const created = `${month}-${String(1 + (i % 20)).padStart(2, '0')}T08:00:00Z`;
      const { rows } = await pg.query(
        `INSERT INTO rs_request (profile_id, system, direction, external_id, status, partner_code, owner_library_code, title, created_at)
         VALUES ($1, 'LIBRIS', $2, $3, 'REQUEST_CREATED', $4, 'MAIN', 'T', $5) RETURNING id`,
        [i % 5 === 0 ? null : profiles[i % 2], i % 3 ? 'BORROWING' : 'LENDING', `S-${i}`, partners[i % 3], created],
      );
      requests.push({ id: rows[0].id, month });
      await pg.query(`INSERT INTO request_event (request_id, type, to_status, created_at) VALUES ($1, 'CREATED', 'REQUEST_CREATED', $2)`, [rows[0].id, created]);
      if (i % 4 !== 3) await event(rows[0].id, 'SHIPPED_PHYSICALLY', `${month}-25T08:00:00Z`.replace('-25T', `-${21 + (i % 7)}T`));
      if (i % 4 === 0) await event(rows[0].id, 'PHYSICALLY_RECEIVED_BY_LIBRARY', `${month}-28T12:00:00Z`);
      if (i % 4 === 3 && i % 8 === 3) await event(rows[0].id, 'REJECTED_BY_PARTNER', `${month}-27T08:00:00Z`);
    }
    app = await createReportingApp(config);
    stats = app.get(StatisticsService);
  });

  afterAll(async () => {
    await app?.close();
    await pg?.end();
    await wipeQueuePrefix(config.redisUrl, config.queuePrefix);
    await db?.drop();
  });

  it('computes every group once, and marks nothing for events that change no milestone', async () => {
    await refreshAndCompare();
    expect((await computed()).length).toBeGreaterThan(20);
    await pg.query(`INSERT INTO request_event (request_id, type, to_status, message) SELECT id, 'NOTE', NULL, 'a note' FROM rs_request`);
    await pg.query(`INSERT INTO request_event (request_id, type, to_status) VALUES ($1, 'UPDATED', 'REQUEST_SENT_TO_PARTNER')`, [requests[1].id]);
    // Shipped already: a second SHIPPED changes no milestone (the first shipment counts).
    await event(requests[0].id, 'SHIPPED_PHYSICALLY', '2026-05-01T08:00:00Z');
    expect(await marked()).toEqual([]);
  });

  it('a shipment marks its own group only, and the recompute equals a full computation', async () => {
    const unshipped = requests[3];
    const [row] = (await pg.query(`SELECT direction, profile_id, partner_code FROM rs_request WHERE id = $1`, [unshipped.id])).rows;
    await event(unshipped.id, 'SHIPPED_PHYSICALLY', `${unshipped.month}-26T08:00:00Z`);
    expect(await marked()).toEqual([{ month: unshipped.month, direction: row.direction, profile_id: row.profile_id, partner_code: row.partner_code }]);
    const before = await computed();
    await refreshAndCompare();
    expect(await computed()).not.toEqual(before);
  });

  it('a request that moved to another partner and profile leaves both its old and its new groups right', async () => {
    const moved = requests[7];
    await pg.query(`UPDATE rs_request SET partner_code = 'Ny', profile_id = $2 WHERE id = $1`, [moved.id, profiles[0]]);
    await event(moved.id, 'PHYSICALLY_RECEIVED_BY_LIBRARY', `${moved.month}-28T09:00:00Z`);
    expect((await marked()).map((k) => k.partner_code).sort()).toEqual(['Ny', 'U'].sort());
    await refreshAndCompare();
    expect((await computed()).some((r) => r.partner_code === 'Ny')).toBe(true);
  });

  it('a batch of events over many requests in one statement, and a rolled-back one, come out as a full computation does', async () => {
    await pg.query(
      `INSERT INTO request_event (request_id, type, to_status, created_at)
       SELECT id, 'STATUS_CHANGED', 'REJECTED_BY_PARTNER', created_at + interval '3 days' FROM rs_request WHERE external_id LIKE 'S-%1'`,
    );
    await pg.query('BEGIN');
    await event(requests[11].id, 'SHIPPED_PHYSICALLY', '2026-03-30T08:00:00Z');
    await pg.query('ROLLBACK');
    expect((await marked()).length).toBeGreaterThan(1);
    await refreshAndCompare();
  });

  it('the API answers the recomputed groups', async () => {
    const answer = await stats.statistics({ from: '2026-03', to: '2026-04', profileId: profiles[0] });
    const expected = (await fullRecompute()).filter((r) => !r.all_profiles && r.profile_id === profiles[0]);
    const sorted = (rows: unknown[][]) => rows.map((r) => JSON.stringify(r)).sort();
    expect(answer.rows.length).toBeGreaterThan(3);
    expect(sorted(answer.rows.map((r) => [r.month, r.direction, r.partnerCode, r.created, r.filled, r.rejectedOrCancelled]))).toEqual(
      sorted(expected.filter((r) => !r.all_partners).map((r) => [r.month, r.direction, r.partner_code, r.created, r.filled, r.unfilled])),
    );
    expect(answer.totals.map((r) => [r.month, r.direction, r.created])).toEqual(expected.filter((r) => r.all_partners).map((r) => [r.month, r.direction, r.created]));
  });
});
