import { DataSource } from 'typeorm';
import { agencyIdVariants, type AgencyIdType } from '@illbridge/connectors/netpunkt';
import { IntegrationProfileEntity, LibraryEntity, LibraryMappingEntity, PartnerEntity } from './entities';

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

/** Why a run or a receipt cannot become requests of its profile, with the code a run fails with. */
export interface ResolutionFailure {
  code: 'LIBRARY_NOT_MAPPED';
  message: string;
}

/** The profile's own library code must resolve (mapped or a local library) before anything is imported for it. */
export function ownLibraryFailure(profile: Pick<IntegrationProfileEntity, 'libraryCode'>, libraries: LibraryResolver): ResolutionFailure | null {
  if (libraries.resolve(profile.libraryCode)) return null;
  return {
    code: 'LIBRARY_NOT_MAPPED',
    message: `The profile's own library code "${profile.libraryCode}" is not mapped and no local library has that code; add a library-code mapping`,
  };
}

/** What a Netpunkt receipt's order names, for `resolveNetpunktOrder`. */
export interface NetpunktOrderAgencies {
  pickUpAgencyId: string;
  pickUpAgencyIdType: AgencyIdType;
}

export type NetpunktResolution =
  | { ok: true; /** The pickup agency as the mapping (or local library) knows it. */ pickupExternalCode: string; pickupLibraryCode: string }
  | ({ ok: false } & ResolutionFailure);

/**
 * Whether a Netpunkt receipt can become a request of `profile` (netpunkt.md §3), judged the one way both the
 * endpoint (before it answers `ok`) and the import (when it writes the request) judge it: the profile's own
 * library resolves, and so does the pickup agency in one of its spellings (DK-710100, dk-710100, 710100).
 */
export function resolveNetpunktOrder(
  profile: Pick<IntegrationProfileEntity, 'code' | 'libraryCode'>,
  order: NetpunktOrderAgencies,
  libraries: LibraryResolver,
): NetpunktResolution {
  const own = ownLibraryFailure(profile, libraries);
  if (own) return { ok: false, ...own };
  for (const code of agencyIdVariants(order.pickUpAgencyId, order.pickUpAgencyIdType)) {
    const library = libraries.resolve(code);
    if (library) return { ok: true, pickupExternalCode: code, pickupLibraryCode: library };
  }
  return {
    ok: false,
    code: 'LIBRARY_NOT_MAPPED',
    message: `Pickup agency ${order.pickUpAgencyId} is not mapped in profile ${profile.code} and no local library has that code; add a library-code mapping`,
  };
}
