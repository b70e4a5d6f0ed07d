import { Body, Controller, Delete, Get, Headers, HttpCode, Injectable, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { plainToInstance } from 'class-transformer';
import { IsIn, IsObject, IsOptional, IsString, Length, validate } from 'class-validator';
import { DataSource } from 'typeorm';
import { ApiError, bearerKey, conflict, flattenValidationErrors, isUuid, notFound, sha256, validationFailed } from '@illbridge/common';
import { ApiKeyEntity, DIRECTIONS, type Direction, SAVED_FILTER_VISIBILITIES, type SavedFilterVisibility } from '@illbridge/database/entities';
import { BorrowingRequestQuery, LendingRequestQuery, REQUEST_FILTER_KEYS } from '../requests/requests.dto';

export class SavedFilterBody {
  @ApiProperty({ example: 'Shipped loans waiting over 14 days' }) @IsString() @Length(1, 100) name: string;
  @ApiProperty({ enum: DIRECTIONS, description: 'The list it filters: borrowing or lending requests' }) @IsIn(DIRECTIONS as unknown as string[]) direction: Direction;
  @ApiPropertyOptional({ enum: SAVED_FILTER_VISIBILITIES, default: 'PRIVATE', description: 'PRIVATE: only this API key sees it; SHARED: every key sees it (only its key changes it)' })
  @IsOptional()
  @IsIn(SAVED_FILTER_VISIBILITIES as unknown as string[])
  visibility?: SavedFilterVisibility;
  @ApiProperty({ description: `The list's query parameters (${REQUEST_FILTER_KEYS.join(', ')}), checked as the list checks them`, example: { status: 'SHIPPED_PHYSICALLY', olderThanDays: '14' } })
  @IsObject()
  filter: Record<string, string>;
}

export class SavedFilterPatch {
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(1, 100) name?: string;
  @ApiPropertyOptional({ enum: SAVED_FILTER_VISIBILITIES }) @IsOptional() @IsIn(SAVED_FILTER_VISIBILITIES as unknown as string[]) visibility?: SavedFilterVisibility;
  @ApiPropertyOptional() @IsOptional() @IsObject() filter?: Record<string, string>;
}

export class SavedFilterListQuery {
  @ApiPropertyOptional({ enum: DIRECTIONS }) @IsOptional() @IsIn(DIRECTIONS as unknown as string[]) direction?: Direction;
}

const view = (r: any) => ({
  id: r.id,
  name: r.name,
  direction: r.direction,
  visibility: r.visibility,
  filter: r.filter,
  mine: r.mine,
  owner: r.owner_name,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** Checks a filter as the list would take it: known keys only, each value as the list's query checks it. */
async function filterProblems(direction: Direction, filter: Record<string, unknown>): Promise<string[]> {
  const problems: string[] = [];
  for (const [key, value] of Object.entries(filter)) {
    if (!(REQUEST_FILTER_KEYS as readonly string[]).includes(key)) problems.push(`filter.${key} is not a filter of the request lists (known: ${REQUEST_FILTER_KEYS.join(', ')})`);
    else if (typeof value !== 'string') problems.push(`filter.${key} must be a text (as in the list's URL)`);
  }
  if (problems.length) return problems;
  const type: new () => object = direction === 'BORROWING' ? BorrowingRequestQuery : LendingRequestQuery;
  const query = plainToInstance(type, filter);
  return flattenValidationErrors(await validate(query)).map((message) => `filter.${message}`);
}

/** Saved request-list filters of API keys (work queues): CRUD for the key of the call; SHARED ones of other keys
 *  are listed too (read-only). */
@Injectable()
export class SavedFiltersService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async keyId(authorization: string | undefined): Promise<string> {
    const key = bearerKey(authorization);
    const found = key ? await this.dataSource.getRepository(ApiKeyEntity).findOne({ where: { keyHash: sha256(key) }, select: { id: true } }) : null;
    if (!found) throw new ApiError(401, 'UNAUTHENTICATED', 'Unknown API key');
    return found.id;
  }

  async list(keyId: string, direction?: Direction) {
    const rows = await this.dataSource.query(
      `SELECT f.*, f.api_key_id = $1 AS mine, k.name AS owner_name FROM saved_filter f JOIN api_key k ON k.id = f.api_key_id
        WHERE (f.api_key_id = $1 OR f.visibility = 'SHARED') AND ($2::text IS NULL OR f.direction = $2)
        ORDER BY f.direction, lower(f.name), f.id`,
      [keyId, direction ?? null],
    );
    return { items: rows.map(view) };
  }

  async create(keyId: string, body: SavedFilterBody) {
    const problems = await filterProblems(body.direction, body.filter);
    if (problems.length) throw validationFailed(problems);
    try {
      const [row] = await this.dataSource.query(
        `INSERT INTO saved_filter (api_key_id, direction, name, visibility, filter) VALUES ($1, $2, $3, $4, $5::jsonb)
         RETURNING *, true AS mine, (SELECT name FROM api_key WHERE id = $1) AS owner_name`,
        [keyId, body.direction, body.name.trim(), body.visibility ?? 'PRIVATE', JSON.stringify(body.filter)],
      );
      return view(row);
    } catch (error: any) {
      if (error?.code === '23505') throw conflict(`A saved filter named "${body.name.trim()}" exists already for the ${body.direction.toLowerCase()} list`);
      throw error;
    }
  }

  private async own(keyId: string, id: string) {
    const [row] = isUuid(id) ? await this.dataSource.query(`SELECT * FROM saved_filter WHERE id = $1 AND (api_key_id = $2 OR visibility = 'SHARED')`, [id, keyId]) : [];
    if (!row) throw notFound(`Saved filter ${id}`);
    if (row.api_key_id !== keyId) throw new ApiError(403, 'FORBIDDEN', 'Only the API key that saved a filter changes or deletes it');
    return row;
  }

  async update(keyId: string, id: string, patch: SavedFilterPatch) {
    const row = await this.own(keyId, id);
    if (patch.filter) {
      const problems = await filterProblems(row.direction, patch.filter);
      if (problems.length) throw validationFailed(problems);
    }
    try {
      // An UPDATE answers [rows, count] through TypeORM.
      const [[updated]] = await this.dataSource.query(
        `UPDATE saved_filter SET name = COALESCE($2, name), visibility = COALESCE($3, visibility), filter = COALESCE($4::jsonb, filter), updated_at = now()
          WHERE id = $1 RETURNING *, true AS mine, (SELECT name FROM api_key WHERE id = api_key_id) AS owner_name`,
        [id, patch.name?.trim() ?? null, patch.visibility ?? null, patch.filter ? JSON.stringify(patch.filter) : null],
      );
      return view(updated);
    } catch (error: any) {
      if (error?.code === '23505') throw conflict(`A saved filter named "${patch.name?.trim()}" exists already for the ${String(row.direction).toLowerCase()} list`);
      throw error;
    }
  }

  async remove(keyId: string, id: string) {
    await this.own(keyId, id);
    await this.dataSource.query('DELETE FROM saved_filter WHERE id = $1', [id]);
  }
}

@ApiTags('saved-filters')
@ApiBearerAuth()
@Controller('api/saved-filters')
export class SavedFiltersController {
  constructor(private readonly filters: SavedFiltersService) {}

  @Get()
  @ApiOperation({ summary: "The key's own saved filters and every key's shared ones (viewer)" })
  async list(@Headers('authorization') authorization: string | undefined, @Query() query: SavedFilterListQuery) {
    return this.filters.list(await this.filters.keyId(authorization), query.direction);
  }

  @Post()
  @ApiOperation({ summary: 'Save a request-list filter for this API key (viewer); 409 CONFLICT for a name the key uses already on that list' })
  async create(@Headers('authorization') authorization: string | undefined, @Body() body: SavedFilterBody) {
    return this.filters.create(await this.filters.keyId(authorization), body);
  }

  @Patch(':id')
  @ApiOperation({ summary: "Rename, share or change a saved filter (only the key's own; 403 for another key's shared filter)" })
  async update(@Headers('authorization') authorization: string | undefined, @Param('id') id: string, @Body() patch: SavedFilterPatch) {
    return this.filters.update(await this.filters.keyId(authorization), id, patch);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: "Delete a saved filter (only the key's own)" })
  async remove(@Headers('authorization') authorization: string | undefined, @Param('id') id: string) {
    await this.filters.remove(await this.filters.keyId(authorization), id);
  }
}
