import { DataSource } from 'typeorm';
import { LibraryEntity, LibraryMappingEntity, PartnerEntity } from '@illbridge/database/entities';

/** External library code → local library code, through the profile's mapping or else an identical
 *  local code. Loaded once per run; external codes are compared exactly (Libris sigels are case-sensitive). */
export class LibraryResolver {
  private constructor(
    private readonly mapped: Map<string, string>,
    private readonly local: Set<string>,
  ) {}

  static async load(dataSource: DataSource, profileId: string): Promise<LibraryResolver> {
    const [mappings, libraries] = await Promise.all([
      dataSource.getRepository(LibraryMappingEntity).find({ where: { profileId } }),
      dataSource.getRepository(LibraryEntity).find({ select: { code: true } }),
    ]);
    return new LibraryResolver(new Map(mappings.map((m) => [m.externalLibraryCode, m.libraryCode])), new Set(libraries.map((l) => l.code)));
  }

  resolve(externalCode: string | null | undefined): string | null {
    if (!externalCode) return null;
    return this.mapped.get(externalCode) ?? (this.local.has(externalCode) ? externalCode : null);
  }
}

/** Partner codes named by external records, found ignoring case. */
export class PartnerResolver {
  private constructor(private readonly byKey: Map<string, string>) {}

  static async load(dataSource: DataSource): Promise<PartnerResolver> {
    const partners = await dataSource.getRepository(PartnerEntity).find({ select: { code: true, codeKey: true } });
    return new PartnerResolver(new Map(partners.map((p) => [p.codeKey, p.code])));
  }

  /** The partner's code as we spell it, or null when no partner has that code. */
  resolve(code: string): string | null {
    return this.byKey.get(code.toLowerCase()) ?? null;
  }
}
