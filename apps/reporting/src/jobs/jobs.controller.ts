import { Controller, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import type { Response } from 'express';
import { Actor, AuditActor, AuditService, pageOf, RequireRole } from '@illbridge/common';
import { EVENTS_CSV_HEADER, eventCsvLine, streamCsv } from './csv';
import { EventsFilter, EventsQuery, JobHistoryQuery, JobsQuery } from './jobs.dto';
import { JobsService } from './jobs.service';
import type { Role } from '@illbridge/database/entities';

const COUNTERS_SCHEMA: SchemaObject = {
  type: 'object',
  properties: Object.fromEntries(
    ['totalRecordsProcessed', 'borrowingProcessed', 'borrowingSucceeded', 'borrowingFailed', 'lendingProcessed', 'lendingSucceeded', 'lendingFailed', 'created', 'updated', 'unchanged'].map(
      (name) => [name, { type: 'integer' }],
    ),
  ),
};
const PROGRESS_SCHEMA: SchemaObject = {
  type: 'object',
  properties: {
    stage: { type: 'string', enum: ['QUEUED', 'STARTING', 'HARVESTING', 'REFRESHING', 'FINALIZING', 'DONE'] },
    recordsRead: { type: 'integer' },
    detail: {
      type: 'string',
      nullable: true,
      description: 'What the stage is doing, in words (e.g. "Refreshing open requests by LF number, at most 2 a second: 312 of at most 10000 (about 1 h 23 min left)"); null when there is nothing to add',
    },
  },
};
const FAILED_SCHEMA: SchemaObject = {
  type: 'array',
  items: { type: 'object', properties: { externalId: { type: 'string' }, reasonCode: { type: 'string', nullable: true }, message: { type: 'string', nullable: true } } },
};
const JOB_REPORT_SCHEMA: SchemaObject = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    profileId: { type: 'string', format: 'uuid' },
    jobName: { type: 'string' },
    trigger: { type: 'string', enum: ['SCHEDULED', 'MANUAL', 'INBOUND'] },
    state: { type: 'string', enum: ['PENDING', 'RUNNING', 'COMPLETED_SUCCESSFULLY', 'COMPLETED_WITH_ERRORS', 'FAILED', 'ABORTED'] },
    startedAt: { type: 'string', format: 'date-time', nullable: true },
    finishedAt: { type: 'string', format: 'date-time', nullable: true },
    window: { type: 'object', properties: { from: { type: 'string', nullable: true }, to: { type: 'string', nullable: true } } },
    progress: PROGRESS_SCHEMA,
    counters: COUNTERS_SCHEMA,
    failedBorrowing: FAILED_SCHEMA,
    failedLending: FAILED_SCHEMA,
    warnings: {
      type: 'array',
      items: { type: 'string' },
      description: 'What the run noticed but did not fail on (at most 100), e.g. refreshed Libris requests not found, NACSIS look-ups that did not answer completely',
    },
    error: {
      type: 'object',
      nullable: true,
      properties: {
        code: { type: 'string', description: 'e.g. AUTHENTICATION_FAILED, EXTERNAL_SYSTEM_UNAVAILABLE, EXTERNAL_SYSTEM_ERROR, MALFORMED_RESPONSE, UNEXPECTED_RESPONSE (an answer that is not the expected format: an HTML page, an error text)' },
        message: { type: 'string' },
      },
    },
  },
};

@ApiTags('jobs')
@ApiBearerAuth()
@Controller('api/jobs')
export class JobsController {
  constructor(
    private readonly jobs: JobsService,
    private readonly audit: AuditService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Monitor jobs: runs of every profile, newest first; active ones with live progress and counters' })
  list(@Query() query: JobsQuery) {
    return this.jobs.list(query, pageOf(query));
  }

  @Get(':id')
  @ApiOperation({
    summary: 'The job report: counters, failed borrowing and lending records with their reasons, warnings',
    description: "A failed run's `error.message` is the full reason for operators and admins; viewers get it short (at most 160 characters), without what the external system answered after its HTTP status and without URLs or IP addresses.",
  })
  @ApiOkResponse({ description: 'The job report', schema: JOB_REPORT_SCHEMA })
  report(@Param('id') id: string, @Req() request: { apiRole?: Role }) {
    return this.jobs.report(id, request.apiRole ?? 'viewer');
  }

  @Post(':id/abort')
  @HttpCode(200)
  @RequireRole('operator')
  @ApiOperation({ summary: 'Abort a pending or running run: a pending one ends at once, a running one when the worker stops (409 if it has ended)' })
  async abort(@Param('id') id: string, @Actor() actor: AuditActor) {
    const aborted = await this.jobs.abort(id);
    await this.audit.record(actor, 'ABORT', 'job-run', id, { after: aborted });
    return aborted;
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
    const jobs = this.jobs;
    async function* pages() {
      for await (const rows of jobs.eachEvent(id, query)) yield rows.map(eventCsvLine);
    }
    await streamCsv(res, `job-${id}-events.csv`, EVENTS_CSV_HEADER, pages());
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
