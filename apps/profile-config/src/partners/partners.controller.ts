import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { IsBoolean, IsIn, IsOptional, IsString, Length, Matches } from 'class-validator';
import { DataSource } from 'typeorm';
import { Actor, AuditActor, AuditService, conflict, notFound, Page, PageQuery, pageOf, RequireRole } from '@illbridge/common';
import { PARTNER_SYSTEMS, PartnerEntity, PartnerSystem } from '@illbridge/database/entities';
import { isUniqueViolation } from '@illbridge/database/errors';
import { CODE_PATTERN } from '../libraries/libraries.controller';

export class CreatePartnerDto {
  @ApiProperty({ example: 'Hig' }) @IsString() @Length(1, 64) @Matches(CODE_PATTERN, { message: 'code may hold letters, digits and _ . : -' }) code: string;
  @ApiProperty() @IsString() @Length(1, 300) name: string;
  @ApiProperty({ enum: PARTNER_SYSTEMS }) @IsIn(PARTNER_SYSTEMS as unknown as string[]) system: PartnerSystem;
  @ApiPropertyOptional({ default: true }) @IsOptional() @IsBoolean() active?: boolean;
}
export class UpdatePartnerDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(1, 300) name?: string;
  @ApiPropertyOptional({ enum: PARTNER_SYSTEMS }) @IsOptional() @IsIn(PARTNER_SYSTEMS as unknown as string[]) system?: PartnerSystem;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() active?: boolean;
}
export class PartnerQuery extends PageQuery {
  @ApiPropertyOptional({ enum: PARTNER_SYSTEMS }) @IsOptional() @IsIn(PARTNER_SYSTEMS as unknown as string[]) system?: PartnerSystem;
}

/** Partner codes are unique and looked up ignoring case ("hig" finds "Hig"). */
export const partnerKey = (code: string) => code.toLowerCase();
const view = (p: PartnerEntity) => ({ code: p.code, name: p.name, system: p.system, active: p.active, createdAt: p.createdAt, updatedAt: p.updatedAt });

@ApiTags('partners')
@ApiBearerAuth()
@Controller('api/partners')
export class PartnersController {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditService,
  ) {}

  private get repo() {
    return this.dataSource.getRepository(PartnerEntity);
  }

  @Get()
  async list(@Query() query: PartnerQuery): Promise<Page<ReturnType<typeof view>>> {
    const { limit, offset } = pageOf(query);
    const [items, total] = await this.repo.findAndCount({ where: query.system ? { system: query.system } : {}, order: { codeKey: 'ASC' }, take: limit, skip: offset });
    return { items: items.map(view), total, limit, offset };
  }

  @Post()
  @RequireRole('admin')
  async create(@Body() body: CreatePartnerDto, @Actor() actor: AuditActor) {
    const existing = await this.repo.findOne({ where: { codeKey: partnerKey(body.code) } });
    if (existing) throw conflict(`Partner ${existing.code} exists already (codes are unique ignoring case)`);
    try {
      const created = view(await this.repo.save({ ...body, codeKey: partnerKey(body.code), active: body.active ?? true }));
      await this.audit.record(actor, 'CREATE', 'partner', created.code, { after: created });
      return created;
    } catch (error) {
      // A concurrent create of the same code won the race.
      if (isUniqueViolation(error)) throw conflict(`Partner ${body.code} exists already (codes are unique ignoring case)`);
      throw error;
    }
  }

  @Get(':code')
  async get(@Param('code') code: string) {
    return view(await this.find(code));
  }

  @Patch(':code')
  @RequireRole('admin')
  async update(@Param('code') code: string, @Body() body: UpdatePartnerDto, @Actor() actor: AuditActor) {
    const partner = await this.find(code);
    const updated = view(await this.repo.save({ ...partner, ...body }));
    await this.audit.record(actor, 'UPDATE', 'partner', partner.code, { before: view(partner), after: updated, input: body });
    return updated;
  }

  @Delete(':code')
  @HttpCode(204)
  @RequireRole('admin')
  async remove(@Param('code') code: string, @Actor() actor: AuditActor) {
    const partner = await this.find(code);
    await this.repo.delete({ id: partner.id });
    await this.audit.record(actor, 'DELETE', 'partner', partner.code, { before: view(partner) });
  }

  private async find(code: string) {
    const partner = await this.repo.findOne({ where: { codeKey: partnerKey(code) } });
    if (!partner) throw notFound(`Partner ${code}`);
    return partner;
  }
}
