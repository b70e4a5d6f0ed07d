import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { IsISO8601, IsOptional, IsString, Length } from 'class-validator';
import { DataSource } from 'typeorm';
import { AuditService, PageQuery, pageOf, RequireRole } from '@illbridge/common';
import { RetentionRunEntity } from '@illbridge/database/entities';

const ISO = { strict: true, strictSeparator: true };
const isoMessage = (name: string) => ({ message: `${name} must be an ISO 8601 date or time (2026-11-22 or 2026-11-22T09:30:00Z)` });
/** A bare date as `to` includes that day. */
const endOf = (to: string) => (/^\d{4}-\d{2}-\d{2}$/.test(to) ? new Date(Date.parse(`${to}T00:00:00Z`) + 86_400_000) : new Date(to));

export class AuditQuery extends PageQuery {
  @ApiPropertyOptional({ description: "the actor: an API key's id or name" }) @IsOptional() @IsString() @Length(1, 200) actor?: string;
  @ApiPropertyOptional({ description: 'entity type', enum: ['integration-profile', 'library-mapping', 'partner', 'library', 'api-key', 'request', 'outbound-action', 'job-run'] })
  @IsOptional()
  @IsString()
  @Length(1, 40)
  entity?: string;
  @ApiPropertyOptional({ description: "the entity's id (a profile id, a partner or library code, a request id…)" }) @IsOptional() @IsString() @Length(1, 200) entityId?: string;
  @ApiPropertyOptional({ description: 'at or after (ISO 8601)', example: '2026-11-01' }) @IsOptional() @IsISO8601(ISO, isoMessage('from')) from?: string;
  @ApiPropertyOptional({ description: 'before (ISO 8601; a bare date includes that day)', example: '2026-11-22' }) @IsOptional() @IsISO8601(ISO, isoMessage('to')) to?: string;
}

const AUDIT_PAGE_SCHEMA = {
  type: 'object',
  properties: {
    items: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          id: { type: 'string' },
          at: { type: 'string', format: 'date-time' },
          actor: { type: 'object', properties: { keyId: { type: 'string', format: 'uuid', nullable: true }, keyName: { type: 'string', nullable: true }, role: { type: 'string', nullable: true } } },
          action: { type: 'string', example: 'UPDATE', description: 'CREATE, UPDATE, DELETE, REPLACE (mappings), RUN_NOW, ABORT, ACTION, BULK_ACTION, RETRY, DISCARD' },
          entity: { type: 'object', properties: { type: { type: 'string', example: 'integration-profile' }, id: { type: 'string', nullable: true } } },
          before: { type: 'object', nullable: true, description: 'configuration: the changed fields before (dotted paths; secrets "***")', example: { name: 'Old name', 'authentication.password': '***' } },
          after: { type: 'object', nullable: true, description: 'configuration: the changed fields after; actions: what was asked and what came of it', example: { name: 'New name', 'authentication.password': '***' } },
        },
      },
    },
    total: { type: 'integer' },
    limit: { type: 'integer' },
    offset: { type: 'integer' },
  },
};

@ApiTags('audit')
@ApiBearerAuth()
@Controller('api')
export class AuditController {
  constructor(
    private readonly audit: AuditService,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  @Get('audit')
  @RequireRole('admin')
  @ApiOperation({ summary: 'Who did what: staff actions and configuration changes, newest first' })
  @ApiOkResponse({ schema: AUDIT_PAGE_SCHEMA })
  list(@Query() query: AuditQuery) {
    const { limit, offset } = pageOf(query);
    return this.audit.list({ actor: query.actor, entity: query.entity, entityId: query.entityId, from: query.from ? new Date(query.from) : undefined, to: query.to ? endOf(query.to) : undefined, limit, offset });
  }

  /** The personal data retention job's runs (RETENTION_DAYS), newest first. */
  @Get('retention-runs')
  @RequireRole('operator')
  @ApiOperation({ summary: 'Runs of the personal data retention job (RETENTION_DAYS): how many closed requests were purged' })
  async retentionRuns(@Query() query: PageQuery) {
    const { limit, offset } = pageOf(query);
    const [items, total] = await this.dataSource.getRepository(RetentionRunEntity).findAndCount({ order: { startedAt: 'DESC' }, take: limit, skip: offset });
    return { items, total, limit, offset };
  }
}
