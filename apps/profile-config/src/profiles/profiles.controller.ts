import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConflictResponse, ApiNoContentResponse, ApiOperation, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsOptional, IsString } from 'class-validator';
import { Actor, AuditActor, AuditService, notFound, PageQuery, pageOf, RequireRole } from '@illbridge/common';
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
    private readonly audit: AuditService,
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
  async create(@Body() body: unknown, @Actor() actor: AuditActor) {
    const created = await this.profiles.create(body);
    await this.audit.record(actor, 'CREATE', 'integration-profile', created.id, { after: created, input: body });
    return created;
  }

  @Get(':id')
  get(@Param('id', uuid) id: string) {
    return this.profiles.get(id);
  }

  @Patch(':id')
  @RequireRole('admin')
  @ApiBody({ type: ProfileDto })
  async update(@Param('id', uuid) id: string, @Body() body: unknown, @Actor() actor: AuditActor) {
    const before = await this.profiles.get(id);
    const updated = await this.profiles.update(id, body);
    await this.audit.record(actor, 'UPDATE', 'integration-profile', id, { before, after: updated, input: body });
    return updated;
  }

  @Delete(':id')
  @HttpCode(204)
  @RequireRole('admin')
  @ApiOperation({ summary: 'Delete a profile that has no history (no requests, job runs or Netpunkt receipts)' })
  @ApiNoContentResponse({ description: 'Deleted, with its library-code mappings and schedule' })
  @ApiConflictResponse({ description: '`PROFILE_IN_USE`: the profile has requests, job runs or receipts; deactivate it instead (`PATCH active=false`)' })
  async remove(@Param('id', uuid) id: string, @Actor() actor: AuditActor) {
    const before = await this.profiles.get(id);
    await this.profiles.remove(id);
    await this.audit.record(actor, 'DELETE', 'integration-profile', id, { before });
  }

  @Post(':id/run')
  @HttpCode(202)
  @RequireRole('operator')
  async run(@Param('id', uuid) id: string, @Actor() actor: AuditActor) {
    const run = await this.profiles.runNow(id);
    await this.audit.record(actor, 'RUN_NOW', 'integration-profile', id, { after: run });
    return run;
  }

  @Get(':id/library-mappings')
  listMappings(@Param('id', uuid) id: string) {
    return this.mappings.list(id);
  }

  @Put(':id/library-mappings')
  @RequireRole('admin')
  @ApiBody({ type: [LibraryMappingDto] })
  async replaceMappings(@Param('id', uuid) id: string, @Body() body: unknown, @Actor() actor: AuditActor) {
    const before = await this.mappings.list(id);
    const after = await this.mappings.replace(id, body);
    await this.audit.record(actor, 'REPLACE', 'library-mapping', id, { before: { mappings: before }, after: { mappings: after } });
    return after;
  }

  @Post(':id/library-mappings')
  @RequireRole('admin')
  async addMapping(@Param('id', uuid) id: string, @Body() body: LibraryMappingDto, @Actor() actor: AuditActor) {
    const added = await this.mappings.add(id, body);
    await this.audit.record(actor, 'CREATE', 'library-mapping', `${id}/${added.externalLibraryCode}`, { after: { profileId: id, ...added } });
    return added;
  }

  @Delete(':id/library-mappings/:externalLibraryCode')
  @HttpCode(204)
  @RequireRole('admin')
  async removeMapping(@Param('id', uuid) id: string, @Param('externalLibraryCode') externalLibraryCode: string, @Actor() actor: AuditActor) {
    await this.mappings.remove(id, externalLibraryCode);
    await this.audit.record(actor, 'DELETE', 'library-mapping', `${id}/${externalLibraryCode}`, { before: { profileId: id, externalLibraryCode } });
  }
}
