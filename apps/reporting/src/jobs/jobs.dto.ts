import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsOptional, IsUUID } from 'class-validator';
import { PageQuery } from '@illbridge/common';
import { DIRECTIONS, Direction, JOB_STATES, JobState, RECORD_OUTCOMES, RecordOutcome } from '@illbridge/database/entities';

const ISO = { strict: true, strictSeparator: true };
const isoMessage = (name: string) => ({ message: `${name} must be an ISO 8601 date or time (2026-11-22 or 2026-11-22T09:30:00Z)` });

/** Filters of job history (one profile). */
export class JobHistoryQuery extends PageQuery {
  @ApiPropertyOptional({ enum: JOB_STATES }) @IsOptional() @IsIn(JOB_STATES as unknown as string[]) state?: JobState;
  @ApiPropertyOptional({ description: 'created at or after (ISO 8601)', example: '2026-11-01' })
  @IsOptional()
  @IsISO8601(ISO, isoMessage('from'))
  from?: string;
  @ApiPropertyOptional({ description: 'created at or before (ISO 8601; a bare date includes that day)', example: '2026-11-22' })
  @IsOptional()
  @IsISO8601(ISO, isoMessage('to'))
  to?: string;
}

/** Filters of monitor jobs (every profile). */
export class JobsQuery extends JobHistoryQuery {
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID('all') profileId?: string;
}

/** Filters of the events report. */
export class EventsFilter {
  @ApiPropertyOptional({ enum: RECORD_OUTCOMES }) @IsOptional() @IsIn(RECORD_OUTCOMES as unknown as string[]) outcome?: RecordOutcome;
  @ApiPropertyOptional({ enum: DIRECTIONS }) @IsOptional() @IsIn(DIRECTIONS as unknown as string[]) direction?: Direction;
}

export class EventsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: RECORD_OUTCOMES }) @IsOptional() @IsIn(RECORD_OUTCOMES as unknown as string[]) outcome?: RecordOutcome;
  @ApiPropertyOptional({ enum: DIRECTIONS }) @IsOptional() @IsIn(DIRECTIONS as unknown as string[]) direction?: Direction;
}
