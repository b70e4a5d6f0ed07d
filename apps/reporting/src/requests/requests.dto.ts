import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, IsUUID, Length } from 'class-validator';
import { PageQuery } from '@illbridge/common';
import { BORROWING_STATUSES, BorrowingStatus, LENDING_STATUSES, LendingStatus, SYNC_STATES, SyncState } from '@illbridge/database/entities';

/** Filters shared by the borrowing and lending request lists. */
export class RequestListQuery extends PageQuery {
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
