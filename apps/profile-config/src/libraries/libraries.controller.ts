import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { IsBoolean, IsOptional, IsString, Length, Matches } from 'class-validator';
import { DataSource } from 'typeorm';
import { Actor, AuditActor, AuditService, conflict, notFound, Page, PageQuery, pageOf, RequireRole } from '@illbridge/common';
import { IntegrationProfileEntity, LibraryEntity, LibraryMappingEntity, RequestEntity } from '@illbridge/database/entities';
import { isUniqueViolation } from '@illbridge/database/errors';

export const CODE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:\-]*$/;

export class CreateLibraryDto {
  @ApiProperty({ example: 'MAIN' }) @IsString() @Length(1, 64) @Matches(CODE_PATTERN, { message: 'code may hold letters, digits and _ . : -' }) code: string;
  @ApiProperty({ example: 'Main library' }) @IsString() @Length(1, 300) name: string;
  @ApiPropertyOptional({ default: false }) @IsOptional() @IsBoolean() resourceSharing?: boolean;
}
export class UpdateLibraryDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(1, 300) name?: string;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() resourceSharing?: boolean;
}

const view = (l: LibraryEntity) => ({ code: l.code, name: l.name, resourceSharing: l.resourceSharing, createdAt: l.createdAt, updatedAt: l.updatedAt });

@ApiTags('libraries')
@ApiBearerAuth()
@Controller('api/libraries')
export class LibrariesController {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditService,
  ) {}

  private get repo() {
    return this.dataSource.getRepository(LibraryEntity);
  }

  @Get()
  async list(@Query() query: PageQuery): Promise<Page<ReturnType<typeof view>>> {
    const { limit, offset } = pageOf(query);
    const [items, total] = await this.repo.findAndCount({ order: { code: 'ASC' }, take: limit, skip: offset });
    return { items: items.map(view), total, limit, offset };
  }

  @Post()
  @RequireRole('admin')
  async create(@Body() body: CreateLibraryDto, @Actor() actor: AuditActor) {
    if (await this.repo.exists({ where: { code: body.code } })) throw conflict(`Library ${body.code} exists already`);
    try {
      // insert, not save: save would update a library created meanwhile by a concurrent request.
      await this.repo.insert({ code: body.code, name: body.name, resourceSharing: body.resourceSharing ?? false });
    } catch (error) {
      if (isUniqueViolation(error)) throw conflict(`Library ${body.code} exists already`);
      throw error;
    }
    const created = view(await this.find(body.code));
    await this.audit.record(actor, 'CREATE', 'library', body.code, { after: created });
    return created;
  }

  @Get(':code')
  async get(@Param('code') code: string) {
    return view(await this.find(code));
  }

  @Patch(':code')
  @RequireRole('admin')
  async update(@Param('code') code: string, @Body() body: UpdateLibraryDto, @Actor() actor: AuditActor) {
    const library = await this.find(code);
    if (body.resourceSharing === false && library.resourceSharing) await this.assertNotOwningProfiles(code, 'stop being a resource sharing library');
    const updated = view(await this.repo.save({ ...library, ...body }));
    await this.audit.record(actor, 'UPDATE', 'library', code, { before: view(library), after: updated, input: body });
    return updated;
  }

  @Delete(':code')
  @HttpCode(204)
  @RequireRole('admin')
  async remove(@Param('code') code: string, @Actor() actor: AuditActor) {
    const library = await this.find(code);
    await this.assertNotOwningProfiles(code, 'be deleted');
    const mapped = await this.dataSource.getRepository(LibraryMappingEntity).count({ where: { libraryCode: code } });
    const owning = await this.dataSource.getRepository(RequestEntity).count({ where: [{ ownerLibraryCode: code }, { pickupLibraryCode: code }] });
    if (mapped || owning) throw conflict(`Library ${code} is in use (${mapped} library-code mapping(s), ${owning} request(s)) and cannot be deleted`);
    await this.repo.delete({ code });
    await this.audit.record(actor, 'DELETE', 'library', code, { before: view(library) });
  }

  private async find(code: string) {
    const library = await this.repo.findOne({ where: { code } });
    if (!library) throw notFound(`Library ${code}`);
    return library;
  }

  private async assertNotOwningProfiles(code: string, what: string) {
    const profiles = await this.dataSource.getRepository(IntegrationProfileEntity).find({ where: { resourceSharingLibraryCode: code }, select: { code: true } });
    if (profiles.length) throw conflict(`Library ${code} is the resource sharing library of profile(s) ${profiles.map((p) => p.code).join(', ')} and cannot ${what}`);
  }
}
