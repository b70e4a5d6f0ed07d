import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConflictResponse, ApiNoContentResponse, ApiOperation, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsOptional, IsString } from 'class-validator';
import { notFound, PageQuery, pageOf, RequireRole } from '@illbridge/common';
import { PROFILE_SYSTEMS, ProfileSystem } from '@illbridge/database/entities';
import { LibraryMappingDto, LibraryMappingsService } from './library-mappings.service';
import { ProfileDto } from './profile.dto';
import { ProfilesService } from './profiles.service';

export class ProfileQuery extends PageQuery {
  @ApiPropertyOptional({ enum: PROFILE_SYSTEMS }) @IsOptional() @IsIn(PROFILE_SYSTEMS as unknown as string[]) system?: ProfileSystem;
  @ApiPropertyOptional()
  @IsOptional()
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean({ message: 'active must be true or false' })
  active?: boolean;
  @ApiPropertyOptional() @IsOptional() @IsString() code?: string;
}

/** A malformed id names no profile: 404, like an unknown one. */
const uuid = new ParseUUIDPipe({ exceptionFactory: () => notFound('Integration profile') });

@ApiTags('integration-profiles')
@ApiBearerAuth()
@Controller('api/integration-profiles')
export class ProfilesController {
  constructor(
    private readonly profiles: ProfilesService,
    private readonly mappings: LibraryMappingsService,
  ) {}

  @Get()
  list(@Query() query: ProfileQuery) {
    const { limit, offset } = pageOf(query);
    return this.profiles.list({ system: query.system, active: query.active, code: query.code }, limit, offset);
  }

  /** The body is validated as a whole (shape, per-system rules, database) so every problem is listed at once. */
  @Post()
  @RequireRole('admin')
  @ApiBody({ type: ProfileDto })
  create(@Body() body: unknown) {
    return this.profiles.create(body);
  }

  @Get(':id')
  get(@Param('id', uuid) id: string) {
    return this.profiles.get(id);
  }

  @Patch(':id')
  @RequireRole('admin')
  @ApiBody({ type: ProfileDto })
  update(@Param('id', uuid) id: string, @Body() body: unknown) {
    return this.profiles.update(id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @RequireRole('admin')
  @ApiOperation({ summary: 'Delete a profile that has no history (no requests, job runs or Netpunkt receipts)' })
  @ApiNoContentResponse({ description: 'Deleted, with its library-code mappings and schedule' })
  @ApiConflictResponse({ description: '`PROFILE_IN_USE`: the profile has requests, job runs or receipts; deactivate it instead (`PATCH active=false`)' })
  remove(@Param('id', uuid) id: string) {
    return this.profiles.remove(id);
  }

  @Post(':id/run')
  @HttpCode(202)
  @RequireRole('operator')
  run(@Param('id', uuid) id: string) {
    return this.profiles.runNow(id);
  }

  @Get(':id/library-mappings')
  listMappings(@Param('id', uuid) id: string) {
    return this.mappings.list(id);
  }

  @Put(':id/library-mappings')
  @RequireRole('admin')
  @ApiBody({ type: [LibraryMappingDto] })
  replaceMappings(@Param('id', uuid) id: string, @Body() body: unknown) {
    return this.mappings.replace(id, body);
  }

  @Post(':id/library-mappings')
  @RequireRole('admin')
  addMapping(@Param('id', uuid) id: string, @Body() body: LibraryMappingDto) {
    return this.mappings.add(id, body);
  }

  @Delete(':id/library-mappings/:externalLibraryCode')
  @HttpCode(204)
  @RequireRole('admin')
  removeMapping(@Param('id', uuid) id: string, @Param('externalLibraryCode') externalLibraryCode: string) {
    return this.mappings.remove(id, externalLibraryCode);
  }
}
