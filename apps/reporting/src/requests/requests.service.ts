import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { notFound, Page } from '@illbridge/common';
import { RequestEntity, type Direction } from '@illbridge/database/entities';
import { REQUEST_DETAIL_FIELDS, REQUEST_LIST_FIELDS, rowView, selectColumns } from '@illbridge/database/request-view';
import { isUuid, likePattern, SqlWhere, upperBound } from '../common';
import { OVERDUE_SQL } from '../desk/overdue';
import { FacetCompactionService } from './facet-compaction.service';
import { REQUEST_SORTS, type RequestListQuery } from './requests.dto';

export interface FacetValue {
  value: string | null;
  count: number;
}
export interface RequestFacets {
  status: FacetValue[];
  externalSystemStatus: FacetValue[];
  partnerCode: FacetValue[];
  syncState: FacetValue[];
  /** `true` (overdue) and `false` (the others), both always present. */
  overdue: FacetValue[];
}

/** The facet columns, counted in one GROUPING SETS query over the filtered set (request_facet_delta has the same
 *  column names as rs_request for these and for every filter but `q`). */
const FACETS: [keyof RequestFacets, string][] = [
  ['status', 'status'],
  ['externalSystemStatus', 'external_system_status'],
  ['partnerCode', 'partner_code'],
  ['syncState', 'sync_state'],
];

const FACET_COLUMNS = FACETS.map(([, c]) => c);
/** The GROUPING SETS of the facet counts, and the GROUPING() flags that tell each row's set. */
const FACET_SETS = `GROUPING SETS (${FACET_COLUMNS.map((c) => `(${c})`).join(', ')})`;
const FACET_GROUPING = FACET_COLUMNS.map((c) => `GROUPING(${c}) AS g_${c}`).join(', ');

/** A statement and its parameters. */
export type Statement = [sql: string, params: unknown[]];
export interface ListStatements {
  /** Some filter is not a key of request_facet_delta: facets and overdue are counted over the matching rows. */
  direct: boolean;
  /** Facet rows (GROUPING SETS; `overdue_count` per row). For a search sorted by a column request_search has, also
   *  the page's rows (`page_pos` not null, the facet columns of the GROUPING SETS then null). */
  facets: Statement;
  overdue?: Statement;
  /** The page's rows; absent when the facets statement answers them (a search reads its hits once). */
  page?: Statement;
}

/** The sort columns request_search has (every one but title, author and external id, which only `doc` holds). */
const SEARCH_SORTS = new Set<string>(['updated_at', 'created_at', 'status', 'external_system_status', 'partner_code', 'sync_state', 'due_date', 'status_since']);

/** With `q` a list reads request_search, under rs_request's name (see filterOf). */
const SEARCH_FROM = 'request_search rs_request';

@Injectable()
export class RequestsService {
  /** rs_request's nullable columns (from the entity): only those sort with NULLS LAST, so that a DESC order on a
   *  NOT NULL column can walk an index built DESC (ix_rs_request_recent; DESC alone puts NULLs first, so
   *  `DESC NULLS LAST` could not use it). */
  private readonly nullable: ReadonlySet<string>;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly compaction: FacetCompactionService,
  ) {
    this.nullable = new Set(dataSource.getMetadata(RequestEntity).columns.filter((c) => c.isNullable).map((c) => c.databaseName));
  }

  /** The WHERE of a request list's filters and the table it reads. With `q` that is request_search, the narrow
   *  copy of every request kept by triggers on rs_request (migration RequestSearch): it has rs_request's column names
   *  for every filter, facet and sort but title, author and external id, and `doc`, the text `q` matches; it is
   *  read under the alias rs_request, so the same conditions (OVERDUE_SQL too) apply to either table.
   *  `direct`: some filter is not a key of request_facet_delta (search, work-queue filters), so the facets are
   *  counted over the matching rows. */
  filterOf(direction: Direction, query: RequestListQuery & { status?: string }): { where: SqlWhere; direct: boolean; search: boolean } {
    const where = new SqlWhere().add('direction = ?', direction);
    if (query.status) where.add('status = ?', query.status);
    if (query.externalSystemStatus) where.add('external_system_status = ?', query.externalSystemStatus);
    if (query.partnerCode) where.add('lower(partner_code) = lower(?)', query.partnerCode);
    if (query.profileId) where.add('profile_id = ?', query.profileId);
    if (query.syncState) where.add('sync_state = ?', query.syncState);
    // `doc` joins the searched fields with U+001F: control characters are dropped from `q`, so a match never
    // spans two fields (the answer is what a match of each field alone gives). `doc` is lower-cased when written
    // (migration RequestSearchLowerDoc): LIKE of lower(q) answers what ILIKE of each field does.
    const search = query.q?.replace(/[\u0000-\u001f\u007f]/g, '');
    if (search) where.add(`doc LIKE lower(?) ESCAPE '\\'`, likePattern(search));
    // The work-queue filters: not keys of request_facet_delta, so with any of them the facets are counted directly.
    const before = where.conditions.length;
    if (query.overdue) where.add(query.overdue === 'true' ? OVERDUE_SQL : `NOT ${OVERDUE_SQL}`);
    if (query.olderThanDays !== undefined) where.add(`status_since <= now() - make_interval(days => ?::int)`, query.olderThanDays);
    for (const [from, to, column] of [[query.createdFrom, query.createdTo, 'created_at'], [query.updatedFrom, query.updatedTo, 'updated_at']] as const) {
      if (from) where.add(`${column} >= ?::timestamptz`, from);
      if (to) {
        const bound = upperBound(to);
        where.add(`${column} ${bound.sql} ?::timestamptz`, bound.value);
      }
    }
    if (query.dueFrom) where.add('due_date >= ?::date', query.dueFrom);
    if (query.dueTo) where.add('due_date <= ?::date', query.dueTo);
    return { where, direct: Boolean(search) || where.conditions.length > before, search: Boolean(search) };
  }

  /** The statement of a page of a list in its order (`limit`, `offset`: parameter placeholders). Over request_search,
   *  the page's ids are picked there when it has the sort column (the rows then read by id), else the matching ids
   *  are handed to rs_request, which sorts them. */
  private orderOf(query: RequestListQuery): { column: string; orderBy: string } {
    const column = REQUEST_SORTS[query.sort ?? 'updatedAt'];
    const order = query.order === 'asc' ? 'ASC' : 'DESC';
    return { column, orderBy: `ORDER BY ${column} ${order}${this.nullable.has(column) ? ' NULLS LAST' : ''}, id ${order}` };
  }

  private pageSql(filter: { where: SqlWhere; search: boolean }, query: RequestListQuery, limit: string, offset: string): string {
    const { column, orderBy } = this.orderOf(query);
    const select = `SELECT ${selectColumns(REQUEST_LIST_FIELDS)}, ${OVERDUE_SQL} AS overdue FROM rs_request`;
    if (!filter.search) return `${select} ${filter.where.sql} ${orderBy} LIMIT ${limit} OFFSET ${offset}`;
    const ids = `SELECT rs_request.id FROM ${SEARCH_FROM} ${filter.where.sql}`;
    return SEARCH_SORTS.has(column)
      ? `${select} WHERE id IN (${ids} ${orderBy} LIMIT ${limit} OFFSET ${offset}) ${orderBy}`
      : `${select} WHERE id IN (${ids}) ${orderBy} LIMIT ${limit} OFFSET ${offset}`;
  }

  /** Every request of a list's filters in its order, in pages of `size` (the CSV export). */
  async *eachRow(direction: Direction, query: RequestListQuery & { status?: string }, size = 1000): AsyncGenerator<Record<string, unknown>[]> {
    const filter = this.filterOf(direction, query);
    for (let offset = 0; ; offset += size) {
      const rows: any[] = await this.dataSource.query(this.pageSql(filter, query, String(size), String(offset)), filter.where.params);
      if (rows.length) yield rows.map((r) => ({ ...rowView(r, REQUEST_LIST_FIELDS), overdue: r.overdue }));
      if (rows.length < size) return;
    }
  }

  /** The statements of a list call (`list` sends them; the bench explains the same ones). Without `q` and the
   *  work-queue filters every filter is a key of request_facet_delta (kept by triggers on rs_request; migration
   *  RequestFacetCounts): the facets are sums of its rows, the same numbers a count over rs_request gives, and
   *  overdue (it depends on the day, not only on the row) is counted over the matching rows (partial index
   *  ix_rs_request_due). Otherwise both are counted over the matching rows in one statement (with `q` over
   *  request_search: BENCHMARKS.md, "Request search"). */
  statements(direction: Direction, query: RequestListQuery & { status?: string }, page: { limit: number; offset: number }): ListStatements {
    const filter = this.filterOf(direction, query);
    const { where, direct } = filter;
    const columns = `${FACET_COLUMNS.join(', ')}, ${FACET_GROUPING}`;
    const params = [...where.params, page.limit, page.offset];
    const [limit, offset] = [`$${params.length - 1}`, `$${params.length}`];
    if (filter.search && SEARCH_SORTS.has(this.orderOf(query).column)) return { direct, facets: [this.searchSql(filter.where, query, limit, offset), params] };
    return {
      direct,
      facets: direct
        ? [`SELECT ${columns}, count(*)::int AS count, count(*) FILTER (WHERE ${OVERDUE_SQL})::int AS overdue_count FROM ${filter.search ? SEARCH_FROM : 'rs_request'} ${where.sql} GROUP BY ${FACET_SETS}`, where.params]
        : [
            `SELECT ${columns}, sum(n)::int AS count, count(*) FILTER (WHERE NOT compacted)::int AS pending
               FROM request_facet_delta ${where.sql} GROUP BY ${FACET_SETS} HAVING sum(n) <> 0`,
            where.params,
          ],
      overdue: direct ? undefined : [`SELECT count(*)::int AS n FROM rs_request WHERE ${[...where.conditions, OVERDUE_SQL].join(' AND ')}`, where.params],
      page: [this.pageSql(filter, query, limit, offset), params],
    };
  }

  /** A search's facets and page in one statement, so that its hits in request_search are read once (the bitmap heap
   *  scan of a common term is nearly all of a search's cost: BENCHMARKS.md "Request search"): the hits' facet,
   *  overdue and sort columns are materialized, counted by GROUPING SETS, and the page's ids picked from them; the
   *  page's rows (from rs_request, by id) follow the facet rows, numbered by `page_pos` in the list's order. */
  private searchSql(where: SqlWhere, query: RequestListQuery, limit: string, offset: string): string {
    const { column, orderBy } = this.orderOf(query);
    // What the counts and the order read; OVERDUE_SQL reads rs_request.{status, closed, due_date, profile_id}.
    const hitColumns = [...new Set(['id', column, ...FACET_COLUMNS, 'due_date', 'closed', 'profile_id'])];
    const listColumns = REQUEST_LIST_FIELDS.map(([, c]) => c);
    return `WITH hits AS MATERIALIZED (SELECT ${hitColumns.map((c) => `rs_request.${c}`).join(', ')} FROM ${SEARCH_FROM} ${where.sql}),
      page AS (SELECT id FROM hits ${orderBy} LIMIT ${limit} OFFSET ${offset})
      SELECT ${listColumns.map((c) => (FACET_COLUMNS.includes(c) ? c : `NULL AS ${c}`)).join(', ')}, ${FACET_GROUPING},
             count(*)::int AS count, count(*) FILTER (WHERE ${OVERDUE_SQL})::int AS overdue_count, NULL AS overdue, NULL AS page_pos
        FROM hits rs_request GROUP BY ${FACET_SETS}
      UNION ALL
      SELECT ${listColumns.join(', ')}, ${FACET_COLUMNS.map((c) => `NULL AS g_${c}`).join(', ')},
             NULL AS count, NULL AS overdue_count, ${OVERDUE_SQL} AS overdue, (row_number() OVER (${orderBy}))::int AS page_pos
        FROM rs_request WHERE id IN (SELECT id FROM page)`;
  }

  /** A page of requests (newest change first unless `sort`/`order` say otherwise) and facets counted over the whole filtered set.
   *  A facet value may be null (no partner yet): counted too, so every facet adds up to `total`. */
  async list(direction: Direction, query: RequestListQuery & { status?: string }, page: { limit: number; offset: number }): Promise<Page<Record<string, unknown>> & { facets: RequestFacets }> {
    const statements = this.statements(direction, query, page);
    // Independent statements, sent at once (each on its own pooled connection).
    const [answered, counted, paged]: [any[], { n: number }[] | undefined, any[] | undefined] = await Promise.all([
      this.dataSource.query(...statements.facets),
      statements.overdue && this.dataSource.query(...statements.overdue),
      statements.page && this.dataSource.query(...statements.page),
    ]);
    const facetRows = paged ? answered : answered.filter((r) => r.page_pos === null);
    const rows = paged ?? answered.filter((r) => r.page_pos !== null).sort((a, b) => a.page_pos - b.page_pos);
    const overdue = counted ? counted[0].n : facetRows.reduce((sum, r) => sum + (r.g_status === 0 ? r.overdue_count : 0), 0);
    if (!statements.direct) this.compaction.notePending(facetRows.reduce((sum, r) => sum + (r.g_status === 0 ? r.pending : 0), 0));
    const facets = {} as RequestFacets;
    for (const [name, column] of FACETS) {
      facets[name] = facetRows
        .filter((r) => r[`g_${column}`] === 0)
        .map((r) => ({ value: r[column] as string | null, count: r.count as number }))
        .sort((a, b) => b.count - a.count || String(a.value ?? '\uffff').localeCompare(String(b.value ?? '\uffff')));
    }
    const total = facets.status.reduce((sum, f) => sum + f.count, 0);
    facets.overdue = [
      { value: 'true', count: overdue },
      { value: 'false', count: total - overdue },
    ];
    return { items: rows.map((r) => ({ ...rowView(r, REQUEST_LIST_FIELDS), overdue: r.overdue })), total, limit: page.limit, offset: page.offset, facets };
  }

  /** One request with its raw record, its history (oldest first) and its outbound actions (by seq). */
  async get(id: string) {
    if (!isUuid(id)) throw notFound(`Request ${id}`);
    const [row] = await this.dataSource.query(`SELECT ${selectColumns(REQUEST_DETAIL_FIELDS)}, ${OVERDUE_SQL} AS overdue FROM rs_request WHERE id = $1`, [id]);
    if (!row) throw notFound(`Request ${id}`);
    const [events, actions] = await Promise.all([
      this.dataSource.query(
        `SELECT type, from_status, to_status, external_system_status, message, job_run_id, actor_key_id, actor_key_name, created_at FROM request_event WHERE request_id = $1 ORDER BY id`,
        [id],
      ),
      this.dataSource.query(
        `SELECT id, request_id, seq, action, nacsis_command, state, attempts, last_error, created_at, sent_at FROM outbound_action WHERE request_id = $1 ORDER BY seq`,
        [id],
      ),
    ]);
    return {
      ...rowView(row, REQUEST_DETAIL_FIELDS),
      overdue: row.overdue,
      events: events.map((e: any) => ({
        type: e.type,
        fromStatus: e.from_status,
        toStatus: e.to_status,
        externalSystemStatus: e.external_system_status,
        message: e.message,
        jobRunId: e.job_run_id,
        // Staff events: the API key that took the action; null for events of imports and pushes.
        actor: e.actor_key_id ? { keyId: e.actor_key_id, keyName: e.actor_key_name } : null,
        createdAt: e.created_at,
      })),
      outboundActions: actions.map((a: any) => ({
        id: a.id,
        requestId: a.request_id,
        seq: a.seq,
        action: a.action,
        nacsisCommand: a.nacsis_command,
        state: a.state,
        attempts: a.attempts,
        lastError: a.last_error,
        createdAt: a.created_at,
        sentAt: a.sent_at,
      })),
    };
  }
}
