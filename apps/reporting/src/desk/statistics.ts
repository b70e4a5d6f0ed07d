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

const days = (secs: unknown) => (secs === null || secs === undefined ? null : Math.round((Number(secs) / 86_400) * 100) / 100);
const monthStart = (value: string) => `${value.slice(0, 7)}-01`;

/** Statistics per month (of the request's creation, UTC) and partner, borrowing and lending, from the request
 *  history's milestones (request_stats, kept from request_event by a trigger): requests created, filled (shipped),
 *  rejected or cancelled without being shipped, the fill rate, and the median and 90th percentile turnarounds.
 *
 *  A month is computed once into request_stats_month (every combination of one or all profiles, one or all
 *  partners) and again only after the trigger marked it changed (request_stats_dirty): a call first recomputes
 *  the changed months of its range, so its answer is always the history as it is, and reads the rest as computed.
 *  A timer recomputes changed months in the background too (REFRESH_MS), so calls rarely have any to do. */
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

  /** Recomputes the changed months between `from` and `to` (first days of months); one refresh at a time across
   *  instances (advisory lock), so a reader after it sees every month computed. Answers how many it recomputed. */
  async refresh(from: string, to: string): Promise<number> {
    return this.dataSource.transaction(async (em) => {
      await em.query(`SELECT pg_advisory_xact_lock(hashtext('illbridge-statistics-refresh'))`);
      const [dirty]: [{ created_month: string }[], number] = await em.query(
        `DELETE FROM request_stats_dirty WHERE created_month BETWEEN $1::date AND $2::date RETURNING created_month`,
        [from, to],
      );
      const months = dirty.map((d) => d.created_month);
      if (!months.length) return 0;
      await em.query(`DELETE FROM request_stats_month WHERE created_month = ANY($1::date[])`, [months]);
      await em.query(
        `INSERT INTO request_stats_month (created_month, direction, all_profiles, profile_id, all_partners, partner_code, created, filled, unfilled, ship_p50, ship_p90, receive_p50, receive_p90)
         SELECT created_month, direction, g_profile = 1, profile_id, g_partner = 1, partner_code, created, filled, unfilled,
                ship[1], ship[2], receive[1], receive[2]
           FROM (SELECT created_month, direction, profile_id, partner_code, GROUPING(profile_id) AS g_profile, GROUPING(partner_code) AS g_partner,
                        count(*)::int AS created,
                        count(*) FILTER (WHERE shipped_at IS NOT NULL)::int AS filled,
                        count(*) FILTER (WHERE shipped_at IS NULL AND unfilled_at IS NOT NULL)::int AS unfilled,
                        percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY ship_secs) AS ship,
                        percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY receive_secs) AS receive
                   FROM request_stats WHERE created_month = ANY($1::date[])
                  GROUP BY GROUPING SETS ((created_month, direction, profile_id, partner_code), (created_month, direction, profile_id),
                                          (created_month, direction, partner_code), (created_month, direction))) g`,
        [months],
      );
      return months.length;
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
