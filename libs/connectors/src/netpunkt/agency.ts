import type { AgencyIdType } from './schema';

/** A Danish library number, with or without the `DK-` of its ISIL, in any case. */
const DANISH_AGENCY = /^(?:dk-)?(\d{6})$/i;

/**
 * The one spelling of an agency id we store and compare (netpunkt.md §2): `DK-710100`, `dk-710100` and
 * `710100` of type ISIL are all `DK-710100`. Other ISILs (they are case-sensitive) and DNUCNI codes are
 * kept as given, trimmed: the `*IdType` is trusted, so a six-digit DNUCNI code gets no `DK-`.
 */
export function normalizeAgencyId(id: string, type: AgencyIdType): string {
  const trimmed = id.trim();
  const danish = type === 'ISIL' ? DANISH_AGENCY.exec(trimmed) : null;
  return danish ? `DK-${danish[1]}` : trimmed;
}

/**
 * The external codes to look an agency up by in a library-code mapping, canonical first: for a Danish
 * ISIL also the bare library number and the lower-case form an administrator may have typed, then the
 * id exactly as sent.
 */
export function agencyIdVariants(id: string, type: AgencyIdType): string[] {
  const canonical = normalizeAgencyId(id, type);
  const variants = [canonical];
  if (type === 'ISIL' && DANISH_AGENCY.test(canonical)) variants.push(canonical.slice('DK-'.length), canonical.toLowerCase());
  variants.push(id.trim());
  return [...new Set(variants)];
}
