import { Controller, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { once } from 'events';
import { pageOf, RequireRole } from '@illbridge/common';
import { EVENTS_CSV_HEADER, csvLine, eventCsvLine } from './csv';
import { EventsFilter, EventsQuery, JobHistoryQuery, JobsQuery } from './jobs.dto';
import { JobsService } from './jobs.service';
import type { Role } from '@illbridge/database/entities';

@ApiTags('jobs')
@ApiBearerAuth()
@Controller('api/jobs')
export class JobsController {
  constructor(private readonly jobs: JobsService) {}

  @Get()
  @ApiOperation({ summary: 'Monitor jobs: runs of every profile, newest first; active ones with live progress and counters' })
  list(@Query() query: JobsQuery) {
    return this.jobs.list(query, pageOf(query));
  }

  @Get(':id')
  @ApiOperation({
    summary: 'The job report: counters, failed borrowing and lending records with their reasons',
    description: "A failed run's `error.message` is the full reason for operators and admins; viewers get it short (at most 160 characters), without what the external system answered after its HTTP status and without URLs or IP addresses.",
  })
  report(@Param('id') id: string, @Req() request: { apiRole?: Role }) {
    return this.jobs.report(id, request.apiRole ?? 'viewer');
  }

  @Post(':id/abort')
  @HttpCode(200)
  @RequireRole('operator')
  @ApiOperation({ summary: 'Abort a pending or running run: a pending one ends at once, a running one when the worker stops (409 if it has ended)' })
  abort(@Param('id') id: string) {
    return this.jobs.abort(id);
  }

  @Get(':id/events')
  @ApiOperation({ summary: 'Events report: one row per external record of the run' })
  events(@Param('id') id: string, @Query() query: EventsQuery) {
    return this.jobs.events(id, { outcome: query.outcome, direction: query.direction }, pageOf(query));
  }

  @Get(':id/events.csv')
  @ApiProduces('text/csv')
  @ApiOperation({ summary: 'Events report as CSV (RFC 4180, UTF-8), streamed' })
  async eventsCsv(@Param('id') id: string, @Query() query: EventsFilter, @Res() res: Response): Promise<void> {
    await this.jobs.ensureRun(id); // 404 in the JSON error format, before any byte is sent
    res.status(200);
    res.setHeader('Content-Type', 'text/csv; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="job-${id}-events.csv"`);
    res.setHeader('Cache-Control', 'no-store');
    let closed = false;
    res.on('close', () => (closed = true));
    const write = async (chunk: string) => {
      if (!res.write(chunk, 'utf8') && !closed) await Promise.race([once(res, 'drain'), once(res, 'close')]);
    };
    try {
      await write(csvLine(EVENTS_CSV_HEADER));
      for await (const rows of this.jobs.eachEvent(id, query)) {
        if (closed) return;
        await write(rows.map(eventCsvLine).join(''));
      }
      res.end();
    } catch (error) {
      // Headers are out: the only honest signal left is a broken download.
      res.destroy(error as Error);
    }
  }
}

@ApiTags('jobs')
@ApiBearerAuth()
@Controller('api/integration-profiles')
export class JobHistoryController {
  constructor(private readonly jobs: JobsService) {}

  @Get(':id/job-history')
  @ApiOperation({ summary: 'Runs of one profile, newest first' })
  history(@Param('id') id: string, @Query() query: JobHistoryQuery) {
    return this.jobs.history(id, query, pageOf(query));
  }
}
