import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsObject, IsOptional, IsString, Length, Matches, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { DAYS_OF_WEEK, DayOfWeek, Granularity, GRANULARITIES, INTEGRATION_TYPES, PROFILE_SYSTEMS, ProfileSystem, SCHEDULE_TYPES, ScheduleType } from '@illbridge/database/entities';
import { CODE_PATTERN } from '../libraries/libraries.controller';
import { Iso18626ChannelDto } from '../iso18626/iso18626-profile';

/** The shape of a profile as sent. Shape and types are checked here (unknown properties refused);
 *  what depends on the system and on the database is checked in profile-validation.ts, and both
 *  lists of problems are answered together. */
export class AuthenticationDto {
  @ApiPropertyOptional() @IsOptional() @IsBoolean() enabled?: boolean;
  @ApiPropertyOptional({ description: 'LIBRIS: the api-key (write only). Sent again whenever baseUrl moves to another origin.' }) @IsOptional() @IsString() @Length(1, 500) apiKey?: string;
  @ApiPropertyOptional({ description: 'NACSIS: the user id' }) @IsOptional() @IsString() @Length(1, 200) userId?: string;
  @ApiPropertyOptional({ description: 'NACSIS / NETPUNKT: the password (write only; NETPUNKT: at least 12 characters). Sent again whenever baseUrl moves to another origin.' }) @IsOptional() @IsString() @Length(1, 500) password?: string;
}

export class ScheduleDto {
  @ApiProperty({ enum: SCHEDULE_TYPES }) @IsIn(SCHEDULE_TYPES as unknown as string[]) type: ScheduleType;
  @ApiPropertyOptional({ example: '02:30' }) @IsOptional() @IsString() @Matches(/^([01]\d|2[0-3]):[0-5]\d$/, { message: 'time must be HH:mm (00:00–23:59)' }) time?: string;
  @ApiPropertyOptional({ enum: DAYS_OF_WEEK }) @IsOptional() @IsIn(DAYS_OF_WEEK as unknown as string[]) dayOfWeek?: DayOfWeek;
  @ApiPropertyOptional({ minimum: 5 }) @IsOptional() @IsInt() @Min(5, { message: 'everyMinutes must be at least 5' }) @Max(10080) everyMinutes?: number;
  @ApiPropertyOptional({ default: 'UTC', example: 'Europe/Stockholm' }) @IsOptional() @IsString() timezone?: string;
}

export class ProfileDto {
  @ApiProperty({ example: 'LIBRIS_MAIN' }) @IsOptional() @IsString() @Length(1, 64) @Matches(CODE_PATTERN, { message: 'code may hold letters, digits and _ . : -' }) code?: string;
  @ApiProperty({ example: 'Libris main library' }) @IsOptional() @IsString() @Length(1, 200) name?: string;
  @ApiProperty({ enum: INTEGRATION_TYPES }) @IsOptional() @IsIn(INTEGRATION_TYPES as unknown as string[]) integrationType?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(0, 2000) description?: string | null;
  @ApiProperty({ enum: PROFILE_SYSTEMS }) @IsOptional() @IsIn(PROFILE_SYSTEMS as unknown as string[]) system?: ProfileSystem;
  @ApiPropertyOptional({
    example: 'https://iller.libris.kb.se/librisfjarrlan/api',
    description: 'http(s); loopback, link-local (cloud metadata) and private addresses are refused unless ALLOW_PRIVATE_TARGETS=true. Moving it to another origin (scheme, host, port) needs the credentials in the same request.',
  }) @IsOptional() @IsString() @MaxLength(500) baseUrl?: string | null;
  @ApiProperty({ example: 'Hig' }) @IsOptional() @IsString() @Length(1, 64) libraryCode?: string;
  @ApiProperty({ example: 'MAIN' }) @IsOptional() @IsString() @Length(1, 64) resourceSharingLibraryCode?: string;
  @ApiPropertyOptional({ type: AuthenticationDto }) @IsOptional() @IsObject() @ValidateNested() @Type(() => AuthenticationDto) authentication?: AuthenticationDto;
  @ApiPropertyOptional({ default: true }) @IsOptional() @IsBoolean() active?: boolean;
  @ApiPropertyOptional({ example: '2026-01-01' }) @IsOptional() @IsString() harvestStartDate?: string | null;
  @ApiPropertyOptional({ enum: GRANULARITIES, default: 'DAY' }) @IsOptional() @IsIn(GRANULARITIES as unknown as string[]) granularity?: Granularity;
  @ApiPropertyOptional({ type: ScheduleDto }) @IsOptional() @IsObject() @ValidateNested() @Type(() => ScheduleDto) schedule?: ScheduleDto;
  @ApiPropertyOptional({ type: Iso18626ChannelDto, nullable: true, description: 'ISO18626 profiles (required) and NETPUNKT profiles (optional: the ISO 18626 endpoint of their lenders). null removes it.' })
  @IsOptional() @IsObject() @ValidateNested() @Type(() => Iso18626ChannelDto) iso18626?: Iso18626ChannelDto | null;
}
