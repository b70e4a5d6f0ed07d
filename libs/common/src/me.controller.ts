import { Controller, Get, Headers } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ApiKeyEntity, Role, ROLES } from '@illbridge/database/entities';
import { bearerKey } from './auth';
import { sha256 } from './crypto';
import { ApiError } from './errors';

export class MeView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'night shift' }) name: string;
  @ApiProperty({ enum: ROLES }) role: Role;
}

/** `GET /api/me`: which key is this, and what may it do. The staff console asks it at sign-in to
 *  decide what to show (a viewer sees no action buttons; only an admin sees configuration). */
@ApiTags('me')
@ApiBearerAuth()
@Controller('api/me')
export class MeController {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  @Get()
  @ApiOperation({ summary: 'The API key of the call: its id, name and role (any role)' })
  @ApiOkResponse({ type: MeView })
  async me(@Headers('authorization') authorization: string | undefined): Promise<MeView> {
    // The global guard has already let the key in; a key deleted in between is unknown here too.
    const key = bearerKey(authorization);
    const found = key
      ? await this.dataSource.getRepository(ApiKeyEntity).findOne({ where: { keyHash: sha256(key) }, select: { id: true, name: true, role: true } })
      : null;
    if (!found) throw new ApiError(401, 'UNAUTHENTICATED', 'Unknown API key');
    return { id: found.id, name: found.name, role: found.role };
  }
}
