import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, IsUUID, Length } from 'class-validator';
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

  @ApiPropertyOptional({ description: 'Search in title, author and external id (contains, ignoring case)' })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  q?: string;
}

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
