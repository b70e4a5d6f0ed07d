/* Request lists with facets over many requests: bulk-loads rs_request with realistic distributions
   (one INSERT … SELECT FROM generate_series; the facet counts in request_facet_delta are written by the
   migration's triggers, as for any writer), ANALYZE, then BENCH_LIST_UPDATES single-row status changes
   (their facet rows stay unfolded, as between two compactions), then times the reporting app's list calls over
   HTTP (the app in this process) and checks each answer against a live count over rs_request. For a call whose
   p95 is 100 ms or more, EXPLAIN ANALYZE of its two statements (facets, page) is written to
   test-artifacts/bench/explain-<call>.txt. */
import { mkdirSync, writeFileSync } from 'fs';
import { join } from 'path';
import { Client } from 'pg';
import { createReportingApp } from '../apps/reporting/src/main';
import { RequestsService } from '../apps/reporting/src/requests/requests.service';
import { ADMIN_KEY, appConfig, dropDatabase, envNumber, freshDatabase, LOG_DIR, PartResult, percentile } from './lib';

const DB = `illbridge_bench_list${process.env.BENCH_DB_SUFFIX ?? ''}`; // BENCH_DB_SUFFIX: as in libris.ts
const CALLS = envNumber('BENCH_LIST_CALLS', 30);
const UPDATES = envNumber('BENCH_LIST_UPDATES', 2000);

/** [external status, local status, weight] per system and direction. */
type Weighted = [string, string, number][];
const LIBRIS_BORROWING: Weighted = [
  ['Levererad', 'REQUEST_COMPLETED', 40], ['Levererad', 'SHIPPED_PHYSICALLY', 6], ['Levererad', 'SHIPPED_DIGITALLY', 4], ['Uteliggande', 'REQUEST_SENT_TO_PARTNER', 12],
  ['Remitterad', 'REQUEST_SENT_TO_PARTNER', 4], ['Läst', 'REQUEST_SENT_TO_PARTNER', 6], ['Kan reserveras', 'CONDITIONAL', 3], ['Reservation', 'CONDITIONAL', 1],
  ['Reserverad', 'REQUEST_ACCEPTED', 4], ['Negativt svar', 'REJECTED_BY_PARTNER', 8], ['Avbeställd', 'CANCELED_BY_STAFF', 6], ['Makulerad', 'CANCELED_BY_STAFF', 2],
  ['Ej avbeställd!', 'REQUEST_SENT_TO_PARTNER', 1], ['Levererad', 'PHYSICALLY_RECEIVED_BY_LIBRARY', 3],
];
const NACSIS_BORROWING: Weighted = [
  ['確認', 'REQUEST_COMPLETED', 30], ['返却確認', 'REQUEST_COMPLETED', 15], ['未処理', 'REQUEST_SENT_TO_PARTNER', 8], ['処理中', 'REQUEST_ACCEPTED', 6],
  ['発送', 'SHIPPED_PHYSICALLY', 8], ['到着処理中', 'PHYSICALLY_RECEIVED_BY_LIBRARY', 4], ['借用中', 'PHYSICALLY_RECEIVED_BY_LIBRARY', 6], ['照会', 'CONDITIONAL', 2],
  ['回答待', 'CONDITIONAL', 1], ['更新請求', 'RENEW_REQUESTED', 2], ['返送', 'RETURNED_ITEM_TO_PARTNER', 3], ['CANCEL', 'CANCELED_BY_STAFF', 5],
  ['準備中', 'CREATED_BORROWING_REQUEST', 2], ['クレーム回答待', 'PHYSICALLY_RECEIVED_BY_LIBRARY', 1],
];
const NACSIS_LENDING: Weighted = [
  ['確認', 'REQUEST_COMPLETED', 30], ['返却確認', 'REQUEST_COMPLETED', 15], ['未処理', 'CREATED_LENDING_REQUEST', 10], ['処理中', 'BEING_PROCESSED', 8],
  ['発送', 'SHIPPED_PHYSICALLY', 10], ['借用中', 'RECEIVED_BY_PARTNER', 6], ['新着照会', 'CONDITIONAL', 2], ['回答待', 'CONDITIONAL', 1],
  ['返送', 'RETURNED_BY_PARTNER', 3], ['更新請求', 'RENEW_REQUESTED', 1], ['謝絶', 'REJECTED', 5],
];
const NETPUNKT_BORROWING: Weighted = [
  ['delivered', 'REQUEST_COMPLETED', 60], ['ordered', 'REQUEST_SENT_TO_PARTNER', 20], ['shipped', 'SHIPPED_PHYSICALLY', 10], ['cancelled', 'CANCELED_BY_STAFF', 10],
];

/** Weighted lists as flat arrays (a value repeated by its weight), picked with `arr[1 + floor(r * n)]`. */
const flat = (w: Weighted) => ({ ext: w.flatMap(([e, , n]) => Array(n).fill(e)), local: w.flatMap(([, l, n]) => Array(n).fill(l)) });

const SIGELS = ['U', 'S', 'L', 'G', 'Gbg', 'Ldo', 'Uppsala', 'Ka', 'Lu', 'Um', 'Li', 'Hig', 'J', 'Ö', 'Sk', 'Kr', 'Vx', 'Bib', 'Mh', 'Q', 'Za', 'Sh', 'Kat', 'Hdk', 'Y'];
const NACSIS_IDS = Array.from({ length: 40 }, (_, i) => `FA1${String(i + 1).padStart(5, '0')}`);
const SV_WORDS = ['historia', 'svensk', 'litteratur', 'medicin', 'kemi', 'ekonomi', 'politik', 'språk', 'samhälle', 'konst', 'musik', 'filosofi', 'teknik', 'miljö', 'hälsa', 'juridik', 'pedagogik', 'biologi', 'fysik', 'matematik', 'religion', 'arkeologi', 'sjukvård', 'kultur', 'nordisk', 'modern', 'introduktion', 'handbok', 'teori', 'praktik'];
const EN_WORDS = ['history', 'journal', 'review', 'studies', 'science', 'research', 'methods', 'analysis', 'theory', 'systems', 'health', 'clinical', 'education', 'economics', 'language', 'culture', 'society', 'nature', 'international', 'quarterly'];
const JA_WORDS = ['日本', '近代', '歴史', '文学', '研究', '雑誌', '社会', '経済', '法学', '医学', '教育', '言語', '文化', '思想', '科学', '史学', '国語', '民法', '物語', '世界'];
const AUTHORS = ['Andersson, Anna', 'Johansson, Erik', 'Karlsson, Maria', 'Nilsson, Lars', 'Eriksson, Karin', 'Larsson, Per', 'Olsson, Eva', 'Persson, Nils', 'Smith, John', 'Müller, Hans', '山田太郎', '鈴木一郎', '佐藤花子', '田中健', '高橋誠'];

/** The profiles and their share of the rows. */
const PROFILES = [
  { code: 'LIBRIS_HIG', system: 'LIBRIS', library: 'Hig', share: 0.45 },
  { code: 'LIBRIS_U', system: 'LIBRIS', library: 'U', share: 0.15 },
  { code: 'NACSIS_MAIN', system: 'NACSIS', library: 'FA012345', share: 0.35 },
  { code: 'NETPUNKT', system: 'NETPUNKT', library: '710100', share: 0.05 },
];

async function bulkLoad(pg: Client, n: number): Promise<{ seconds: number; tableMb: number; indexMb: number; searchMb: number; searchIndexMb: number; facetRows: number; updateMs: number }> {
  const started = Date.now();
  const profileIds: string[] = [];
  for (const p of PROFILES) {
    profileIds.push((await pg.query(`INSERT INTO integration_profile (code, name, system, library_code, resource_sharing_library_code, version) VALUES ($1, $1, $2, $3, 'MAIN', 1) RETURNING id`, [p.code, p.system, p.library])).rows[0].id);
  }
  // Load without the secondary indexes, then build them exactly as the migrations define them.
  const { rows: indexes } = await pg.query(
    `SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ('rs_request', 'request_search')
        AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid IN ('rs_request'::regclass, 'request_search'::regclass))`,
  );
  for (const ix of indexes) await pg.query(`DROP INDEX "${ix.indexname}"`);
  await pg.query(`SET maintenance_work_mem = '512MB'`);
  const lb = flat(LIBRIS_BORROWING);
  const nb = flat(NACSIS_BORROWING);
  const nl = flat(NACSIS_LENDING);
  const pb = flat(NETPUNKT_BORROWING);
  let cumulative = 0;
  const bounds = PROFILES.map((p) => (cumulative += p.share));
  await pg.query('SELECT setseed(0.42)');
  // s: one row of random numbers per request; the profile by rp, then per system the rest.
  await pg.query(
    `INSERT INTO rs_request (profile_id, system, direction, external_id, external_ref, status, external_system_status, closed, partner_code, partners,
                             owner_library_code, pickup_library_code, requester_name, requester_id, title, author, isbn, year, format, raw, content_hash,
                             sync_state, created_at, updated_at)
     SELECT p.profile_id, p.system, p.direction, p.external_id, p.external_ref, p.status, p.ext, p.status IN ('REQUEST_COMPLETED', 'CANCELED_BY_STAFF', 'CANCELED_BY_PARTNER', 'CANCELLED', 'REJECTED'),
            p.partner, jsonb_build_array(p.partner), 'MAIN', 'MAIN', p.requester, p.requester_id, p.title, p.author, p.isbn, p.year, p.format,
            jsonb_build_object('id', p.external_id, 'status', p.ext, 'title', p.title, 'author', p.author, 'isbn', p.isbn, 'year', p.year, 'partner', p.partner,
                               'user', p.requester, 'format', p.format, 'note', p.note, 'history', p.history),
            md5(p.external_id) || substr(md5(p.title), 1, 8), 'IN_SYNC', p.updated_at - (p.r7 * interval '60 days'), p.updated_at
       FROM (
         SELECT s.*,
                CASE s.sys WHEN 0 THEN $2::uuid WHEN 1 THEN $3::uuid WHEN 2 THEN $4::uuid ELSE $5::uuid END AS profile_id,
                CASE WHEN s.sys <= 1 THEN 'LIBRIS' WHEN s.sys = 2 THEN 'NACSIS' ELSE 'NETPUNKT' END AS system,
                CASE WHEN s.sys = 2 AND s.r1 < 0.5 THEN 'LENDING' ELSE 'BORROWING' END AS direction,
                CASE WHEN s.sys <= 1 THEN 'LF' || (10000000 + s.i)::text WHEN s.sys = 2 THEN 'IL' || lpad(s.i::text, 8, '0') ELSE 'NP-' || s.i END AS external_id,
                CASE WHEN s.sys = 2 THEN 'O' || lpad((s.i % 99999)::text, 5, '0') ELSE (900000 + s.i)::text END AS external_ref,
                CASE WHEN s.sys <= 1 THEN ($6::text[])[1 + floor(s.r2 * cardinality($6::text[]))::int]
                     WHEN s.sys = 2 AND s.r1 < 0.5 THEN ($10::text[])[1 + floor(s.r2 * cardinality($10::text[]))::int]
                     WHEN s.sys = 2 THEN ($8::text[])[1 + floor(s.r2 * cardinality($8::text[]))::int]
                     ELSE ($12::text[])[1 + floor(s.r2 * cardinality($12::text[]))::int] END AS ext,
                CASE WHEN s.sys <= 1 THEN ($7::text[])[1 + floor(s.r2 * cardinality($7::text[]))::int]
                     WHEN s.sys = 2 AND s.r1 < 0.5 THEN ($11::text[])[1 + floor(s.r2 * cardinality($11::text[]))::int]
                     WHEN s.sys = 2 THEN ($9::text[])[1 + floor(s.r2 * cardinality($9::text[]))::int]
                     ELSE ($13::text[])[1 + floor(s.r2 * cardinality($13::text[]))::int] END AS status,
                -- partners: a few very busy ones and a long tail (r3 cubed)
                CASE WHEN s.sys <= 1 THEN CASE WHEN s.r3 < 0.8 THEN ($14::text[])[1 + floor(power(s.r4, 2) * cardinality($14::text[]))::int] ELSE 'X' || floor(s.r4 * 400)::int END
                     WHEN s.sys = 2 THEN ($15::text[])[1 + floor(power(s.r4, 2) * cardinality($15::text[]))::int]
                     ELSE (710000 + floor(s.r4 * 300)::int)::text END AS partner,
                CASE WHEN s.sys = 2 THEN ($18::text[])[1 + floor(s.r5 * cardinality($18::text[]))::int] || ($18::text[])[1 + floor(s.r6 * cardinality($18::text[]))::int] || 'の' || ($18::text[])[1 + floor(s.r3 * cardinality($18::text[]))::int]
                     WHEN s.r5 < 0.6 THEN initcap(($16::text[])[1 + floor(s.r5 / 0.6 * cardinality($16::text[]))::int]) || ' och ' || ($16::text[])[1 + floor(s.r6 * cardinality($16::text[]))::int] || ' ' || (1900 + floor(s.r3 * 125)::int)::text
                     ELSE 'The ' || ($17::text[])[1 + floor((s.r5 - 0.6) / 0.4 * cardinality($17::text[]))::int] || ' of ' || ($17::text[])[1 + floor(s.r6 * cardinality($17::text[]))::int] END AS title,
                ($19::text[])[1 + floor(s.r6 * cardinality($19::text[]))::int] AS author,
                CASE WHEN s.r4 < 0.6 THEN '978' || lpad(floor(s.r5 * 1e10)::bigint::text, 10, '0') END AS isbn,
                (1950 + floor(s.r3 * 75)::int)::text AS year,
                CASE WHEN s.r6 < 0.6 THEN 'LOAN' ELSE 'COPY' END AS format,
                'Låntagare ' || (s.i % 50000) AS requester, (s.i % 50000)::text AS requester_id,
                repeat(md5(s.i::text), 8) AS note,
                jsonb_build_array(jsonb_build_object('date', '2025-01-01', 'by', 'Hig', 'text', md5(s.i::text || 'a')),
                                  jsonb_build_object('date', '2025-01-02', 'by', 'U', 'text', md5(s.i::text || 'b'))) AS history,
                now() - (power(s.r7, 2) * interval '1825 days') AS updated_at
           FROM (
             SELECT s0.*, CASE WHEN s0.rp < $20 THEN 0 WHEN s0.rp < $21 THEN 1 WHEN s0.rp < $22 THEN 2 ELSE 3 END AS sys
               FROM (
                 SELECT i, random() AS rp, random() AS r1, random() AS r2, random() AS r3, random() AS r4, random() AS r5, random() AS r6, random() AS r7
                   FROM generate_series(1, $1::int) AS i
               ) s0
           ) s
       ) p`,
    [
      n, ...profileIds, lb.ext, lb.local, nb.ext, nb.local, nl.ext, nl.local, pb.ext, pb.local, SIGELS, NACSIS_IDS, SV_WORDS, EN_WORDS, JA_WORDS, AUTHORS,
      bounds[0], bounds[1], bounds[2],
    ],
  );
  for (const ix of indexes) await pg.query(ix.indexdef);
  await pg.query('VACUUM ANALYZE rs_request');
  await pg.query('VACUUM ANALYZE request_search');
  await pg.query('VACUUM ANALYZE request_facet_delta');
  const seconds = (Date.now() - started) / 1000;
  const { rows: size } = await pg.query(`SELECT pg_table_size('rs_request') AS t, pg_indexes_size('rs_request') AS i, pg_table_size('request_search') AS st, pg_indexes_size('request_search') AS si,
            (SELECT count(*) FROM request_facet_delta)::int AS f`);
  // Folded once (as reporting does every minute), then status changes one request at a time (as action-push and
  // the import make them): each appends its facet rows, left unfolded (fewer than the read threshold of 5,000).
  await pg.query('SELECT request_facet_compact()');
  const { rows: picked } = await pg.query(`SELECT id FROM rs_request WHERE direction = 'BORROWING' ORDER BY md5(id::text) LIMIT $1`, [UPDATES]);
  const t0 = performance.now();
  for (const [i, { id }] of picked.entries()) {
    await pg.query(`UPDATE rs_request SET status = $2, external_system_status = $3, sync_state = $4, updated_at = now() WHERE id = $1`, [
      id, i % 2 ? 'REQUEST_COMPLETED' : 'SHIPPED_PHYSICALLY', i % 2 ? 'Levererad' : '発送', i % 3 ? 'IN_SYNC' : 'PUSH_PENDING',
    ]);
  }
  const updateMs = picked.length ? (performance.now() - t0) / picked.length : 0;
  return {
    seconds, tableMb: Number(size[0].t) / 2 ** 20, indexMb: Number(size[0].i) / 2 ** 20, searchMb: Number(size[0].st) / 2 ** 20, searchIndexMb: Number(size[0].si) / 2 ** 20,
    facetRows: size[0].f, updateMs,
  };
}

interface Call {
  name: string;
  query: Record<string, string>;
}

/** The count over rs_request the list answered before request_facet_delta and request_search (to check the answer):
 *  `q` matched against each searched column of rs_request on its own. */
function liveCountOf(query: Record<string, string>): [string, unknown[]] {
  const conditions = ['direction = $1'];
  const params: unknown[] = ['BORROWING'];
  const add = (sql: string, ...values: unknown[]) => {
    let i = 0;
    conditions.push(sql.replace(/\?/g, () => (params.push(values[i++]), `$${params.length}`)));
  };
  if (query.status) add('status = ?', query.status);
  if (query.externalSystemStatus) add('external_system_status = ?', query.externalSystemStatus);
  if (query.partnerCode) add('lower(partner_code) = lower(?)', query.partnerCode);
  if (query.q) {
    const pattern = `%${query.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const columns = ['title', 'author', 'external_id', 'requester_name', 'requester_id', 'request_number'];
    add(`(${columns.map((c) => `${c} ILIKE ? ESCAPE '\\'`).join(' OR ')})`, ...columns.map(() => pattern));
  }
  const cols = ['status', 'external_system_status', 'partner_code'];
  return [
    `SELECT ${cols.join(', ')}, ${cols.map((c) => `GROUPING(${c}) AS g_${c}`).join(', ')}, count(*)::int AS count FROM rs_request
      WHERE ${conditions.join(' AND ')} GROUP BY GROUPING SETS (${cols.map((c) => `(${c})`).join(', ')})`,
    params,
  ];
}

/** Facets as the API answers them, from GROUPING SETS rows. */
function facetsOf(rows: any[]) {
  const out: Record<string, { value: string | null; count: number }[]> = {};
  for (const [name, column] of [['status', 'status'], ['externalSystemStatus', 'external_system_status'], ['partnerCode', 'partner_code']]) {
    out[name] = rows
      .filter((r) => r[`g_${column}`] === 0)
      .map((r) => ({ value: r[column], count: r.count }))
      .sort((a, b) => b.count - a.count || String(a.value ?? '\uffff').localeCompare(String(b.value ?? '\uffff')));
  }
  return out;
}

async function timeStatement(pg: Client, sql: string, params: unknown[], times = 10): Promise<number> {
  const ms: number[] = [];
  for (let i = 0; i < times; i++) {
    const t0 = performance.now();
    await pg.query(sql, params);
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  return percentile(ms, 50);
}

export async function listBench(listRows: number, prefix: string): Promise<PartResult> {
  const rows: PartResult['rows'] = [];
  const notes: string[] = [];
  const url = await freshDatabase(DB);
  const pg = new Client({ connectionString: url });
  await pg.connect();
  const app = await createReportingApp(appConfig(url, prefix));
  try {
    const load = await bulkLoad(pg, listRows);
    const { rows: shape } = await pg.query(
      `SELECT count(*) FILTER (WHERE direction = 'BORROWING')::int AS borrowing, count(*) FILTER (WHERE direction = 'LENDING')::int AS lending,
              count(*) FILTER (WHERE direction = 'BORROWING' AND status = 'REQUEST_SENT_TO_PARTNER')::int AS sent,
              count(*) FILTER (WHERE direction = 'BORROWING' AND external_system_status = '発送')::int AS shipped,
              count(*) FILTER (WHERE direction = 'BORROWING' AND partner_code = 'U')::int AS partner_u,
              avg(pg_column_size(raw))::int AS raw_bytes, avg(pg_column_size(r.*))::int AS row_bytes
         FROM rs_request r`,
    );
    const s = shape[0];
    notes.push(
      `List: ${listRows} requests loaded in ${load.seconds.toFixed(0)} s (one INSERT … SELECT FROM generate_series, indexes built after, VACUUM ANALYZE): ` +
        `${s.borrowing} borrowing, ${s.lending} lending; LIBRIS 60% (Swedish statuses), NACSIS 35% (Japanese), Netpunkt 5%; rows avg ${s.row_bytes} B (raw jsonb ${s.raw_bytes} B); ` +
        `table ${Math.round(load.tableMb)} MB, indexes ${Math.round(load.indexMb)} MB; request_search (what \`q\` reads) ${Math.round(load.searchMb)} MB, its indexes ${Math.round(load.searchIndexMb)} MB. ` +
        `Matching rows (borrowing): status=REQUEST_SENT_TO_PARTNER ${s.sent}, externalSystemStatus=発送 ${s.shipped}, partnerCode=U ${s.partner_u}.`,
    );
    const deltaRows = async () => (await pg.query(`SELECT count(*)::int AS n, count(*) FILTER (WHERE NOT compacted)::int AS pending FROM request_facet_delta`)).rows[0];
    const before = await deltaRows();
    notes.push(
      `List facet counts (request_facet_delta, written by the triggers during the load): ${load.facetRows} rows after the load; then ${UPDATES} single-row ` +
        `status changes (${load.updateMs.toFixed(2)} ms each, triggers included): ${before.n} rows, ${before.pending} of them not yet folded, when the timed calls start.`,
    );
    await app.listen(0, '127.0.0.1');
    const base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    const calls: Call[] = [
      { name: 'unfiltered', query: {} },
      { name: 'status', query: { status: 'REQUEST_SENT_TO_PARTNER' } },
      { name: 'external-status', query: { externalSystemStatus: '発送' } },
      { name: 'partner', query: { partnerCode: 'u' } },
      { name: 'q', query: { q: 'histor' } },
    ];
    mkdirSync(LOG_DIR, { recursive: true });
    for (const call of calls) {
      const qs = new URLSearchParams(call.query).toString();
      const path = `/api/borrowing-requests${qs ? `?${qs}` : ''}`;
      const ms: number[] = [];
      let total = 0;
      let answered: any;
      for (let i = 0; i < CALLS + 3; i++) {
        const t0 = performance.now();
        const res = await fetch(`${base}${path}`, { headers: { Authorization: `Bearer ${ADMIN_KEY}` } });
        const body: any = await res.json();
        if (!res.ok) throw new Error(`GET ${path}: HTTP ${res.status} ${JSON.stringify(body)}`);
        if (i >= 3) ms.push(performance.now() - t0); // 3 warm-up calls
        total = body.total;
        answered = body.facets;
      }
      ms.sort((a, b) => a - b);
      const p50 = percentile(ms, 50);
      const p95 = percentile(ms, 95);
      const label = qs ? decodeURIComponent(qs) : 'no filter';
      // The statements the list sent (RequestsService.statements), timed and explained alone.
      const sent = app.get(RequestsService).statements('BORROWING', call.query, { limit: 50, offset: 0 });
      const statements = { facets: sent.facets, ...(sent.overdue && { overdue: sent.overdue }), ...(sent.page && { page: sent.page }), live: liveCountOf(call.query) };
      const facetMs = await timeStatement(pg, ...statements.facets);
      const pageMs = sent.page && (await timeStatement(pg, ...sent.page));
      // The answer must be what a count over rs_request answers (nothing changes rs_request meanwhile).
      const liveMs = call.query.q ? undefined : await timeStatement(pg, ...statements.live, 3);
      const live = facetsOf((await pg.query(...statements.live)).rows);
      // The facets the bench counts (the list also answers syncState and overdue, added later).
      const counted = { status: answered.status, externalSystemStatus: answered.externalSystemStatus, partnerCode: answered.partnerCode };
      if (JSON.stringify(live) !== JSON.stringify(counted)) throw new Error(`GET ${path}: facets differ from a live count over rs_request`);
      rows.push({
        what: `borrowing list with facets, ${label} (${total} matching of ${listRows}; ${CALLS} calls)`,
        result:
          `p50 ${Math.round(p50)} ms, p95 ${Math.round(p95)} ms (SQL alone, p50: facets ${Math.round(facetMs)} ms ${call.query.q ? 'counted over request_search' : 'from request_facet_delta'}` +
          `${liveMs === undefined ? '' : ` (counted over rs_request: ${Math.round(liveMs)} ms)`}, ${pageMs === undefined ? 'page in the same statement' : `page ${Math.round(pageMs)} ms`}; facets equal the live count)`,
        target: `p95 < 100 ms: ${p95 < 100 ? 'met' : 'missed'}`,
      });
      if (p95 >= 100) {
        let text = `# ${path}\n# HTTP p50 ${p50.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms\n`;
        for (const [which, [sql, params]] of Object.entries(statements)) {
          const plan = await pg.query(`EXPLAIN (ANALYZE, BUFFERS, SETTINGS) ${sql}`, params);
          text += `\n## ${which}\n${sql}\n-- ${JSON.stringify(params)}\n${plan.rows.map((r) => r['QUERY PLAN']).join('\n')}\n`;
        }
        const file = join(LOG_DIR, `explain-${call.name}.txt`);
        writeFileSync(file, text);
        notes.push(`List ${label}: EXPLAIN ANALYZE in ${file.replace(/.*\/test-artifacts\//, 'test-artifacts/')}.`);
      }
    }
    const after = await deltaRows();
    notes.push(`List facet counts after the timed calls: ${after.n} rows, ${after.pending} not yet folded.`);
  } finally {
    await app.close();
    await pg.end();
    if (process.env.BENCH_KEEP_LIST_DB !== 'true') await dropDatabase(DB);
  }
  return { rows, notes };
}
