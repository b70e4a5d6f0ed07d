import { JsonClient, expectStatus } from './stack';

/** Shared set-up of the Netpunkt (DBC) tests: our ISIL, the agency requests are picked up at, the lender, and the
 *  password DBC's sender gives with each receipt. */
export const NETPUNKT = { PASSWORD: 'netpunkt-shared-secret', OUR_ISIL: 'DK-820010', PICKUP: 'DK-820011', LENDER: 'DK-710100' };

/** Through profile-config's API (`api`, with the admin key): libraries MAIN and BRANCH, the lender as a partner, and
 *  profile NETPUNKT for our ISIL with the password (`fields` add to it); no library mappings, each test maps what
 *  it needs. The profile as created. */
export async function seedNetpunkt(api: JsonClient, fields: Record<string, unknown> = {}): Promise<any> {
  expectStatus('library MAIN', await api('POST', '/api/libraries', { code: 'MAIN', name: 'Hovedbiblioteket', resourceSharing: true }), 201);
  expectStatus('library BRANCH', await api('POST', '/api/libraries', { code: 'BRANCH', name: 'Filial', resourceSharing: false }), 201);
  expectStatus('partner', await api('POST', '/api/partners', { code: NETPUNKT.LENDER, name: 'Københavns Biblioteker', system: 'NETPUNKT' }), 201);
  const profile = await api('POST', '/api/integration-profiles', {
    code: 'NETPUNKT',
    name: 'Netpunkt',
    integrationType: 'RESOURCE_SHARING',
    system: 'NETPUNKT',
    libraryCode: NETPUNKT.OUR_ISIL,
    resourceSharingLibraryCode: 'MAIN',
    authentication: { enabled: true, password: NETPUNKT.PASSWORD },
    ...fields,
  });
  return expectStatus('Netpunkt profile', profile, 201).body;
}
