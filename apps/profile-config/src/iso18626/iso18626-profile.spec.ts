import { iso18626Problems } from './iso18626-profile';

const channel = { endpointUrl: 'https://iso18626.example.dk/iso18626', agencyId: 'DK-820010', sharedSecret: 'a-long-shared-secret' };
const open = { secretKept: false };

describe('ISO 18626 channel of a profile', () => {
  it('is optional for NETPUNKT profiles, and then needs endpoint, agency id and secret but no peer', () => {
    expect(iso18626Problems({}, 'NETPUNKT', open)).toEqual([]);
    expect(iso18626Problems({ iso18626: channel }, 'NETPUNKT', open)).toEqual([]);
    expect(iso18626Problems({ iso18626: {} }, 'NETPUNKT', open)).toEqual(['iso18626.endpointUrl is required', 'iso18626.agencyId (our agency id) is required', 'iso18626.sharedSecret is required']);
  });

  it('is required for ISO18626 profiles, with the peer agency id, and nothing of a harvested profile', () => {
    expect(iso18626Problems({}, 'ISO18626', open)).toEqual(['iso18626 is required for ISO18626 profiles (endpointUrl, agencyId, peerAgencyId, sharedSecret)']);
    expect(iso18626Problems({ iso18626: channel }, 'ISO18626', open)).toEqual(['iso18626.peerAgencyId is required for ISO18626 profiles']);
    expect(iso18626Problems({ iso18626: { ...channel, peerAgencyId: 'DK-710100' }, schedule: { type: 'DAILY' }, authentication: { password: 'x' } }, 'ISO18626', open)).toEqual([
      'schedule.type must be NOT_SCHEDULED for ISO18626 profiles: messages are pushed, nothing is harvested',
      'authentication.password is not used by ISO18626 profiles (the shared secret is iso18626.sharedSecret)',
    ]);
  });

  it('is refused on LIBRIS and NACSIS profiles', () => {
    expect(iso18626Problems({ iso18626: channel }, 'LIBRIS', open)).toEqual(['iso18626 is taken by ISO18626 and NETPUNKT profiles only']);
  });

  it('wants https and a public address unless private targets are allowed; a moved endpoint needs the secret again', () => {
    const http = { iso18626: { ...channel, endpointUrl: 'http://127.0.0.1:4010/iso18626/peer' } };
    expect(iso18626Problems(http, 'NETPUNKT', open)).toEqual([
      'iso18626.endpointUrl must be https (the Danish ISO 18626 profile requires it)',
      expect.stringContaining('iso18626.endpointUrl must not point at'),
    ]);
    expect(iso18626Problems(http, 'NETPUNKT', { ...open, allowPrivateTargets: true })).toEqual([]);
    const { sharedSecret, ...kept } = channel;
    expect(sharedSecret).toBeTruthy();
    expect(iso18626Problems({ iso18626: kept }, 'NETPUNKT', { secretKept: true, storedOrigin: 'https://iso18626.example.dk' })).toEqual([]);
    expect(iso18626Problems({ iso18626: kept }, 'NETPUNKT', { secretKept: true, storedOrigin: 'https://elsewhere.example.dk' })[0]).toContain('iso18626.sharedSecret must be sent again');
    expect(iso18626Problems({ iso18626: { ...channel, sharedSecret: 'short' } }, 'NETPUNKT', open)).toEqual(['iso18626.sharedSecret must be at least 12 characters long']);
  });
});
