import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { plainToInstance } from 'class-transformer';
import { IsString, Length, validate } from 'class-validator';
import { ApiProperty } from '@nestjs/swagger';
import { DataSource, EntityManager, In } from 'typeorm';
import { conflict, flattenValidationErrors, notFound, validationFailed } from '@illbridge/common';
import { IntegrationProfileEntity, LibraryEntity, LibraryMappingEntity } from '@illbridge/database/entities';
import { isUniqueViolation } from '@illbridge/database/errors';

export class LibraryMappingDto {
  @ApiProperty({ example: 'MAIN' }) @IsString() @Length(1, 64) libraryCode: string;
  @ApiProperty({ example: 'Hig', description: 'Case-sensitive: Libris sigels are' }) @IsString() @Length(1, 64) externalLibraryCode: string;
}

const view = (m: LibraryMappingEntity) => ({ libraryCode: m.libraryCode, externalLibraryCode: m.externalLibraryCode });

@Injectable()
export class LibraryMappingsService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async list(profileId: string) {
    await this.profile(profileId);
    const mappings = await this.dataSource.getRepository(LibraryMappingEntity).find({ where: { profileId }, order: { externalLibraryCode: 'ASC' } });
    return mappings.map(view);
  }

  /** Replaces the whole list; every problem of every entry is reported at once. */
  async replace(profileId: string, body: unknown) {
    await this.profile(profileId);
    const mappings = await this.validList(body);
    return this.dataSource.transaction(async (manager) => {
      // Replacements of one profile's list one at a time: two at once would both insert (a unique violation, 500).
      await this.profile(profileId, manager, true);
      await manager.getRepository(LibraryMappingEntity).delete({ profileId });
      if (mappings.length) await manager.getRepository(LibraryMappingEntity).insert(mappings.map((m) => ({ ...m, profileId })));
      const saved = await manager.getRepository(LibraryMappingEntity).find({ where: { profileId }, order: { externalLibraryCode: 'ASC' } });
      return saved.map(view);
    });
  }

  async add(profileId: string, mapping: LibraryMappingDto) {
    await this.profile(profileId);
    const problems = await this.libraryProblems([mapping.libraryCode]);
    if (problems.length) throw validationFailed(problems);
    const repo = this.dataSource.getRepository(LibraryMappingEntity);
    const clash = await repo.findOne({ where: [{ profileId, libraryCode: mapping.libraryCode }, { profileId, externalLibraryCode: mapping.externalLibraryCode }] });
    if (clash) throw conflict(`Library ${clash.libraryCode} is mapped to ${clash.externalLibraryCode} already in this profile`);
    try {
      return view(await repo.save({ profileId, libraryCode: mapping.libraryCode, externalLibraryCode: mapping.externalLibraryCode }));
    } catch (error) {
      // A concurrent request mapped the same code meanwhile.
      if (isUniqueViolation(error)) throw conflict(`Library ${mapping.libraryCode} or external library ${mapping.externalLibraryCode} is mapped already in this profile`);
      throw error;
    }
  }

  async remove(profileId: string, externalLibraryCode: string) {
    await this.profile(profileId);
    const result = await this.dataSource.getRepository(LibraryMappingEntity).delete({ profileId, externalLibraryCode });
    if (!result.affected) throw notFound(`Mapping of external library ${externalLibraryCode}`);
  }

  private async profile(id: string, manager: EntityManager = this.dataSource.manager, lock = false) {
    const profile = await manager
      .getRepository(IntegrationProfileEntity)
      .findOne({ where: { id }, select: { id: true }, ...(lock ? { lock: { mode: 'pessimistic_write' as const } } : {}) });
    if (!profile) throw notFound('Integration profile');
    return profile;
  }

  private async validList(body: unknown): Promise<LibraryMappingDto[]> {
    if (!Array.isArray(body)) throw validationFailed(['body must be a JSON array of { libraryCode, externalLibraryCode }']);
    const problems: string[] = [];
    const items: LibraryMappingDto[] = [];
    for (const [index, raw] of body.entries()) {
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
        problems.push(`[${index}] must be an object`);
        continue;
      }
      const dto = plainToInstance(LibraryMappingDto, raw);
      const errors = await validate(dto, { whitelist: true, forbidNonWhitelisted: true });
      problems.push(...flattenValidationErrors(errors).map((m) => `[${index}].${m}`));
      if (!errors.length) items.push(dto);
    }
    const seen = { local: new Set<string>(), external: new Set<string>() };
    for (const m of items) {
      if (seen.local.has(m.libraryCode)) problems.push(`libraryCode ${m.libraryCode} is mapped more than once`);
      if (seen.external.has(m.externalLibraryCode)) problems.push(`externalLibraryCode ${m.externalLibraryCode} is mapped more than once`);
      seen.local.add(m.libraryCode);
      seen.external.add(m.externalLibraryCode);
    }
    problems.push(...(await this.libraryProblems(items.map((m) => m.libraryCode))));
    if (problems.length) throw validationFailed(problems);
    return items;
  }

  private async libraryProblems(codes: string[]): Promise<string[]> {
    if (!codes.length) return [];
    const found = await this.dataSource.getRepository(LibraryEntity).find({ where: { code: In(codes) }, select: { code: true } });
    const known = new Set(found.map((l) => l.code));
    return [...new Set(codes)].filter((c) => !known.has(c)).map((c) => `libraryCode ${c} names no library`);
  }
}
