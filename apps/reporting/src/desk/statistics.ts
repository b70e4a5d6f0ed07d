import { Controller, Get, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Response } from 'express';
import { IsIn, IsOptional, IsUUID, Matches } from 'class-validator';
import { DataSource } from 'typeorm';
import { validationFailed } from '@illbridge/common';
import { DIRECTIONS, type Direction } from '@illbridge/database/entities';
import { SqlWhere } from '../common';
import { csvLine, streamCsv } from '../jobs/csv';

const MONTH = /^\d{4}-(0[1-9]|1[0-2])(-\d{2})?$/;

export class StatisticsQuery {
  @ApiPropertyOptional({ description: 'First month (YYYY-MM, or a date: its month); default 11 months before `to`', example: '2026-01' })
  @IsOptional()
  @Matches(MONTH, { message: 'from must be a month YYYY-MM (or a date YYYY-MM-DD)' })
  from?: string;

  @ApiPropertyOptional({ description: 'Last month, included (YYYY-MM, or a date: its month); default this month (UTC)', example: '2026-12' })
  @IsOptional()
  @Matches(MONTH, { message: 'to must be a month YYYY-MM (or a date YYYY-MM-DD)' })
  to?: string;

  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID('all') profileId?: string;

  @ApiPropertyOptional({ enum: DIRECTIONS }) @IsOptional() @IsIn(DIRECTIONS as unknown as string[]) direction?: Direction;
}

export interface Turnaround {
  median: number | null;
  p90: number | null;
}
export interface StatisticsRow {
  month: string;
  direction: Direction;
  /** The partner, or null for a request without one; absent in `totals` (all partners). */
  partnerCode?: string | null;
  created: number;
  filled: number;
  rejectedOrCancelled: number;
  /** filled / (filled + rejectedOrCancelled); null when neither happened yet. */
  fillRate: number | null;
  /** Days from the request's creation to its shipping. */
  requestToShippedDays: Turnaround;
  /** Days from shipping to receipt. */
  shippedToReceivedDays: Turnaround;
}

interface DirtyKey {
  created_month: string;
  direction: Direction;
  profile_id: string | null;
  partner_code: string | null;
}

const days = (secs: unknown) => (secs === null || secs === undefined ? null : Math.round((Number(secs) / 86_400) * 100) / 100);
const monthStart = (value: string) => `${value.slice(0, 7)}-01`;

/** Statistics per month (of the request's creation, UTC) and partner, borrowing and lending, from the request
 *  history's milestones (request_stats, kept from request_event by a trigger): requests created, filled (shipped),
 *  rejected or cancelled without being shipped, the fill rate, and the median and 90th percentile turnarounds.
 *
 *  Each group (month × direction × one or all profiles × one or all partners) is computed once into
 *  request_stats_month and again only after the trigger marked one of its requests' milestones changed
 *  (request_stats_dirty, per month, direction, profile and partner): a call first recomputes the changed groups of
 *  its range, so its answer is always the history as it is, and reads the rest as computed. A timer recomputes
 *  changed groups in the background too (REFRESH_MS), so calls rarely have any to do. */
@Injectable()
export class StatisticsService implements OnApplicationBootstrap, OnApplicationShutdown {
  static REFRESH_MS = 30_000;
  private readonly logger = new Logger(StatisticsService.name);
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  onApplicationBootstrap() {
    this.timer = setInterval(() => {
      if (!this.stopped) void this.refresh('0001-01-01', '9999-12-01').catch((error) => this.logger.warn(`Statistics refresh failed: ${error?.message ?? error}`));
    }, StatisticsService.REFRESH_MS);
    this.timer.unref();
  }

  onApplicationShutdown() {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
  }

  /** Recomputes the changed groups of the months between `from` and `to` (first days of months): each marked
   *  (month, direction, profile, partner) key, and the groups it is part of — its profile over all partners, its
   *  partner over all profiles, its month and direction over all — read from the rows of the marked months and
   *  directions only. One refresh at a time across instances (advisory lock), so a reader after it sees every group
   *  computed. Answers how many marked keys it took. */
  async refresh(from: string, to: string): Promise<number> {
    return this.dataSource.transaction(async (em) => {
      await em.query(`SELECT pg_advisory_xact_lock(hashtext('illbridge-statistics-refresh'))`);
      const [marked]: [DirtyKey[], number] = await em.query(
        `DELETE FROM request_stats_dirty WHERE created_month BETWEEN $1::date AND $2::date RETURNING created_month::text, direction, profile_id, partner_code`,
        [from, to],
      );
      if (!marked.length) return 0;
      const keys = [...new Map(marked.map((k) => [JSON.stringify(k), k])).values()];
      const params = [keys.map((k) => k.created_month), keys.map((k) => k.direction), keys.map((k) => k.profile_id), keys.map((k) => k.partner_code)];
      // The keys, and the statistics rows of their months and directions (each read once).
      const marks = `WITH k AS (SELECT * FROM unnest($1::date[], $2::text[], $3::uuid[], $4::text[]) AS k(created_month, direction, profile_id, partner_code)),
        rows AS (SELECT * FROM request_stats WHERE (created_month, direction) IN (SELECT DISTINCT created_month, direction FROM k))`;
      // A key's profile and partner compared with NULL as a value (hashable, unlike IS NOT DISTINCT FROM).
      const profileOf = (t: string) => `${t}.profile_id IS NULL, COALESCE(${t}.profile_id, '00000000-0000-0000-0000-000000000000'::uuid)`;
      const partnerOf = (t: string) => `${t}.partner_code IS NULL, COALESCE(${t}.partner_code, '')`;
      const levels = [
        { allProfiles: false, allPartners: false, key: (t: string) => `${t}.created_month, ${t}.direction, ${profileOf(t)}, ${partnerOf(t)}` },
        { allProfiles: false, allPartners: true, key: (t: string) => `${t}.created_month, ${t}.direction, ${profileOf(t)}` },
        { allProfiles: true, allPartners: false, key: (t: string) => `${t}.created_month, ${t}.direction, ${partnerOf(t)}` },
        { allProfiles: true, allPartners: true, key: (t: string) => `${t}.created_month, ${t}.direction` },
      ];
      const matching = (level: (typeof levels)[number], t: string) => `(${level.key(t)}) IN (SELECT DISTINCT ${level.key('k')} FROM k)`;
      await em.query(
        `${marks} DELETE FROM request_stats_month m WHERE ${levels
          .map((level) => `(m.all_profiles = ${level.allProfiles} AND m.all_partners = ${level.allPartners} AND ${matching(level, 'm')})`)
          .join(' OR ')}`,
        params,
      );
      const computed = levels.map((level) => {
        const profile = level.allProfiles ? 'NULL::uuid' : 'r.profile_id';
        const partner = level.allPartners ? 'NULL::varchar' : 'r.partner_code';
        return `SELECT r.created_month, r.direction, ${level.allProfiles} AS all_profiles, ${profile} AS profile_id, ${level.allPartners} AS all_partners, ${partner} AS partner_code,
                       count(*)::int AS created,
                       count(*) FILTER (WHERE r.shipped_at IS NOT NULL)::int AS filled,
                       count(*) FILTER (WHERE r.shipped_at IS NULL AND r.unfilled_at IS NOT NULL)::int AS unfilled,
                       percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY r.ship_secs) AS ship,
                       percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY r.receive_secs) AS receive
                  FROM rows r WHERE ${matching(level, 'r')}
                 GROUP BY r.created_month, r.direction${level.allProfiles ? '' : ', r.profile_id'}${level.allPartners ? '' : ', r.partner_code'}`;
      });
      await em.query(
        `${marks} INSERT INTO request_stats_month (created_month, direction, all_profiles, profile_id, all_partners, partner_code, created, filled, unfilled, ship_p50, ship_p90, receive_p50, receive_p90)
         SELECT created_month, direction, all_profiles, profile_id, all_partners, partner_code, created, filled, unfilled, ship[1], ship[2], receive[1], receive[2]
           FROM (${computed.join(' UNION ALL ')}) g`,
        params,
      );
      return marked.length;
    });
  }

  async statistics(query: StatisticsQuery, now = new Date()) {
    const to = monthStart(query.to ?? now.toISOString());
    const from = query.from ? monthStart(query.from) : new Date(Date.UTC(Number(to.slice(0, 4)), Number(to.slice(5, 7)) - 12, 1)).toISOString().slice(0, 10);
    if (from > to) throw validationFailed(['from must not be after to']);
    await this.refresh(from, to);
    const where = new SqlWhere().add('created_month >= ?::date', from).add('created_month <= ?::date', to);
    if (query.profileId) where.add('NOT all_profiles AND profile_id = ?', query.profileId);
    else where.add('all_profiles');
    if (query.direction) where.add('direction = ?', query.direction);
    const rows: any[] = await this.dataSource.query(
      `SELECT to_char(created_month, 'YYYY-MM') AS month, direction, partner_code, all_partners, created, filled, unfilled, ship_p50, ship_p90, receive_p50, receive_p90
         FROM request_stats_month ${where.sql}
        ORDER BY created_month, direction, all_partners DESC, partner_code NULLS LAST`,
      where.params,
    );
    const view = (r: any): StatisticsRow => ({
      month: r.month,
      direction: r.direction,
      ...(!r.all_partners && { partnerCode: r.partner_code }),
      created: r.created,
      filled: r.filled,
      rejectedOrCancelled: r.unfilled,
      fillRate: r.filled + r.unfilled ? Math.round((r.filled / (r.filled + r.unfilled)) * 10_000) / 10_000 : null,
      requestToShippedDays: { median: days(r.ship_p50), p90: days(r.ship_p90) },
      shippedToReceivedDays: { median: days(r.receive_p50), p90: days(r.receive_p90) },
    });
    return {
      from: from.slice(0, 7),
      to: to.slice(0, 7),
      totals: rows.filter((r) => r.all_partners).map(view),
      rows: rows.filter((r) => !r.all_partners).map(view),
    };
  }
}

export const STATISTICS_CSV_HEADER = [
  'month', 'direction', 'partnerCode', 'created', 'filled', 'rejectedOrCancelled', 'fillRate',
  'requestToShippedMedianDays', 'requestToShippedP90Days', 'shippedToReceivedMedianDays', 'shippedToReceivedP90Days',
];
export const statisticsCsvLine = (r: StatisticsRow) =>
  csvLine([
    r.month, r.direction, r.partnerCode, r.created, r.filled, r.rejectedOrCancelled, r.fillRate,
    r.requestToShippedDays.median, r.requestToShippedDays.p90, r.shippedToReceivedDays.median, r.shippedToReceivedDays.p90,
  ]);

@ApiTags('statistics')
@ApiBearerAuth()
@Controller('api')
export class StatisticsController {
  constructor(private readonly statistics: StatisticsService) {}

  @Get('statistics')
  @ApiOperation({
    summary: 'Per month (of creation, UTC) and partner, borrowing and lending: created, filled, rejected/cancelled, fill rate, median and p90 turnarounds in days (viewer)',
  })
  get(@Query() query: StatisticsQuery) {
    return this.statistics.statistics(query);
  }

  @Get('statistics.csv')
  @ApiProduces('text/csv')
  @ApiOperation({ summary: 'The statistics rows (per partner) as CSV (RFC 4180, UTF-8; formula-like fields escaped)' })
  async csv(@Query() query: StatisticsQuery, @Res() res: Response): Promise<void> {
    const { rows } = await this.statistics.statistics(query);
    await streamCsv(res, 'statistics.csv', STATISTICS_CSV_HEADER, [rows.map(statisticsCsvLine)]);
  }
}
