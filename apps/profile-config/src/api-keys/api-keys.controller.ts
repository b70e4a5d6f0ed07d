import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiProperty, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { IsIn, IsString, Length } from 'class-validator';
import { DataSource, IsNull } from 'typeorm';
import { Actor, ApiKeyAuthenticator, AuditActor, AuditService, newApiKey, notFound, RequireRole, sha256 } from '@illbridge/common';
import { ApiKeyEntity, Role, ROLES } from '@illbridge/database/entities';

export class CreateApiKeyDto {
  @ApiProperty() @IsString() @Length(1, 200) name: string;
  @ApiProperty({ enum: ROLES }) @IsIn(ROLES as unknown as string[]) role: Role;
}

const view = (key: ApiKeyEntity) => ({ id: key.id, name: key.name, role: key.role, keyPrefix: key.keyPrefix, createdAt: key.createdAt });

@ApiTags('api-keys')
@ApiBearerAuth()
@RequireRole('admin')
@Controller('api/api-keys')
export class ApiKeysController {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly authenticator: ApiKeyAuthenticator,
    private readonly audit: AuditService,
  ) {}

  /** The key is returned only here; only its hash is stored. */
  @Post()
  async create(@Body() body: CreateApiKeyDto, @Actor() actor: AuditActor) {
    const key = newApiKey();
    const saved = await this.dataSource
      .getRepository(ApiKeyEntity)
      .save({ name: body.name, role: body.role, keyHash: sha256(key), keyPrefix: key.slice(0, 8) });
    await this.audit.record(actor, 'CREATE', 'api-key', saved.id, { after: { ...view(saved), key } });
    return { ...view(saved), key };
  }

  @Get()
  async list() {
    const keys = await this.dataSource.getRepository(ApiKeyEntity).find({ where: { revokedAt: IsNull() }, order: { createdAt: 'ASC' } });
    return keys.map(view);
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@Param('id', new ParseUUIDPipe()) id: string, @Actor() actor: AuditActor) {
    const before = await this.dataSource.getRepository(ApiKeyEntity).findOne({ where: { id, revokedAt: IsNull() } });
    // Every service refuses the key within a second (Redis pub/sub); a revoked bootstrap key stays revoked.
    if (!(await this.authenticator.revoke(id))) throw notFound('API key');
    await this.audit.record(actor, 'DELETE', 'api-key', id, { before: before && view(before) });
  }
}
