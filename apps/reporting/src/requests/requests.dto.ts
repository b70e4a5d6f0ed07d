import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsOptional, IsString, IsUUID, Length, Max, Min } from 'class-validator';
import { PageQuery } from '@illbridge/common';
import { BORROWING_STATUSES, BorrowingStatus, LENDING_STATUSES, LendingStatus, SYNC_STATES, SyncState } from '@illbridge/database/entities';

/** The columns a request list may be sorted by (`?sort=`), answer field → rs_request column. */
export const REQUEST_SORTS = {
  updatedAt: 'updated_at',
  createdAt: 'created_at',
  externalId: 'external_id',
  title: 'title',
  author: 'author',
  status: 'status',
  externalSystemStatus: 'external_system_status',
  partnerCode: 'partner_code',
  syncState: 'sync_state',
  dueDate: 'due_date',
  statusSince: 'status_since',
} as const;
export type RequestSort = keyof typeof REQUEST_SORTS;
export const REQUEST_SORT_FIELDS = Object.keys(REQUEST_SORTS) as RequestSort[];

/** Filters shared by the borrowing and lending request lists. */
export class RequestListQuery extends PageQuery {
  @ApiPropertyOptional({ enum: REQUEST_SORT_FIELDS, default: 'updatedAt', description: 'Sort by this field (empty values last), then by id' })
  @IsOptional()
  @IsIn(REQUEST_SORT_FIELDS, { message: `sort must be one of: ${REQUEST_SORT_FIELDS.join(', ')}` })
  sort?: RequestSort;

  @ApiPropertyOptional({ enum: ['asc', 'desc'], default: 'desc' })
  @IsOptional()
  @IsIn(['asc', 'desc'], { message: 'order must be asc or desc' })
  order?: 'asc' | 'desc';

  @ApiPropertyOptional({ description: "The external system's own status text, exactly (Levererad, 発送, …)" })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  externalSystemStatus?: string;

  @ApiPropertyOptional({ description: 'Active partner code, ignoring case' })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  partnerCode?: string;

  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID('all') profileId?: string;

  @ApiPropertyOptional({ enum: SYNC_STATES }) @IsOptional() @IsIn(SYNC_STATES as unknown as string[]) syncState?: SyncState;

  @ApiPropertyOptional({ description: 'Search in title, author, external id, requester name and id, and request number (contains, ignoring case; control characters are ignored)' })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  q?: string;

  @ApiPropertyOptional({ enum: ['true', 'false'], description: "Only overdue requests (true) or only the others (false): an item out on loan whose due date is before today in its library's time zone" })
  @IsOptional()
  @IsIn(['true', 'false'], { message: 'overdue must be true or false' })
  overdue?: 'true' | 'false';

  @ApiPropertyOptional({ description: 'Waiting on us for at least this many days: the request entered its current status (statusSince) that long ago or earlier', minimum: 0, maximum: 3650 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'olderThanDays must be a whole number' })
  @Min(0)
  @Max(3650)
  olderThanDays?: number;

  @ApiPropertyOptional({ description: 'Created at or after (ISO date or date-time)' }) @IsOptional() @IsISO8601({}, { message: 'createdFrom must be an ISO 8601 date or date-time' }) createdFrom?: string;
  @ApiPropertyOptional({ description: 'Created at or before (a bare date includes that day)' }) @IsOptional() @IsISO8601({}, { message: 'createdTo must be an ISO 8601 date or date-time' }) createdTo?: string;
  @ApiPropertyOptional({ description: 'Changed at or after' }) @IsOptional() @IsISO8601({}, { message: 'updatedFrom must be an ISO 8601 date or date-time' }) updatedFrom?: string;
  @ApiPropertyOptional({ description: 'Changed at or before (a bare date includes that day)' }) @IsOptional() @IsISO8601({}, { message: 'updatedTo must be an ISO 8601 date or date-time' }) updatedTo?: string;
  @ApiPropertyOptional({ description: 'Due on or after (YYYY-MM-DD)' }) @IsOptional() @IsISO8601({ strict: true }, { message: 'dueFrom must be a date YYYY-MM-DD' }) @Length(10, 10, { message: 'dueFrom must be a date YYYY-MM-DD' }) dueFrom?: string;
  @ApiPropertyOptional({ description: 'Due on or before (YYYY-MM-DD)' }) @IsOptional() @IsISO8601({ strict: true }, { message: 'dueTo must be a date YYYY-MM-DD' }) @Length(10, 10, { message: 'dueTo must be a date YYYY-MM-DD' }) dueTo?: string;
}

/** The list filters (not paging or sorting) a saved filter may hold, and a request-list CSV export takes. */
export const REQUEST_FILTER_KEYS = [
  'status', 'externalSystemStatus', 'partnerCode', 'profileId', 'syncState', 'q', 'overdue', 'olderThanDays',
  'createdFrom', 'createdTo', 'updatedFrom', 'updatedTo', 'dueFrom', 'dueTo', 'sort', 'order',
] as const;

export class BorrowingRequestQuery extends RequestListQuery {
  @ApiPropertyOptional({ enum: BORROWING_STATUSES })
  @IsOptional()
  @IsIn(BORROWING_STATUSES as unknown as string[])
  status?: BorrowingStatus;
}

export class LendingRequestQuery extends RequestListQuery {
  @ApiPropertyOptional({ enum: LENDING_STATUSES })
  @IsOptional()
  @IsIn(LENDING_STATUSES as unknown as string[])
  status?: LendingStatus;
}
