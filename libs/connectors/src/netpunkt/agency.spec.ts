import { agencyIdVariants, normalizeAgencyId } from './agency';

describe('normalizeAgencyId', () => {
  it.each(['DK-710100', 'dk-710100', 'Dk-710100', '710100', '  DK-710100 '])('gives DK-710100 for the ISIL %p', (id) => {
    expect(normalizeAgencyId(id, 'ISIL')).toBe('DK-710100');
  });

  it('keeps other ISILs as sent, trimmed: they are case-sensitive', () => {
    expect(normalizeAgencyId(' SE-Hig ', 'ISIL')).toBe('SE-Hig');
    expect(normalizeAgencyId('DK-7101', 'ISIL')).toBe('DK-7101');
  });

  it('trusts the DNUCNI type: the code as given, trimmed, never a DK- added', () => {
    expect(normalizeAgencyId(' 710100 ', 'DNUCNI')).toBe('710100');
    expect(normalizeAgencyId('dk-abc', 'DNUCNI')).toBe('dk-abc');
  });
});

describe('agencyIdVariants', () => {
  it('tries the canonical ISIL first, then the bare number, the lower-case form and the id as sent', () => {
    expect(agencyIdVariants('Dk-710100', 'ISIL')).toEqual(['DK-710100', '710100', 'dk-710100', 'Dk-710100']);
  });

  it('lists each spelling once', () => {
    expect(agencyIdVariants('710100', 'ISIL')).toEqual(['DK-710100', '710100', 'dk-710100']);
  });

  it('has only the code itself for DNUCNI and for other ISILs', () => {
    expect(agencyIdVariants(' 710100', 'DNUCNI')).toEqual(['710100']);
    expect(agencyIdVariants('SE-Hig', 'ISIL')).toEqual(['SE-Hig']);
  });
});
