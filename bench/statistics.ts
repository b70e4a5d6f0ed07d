/* Statistics over many requests (GET /api/statistics): loads rs_request and its history through the real write
   path of history — request_event rows, whose statement trigger keeps request_stats (migration DeskWorkQueues) —
   in chunks: every request a CREATED event, most a SHIPPED one, many a RECEIVED one, some a REJECTED or CANCELLED
   one, over 36 months and 60 partners. Then times the reporting app's statistics calls over HTTP (the app in this
   process) and checks the whole-range totals against a count over request_event. */
import { Client } from 'pg';
import { createReportingApp } from '../apps/reporting/src/main';
import { ADMIN_KEY, appConfig, dropDatabase, envNumber, freshDatabase, PartResult, percentile } from './lib';

const DB = 'illbridge_bench_statistics';
const CALLS = envNumber('BENCH_STATISTICS_CALLS', 30);
const CHUNK = 200_000;
const MONTHS = 36;

async function load(pg: Client, n: number): Promise<{ seconds: number; events: number; profileIds: string[] }> {
  const started = Date.now();
  const profileIds: string[] = [];
  for (const [code, system] of [['LIBRIS_A', 'LIBRIS'], ['LIBRIS_B', 'LIBRIS'], ['NACSIS_A', 'NACSIS'], ['NETPUNKT_A', 'NETPUNKT']]) {
    profileIds.push((await pg.query(`INSERT INTO integration_profile (code, name, system, library_code, resource_sharing_library_code, version) VALUES ($1, $1, $2, 'X', 'MAIN', 1) RETURNING id`, [code, system])).rows[0].id);
  }
  await pg.query('SELECT setseed(0.2026)');
  for (let from = 1; from <= n; from += CHUNK) {
    const to = Math.min(n, from + CHUNK - 1);
    // One statement per chunk for the requests, one for their history (the stats trigger runs once per statement).
    await pg.query(
      `INSERT INTO rs_request (id, profile_id, system, direction, external_id, status, partner_code, owner_library_code, format, title, created_at)
       SELECT md5('r' || i)::uuid, ($3::uuid[])[1 + i % 4], CASE i % 4 WHEN 2 THEN 'NACSIS' WHEN 3 THEN 'NETPUNKT' ELSE 'LIBRIS' END,
              CASE WHEN i % 10 < 7 THEN 'BORROWING' ELSE 'LENDING' END, 'B' || i, 'REQUEST_SENT_TO_PARTNER',
              'P' || floor(power(random(), 2) * 60)::int, 'MAIN', 'LOAN', 'Title ' || i, now() - random() * interval '${MONTHS * 30} days'
         FROM generate_series($1::int, $2::int) AS i`,
      [from, to, profileIds],
    );
    await pg.query(
      `WITH r AS (SELECT id, direction, created_at, random() AS fate, random() AS speed FROM rs_request WHERE external_id = ANY (SELECT 'B' || i FROM generate_series($1::int, $2::int) i))
       INSERT INTO request_event (request_id, type, to_status, created_at)
       SELECT id, 'CREATED', 'REQUEST_SENT_TO_PARTNER', created_at FROM r
       UNION ALL
       SELECT id, 'STATUS_CHANGED', 'SHIPPED_PHYSICALLY', created_at + speed * interval '10 days' FROM r WHERE fate < 0.75
       UNION ALL
       SELECT id, 'STATUS_CHANGED', CASE direction WHEN 'BORROWING' THEN 'PHYSICALLY_RECEIVED_BY_LIBRARY' ELSE 'RECEIVED_BY_PARTNER' END,
              created_at + speed * interval '10 days' + fate * interval '8 days' FROM r WHERE fate < 0.65
       UNION ALL
       SELECT id, 'STATUS_CHANGED', CASE direction WHEN 'BORROWING' THEN 'REJECTED_BY_PARTNER' ELSE 'REJECTED' END, created_at + interval '2 days' FROM r WHERE fate >= 0.85`,
      [from, to],
    );
    console.log(`  statistics: ${to} of ${n} requests with their history loaded`);
  }
  await pg.query('VACUUM ANALYZE rs_request');
  await pg.query('VACUUM ANALYZE request_event');
  await pg.query('VACUUM ANALYZE request_stats');
  const [{ events }] = (await pg.query('SELECT count(*)::int AS events FROM request_event')).rows;
  return { seconds: (Date.now() - started) / 1000, events, profileIds };
}

export async function statisticsBench(n: number, prefix: string): Promise<PartResult> {
  const rows: PartResult['rows'] = [];
  const notes: string[] = [];
  const url = await freshDatabase(DB);
  const pg = new Client({ connectionString: url });
  await pg.connect();
  const app = await createReportingApp(appConfig(url, prefix));
  try {
    const loaded = await load(pg, n);
    notes.push(
      `Statistics: ${n} requests and ${loaded.events} history events (CREATED; SHIPPED 75%, RECEIVED 65%, REJECTED 15%) over ${MONTHS} months, 60 partners, ` +
        `4 profiles, loaded in ${loaded.seconds.toFixed(0)} s through request_event (its trigger keeps request_stats).`,
    );
    await app.listen(0, '127.0.0.1');
    const base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    const now = new Date();
    const month = (back: number) => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - back, 1)).toISOString().slice(0, 7);
    const every = { from: month(MONTHS), to: month(0) };
    // The first call after the load finds every month changed and computes them all.
    const t0 = performance.now();
    const first = await fetch(`${base}/api/statistics?${new URLSearchParams(every)}`, { headers: { Authorization: `Bearer ${ADMIN_KEY}` } });
    if (!first.ok) throw new Error(`GET /api/statistics: HTTP ${first.status}`);
    notes.push(`Statistics: the first call after the load computed all ${MONTHS + 1} months (request_stats_month) in ${Math.round(performance.now() - t0)} ms; later calls recompute only the groups (month × direction × profile × partner) whose milestones changed since.`);
    const [recent] = (await pg.query(`SELECT id FROM rs_request ORDER BY created_at DESC LIMIT 1`)).rows;
    /** Before a call: the `ship` latest requests not shipped yet (this month's, then last month's) are shipped in one statement (each marks its
     *  groups changed, which the call then recomputes), or a note is added to this month's latest request (no
     *  milestone changes: nothing to recompute). */
    const change = async (ship: number) => {
      if (!ship) return pg.query(`INSERT INTO request_event (request_id, type, message) VALUES ($1, 'NOTE', 'a note')`, [recent.id]);
      await pg.query(
        `INSERT INTO request_event (request_id, type, to_status)
         SELECT request_id, 'STATUS_CHANGED', 'SHIPPED_PHYSICALLY' FROM request_stats
          WHERE shipped_at IS NULL AND unfilled_at IS NULL ORDER BY created_at DESC LIMIT $1`,
        [ship],
      );
      const [{ marked }] = (await pg.query(`SELECT count(*)::int AS marked FROM request_stats_dirty`)).rows;
      if (!marked) throw new Error('statistics bench: no unshipped request left to ship');
    };
    const calls: [string, Record<string, string>, number | null][] = [
      ['default (the last 12 months)', {}, null],
      [`every month (${MONTHS + 1}), all profiles`, every, null],
      [`every month, all profiles, a note on a request of this month before each call (no milestone changed: nothing recomputed)`, every, 0],
      [`every month, all profiles, the latest unshipped request shipped before each call (its groups recomputed by the call)`, every, 1],
      [`every month, all profiles, the 50 latest unshipped requests shipped in one statement before each call (their groups recomputed by the call)`, every, 50],
      ['every month, one profile', { ...every, profileId: loaded.profileIds[0] }, null],
      ['every month, lending', { ...every, direction: 'LENDING' }, null],
    ];
    for (const [label, query, touch] of calls) {
      const path = `/api/statistics?${new URLSearchParams(query)}`;
      const ms: number[] = [];
      let body: any;
      for (let i = 0; i < CALLS + 3; i++) {
        if (touch !== null) await change(touch);
        const t0 = performance.now();
        const res = await fetch(`${base}${path}`, { headers: { Authorization: `Bearer ${ADMIN_KEY}` } });
        body = await res.json();
        if (!res.ok) throw new Error(`GET ${path}: HTTP ${res.status} ${JSON.stringify(body)}`);
        if (i >= 3) ms.push(performance.now() - t0);
      }
      ms.sort((a, b) => a - b);
      const p95 = percentile(ms, 95);
      const created = body.totals.reduce((sum: number, t: any) => sum + t.created, 0);
      if (label.startsWith('every month (')) {
        const [{ live }] = (await pg.query(`SELECT count(*)::int AS live FROM request_event WHERE type = 'CREATED'`)).rows;
        if (live !== created) throw new Error(`statistics count ${created} created requests, request_event ${live}`);
      }
      rows.push({
        what: `statistics, ${label}: ${body.rows.length} month × direction × partner rows, ${created} requests (${CALLS} calls)`,
        result: `p50 ${Math.round(percentile(ms, 50))} ms, p95 ${Math.round(p95)} ms`,
        target: `p95 < 300 ms: ${p95 < 300 ? 'met' : 'missed'}`,
      });
    }
  } finally {
    await app.close();
    await pg.end();
    await dropDatabase(DB);
  }
  return { rows, notes };
}
