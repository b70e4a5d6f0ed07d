import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { notFound, Page } from '@illbridge/common';
import type { Direction } from '@illbridge/database/entities';
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

@Injectable()
export class RequestsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly compaction: FacetCompactionService,
  ) {}

  /** The WHERE of a request list's filters; `direct`: some filter is not a key of request_facet_delta (search,
   *  work-queue filters), so the facets are counted over the matching rows. */
  filterOf(direction: Direction, query: RequestListQuery & { status?: string }): { where: SqlWhere; direct: boolean } {
    const where = new SqlWhere().add('direction = ?', direction);
    if (query.status) where.add('status = ?', query.status);
    if (query.externalSystemStatus) where.add('external_system_status = ?', query.externalSystemStatus);
    if (query.partnerCode) where.add('lower(partner_code) = lower(?)', query.partnerCode);
    if (query.profileId) where.add('profile_id = ?', query.profileId);
    if (query.syncState) where.add('sync_state = ?', query.syncState);
    if (query.q) {
      const pattern = likePattern(query.q);
      where.add(`(title ILIKE ? ESCAPE '\\' OR author ILIKE ? ESCAPE '\\' OR external_id ILIKE ? ESCAPE '\\')`, pattern, pattern, pattern);
    }
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
    return { where, direct: Boolean(query.q) || where.conditions.length > before };
  }

  /** Every request of a list's filters in its order, in pages of `size` (the CSV export). */
  async *eachRow(direction: Direction, query: RequestListQuery & { status?: string }, size = 1000): AsyncGenerator<Record<string, unknown>[]> {
    const { where } = this.filterOf(direction, query);
    const column = REQUEST_SORTS[query.sort ?? 'updatedAt'];
    const order = query.order === 'asc' ? 'ASC' : 'DESC';
    for (let offset = 0; ; offset += size) {
      const rows: any[] = await this.dataSource.query(
        `SELECT ${selectColumns(REQUEST_LIST_FIELDS)}, ${OVERDUE_SQL} AS overdue FROM rs_request ${where.sql} ORDER BY ${column} ${order} NULLS LAST, id ${order} LIMIT ${size} OFFSET ${offset}`,
        where.params,
      );
      if (rows.length) yield rows.map((r) => ({ ...rowView(r, REQUEST_LIST_FIELDS), overdue: r.overdue }));
      if (rows.length < size) return;
    }
  }

  /** A page of requests (newest change first unless `sort`/`order` say otherwise) and facets counted over the whole filtered set.
   *  A facet value may be null (no partner yet): counted too, so every facet adds up to `total`. */
  async list(direction: Direction, query: RequestListQuery & { status?: string }, page: { limit: number; offset: number }): Promise<Page<Record<string, unknown>> & { facets: RequestFacets }> {
    const { where, direct } = this.filterOf(direction, query);
    // Without `q` every filter is a key of request_facet_delta (kept by triggers on rs_request; migration
    // RequestFacetCounts): the facets are sums of its rows, the same numbers a count over rs_request gives.
    // With `q` they are counted over the matching rows (trigram bitmap, then the heap); there `(direction = $1)
    // IS TRUE` only keeps the planner from ANDing that bitmap with one of all the direction's rows (80% of the
    // table), which costs more than it saves (BENCHMARKS.md, "Request list with facets").
    const conditions = [...where.conditions];
    if (query.q) conditions[0] = '(direction = $1) IS TRUE';
    const filter = { sql: `WHERE ${conditions.join(' AND ')}`, params: [...where.params] };
    const sets = `GROUPING SETS (${FACETS.map(([, c]) => `(${c})`).join(', ')})`;
    const columns = `${FACETS.map(([, c]) => c).join(', ')}, ${FACETS.map(([, c]) => `GROUPING(${c}) AS g_${c}`).join(', ')}`;
    const [facetRows, [{ n: overdue }]]: [any[], { n: number }[]] = await Promise.all([
      this.dataSource.query(
        direct
          ? `SELECT ${columns}, count(*)::int AS count FROM rs_request ${filter.sql} GROUP BY ${sets}`
          : `SELECT ${columns}, sum(n)::int AS count, count(*) FILTER (WHERE NOT compacted)::int AS pending
               FROM request_facet_delta ${filter.sql} GROUP BY ${sets} HAVING sum(n) <> 0`,
        filter.params,
      ),
      // Overdue depends on the day, not only on the row: counted over the matching rows (partial index ix_rs_request_due).
      this.dataSource.query(`SELECT count(*)::int AS n FROM rs_request WHERE ${[...conditions, OVERDUE_SQL].join(' AND ')}`, filter.params),
    ]);
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
    if (!direct) this.compaction.notePending(facetRows.reduce((sum, r) => sum + (r.g_status === 0 ? r.pending : 0), 0));

    const limit = where.next(page.limit);
    const offset = where.next(page.offset);
    const column = REQUEST_SORTS[query.sort ?? 'updatedAt'];
    const order = query.order === 'asc' ? 'ASC' : 'DESC';
    const rows: any[] = await this.dataSource.query(
      `SELECT ${selectColumns(REQUEST_LIST_FIELDS)}, ${OVERDUE_SQL} AS overdue FROM rs_request ${where.sql} ORDER BY ${column} ${order} NULLS LAST, id ${order} LIMIT ${limit} OFFSET ${offset}`,
      where.params,
    );
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
