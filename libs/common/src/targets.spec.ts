import { originOf, privateTargetReason } from './targets';

describe('privateTargetReason', () => {
  it.each([
    ['http://127.0.0.1:8080/api', 'a loopback address'],
    ['http://127.1/', 'a loopback address'],
    ['http://0x7f000001/', 'a loopback address'],
    ['http://2130706433/', 'a loopback address'],
    ['http://0.0.0.0/', 'an unspecified address'],
    ['http://[::1]/', 'a loopback address'],
    ['http://[::ffff:127.0.0.1]/', 'a loopback address'],
    ['http://[::ffff:169.254.169.254]/', 'a link-local address (cloud instance metadata lives there)'],
    ['http://169.254.169.254/latest/meta-data/', 'a link-local address (cloud instance metadata lives there)'],
    ['http://[fe80::1]/', 'a link-local address'],
    ['http://[fd12:3456::1]/', 'a private network address'],
    ['http://10.0.0.1/', 'a private network address'],
    ['http://172.20.1.1/', 'a private network address'],
    ['http://192.168.0.1/', 'a private network address'],
    ['http://100.64.0.1/', 'a carrier-grade NAT address'],
    ['http://localhost:3000/', 'a name of this machine or of a metadata service'],
    ['http://LOCALHOST./', 'a name of this machine or of a metadata service'],
    ['http://app.localhost/', 'a name of this machine or of a metadata service'],
    ['http://metadata.google.internal/', 'a name of this machine or of a metadata service'],
  ])('%s is %s', (url, reason) => {
    expect(privateTargetReason(url)).toBe(reason);
  });

  it.each(['https://iller.libris.kb.se/librisfjarrlan/api', 'http://172.32.0.1/', 'http://8.8.8.8/', 'http://[2001:db8::1]/', 'not a url'])('%s is not private', (url) => {
    expect(privateTargetReason(url)).toBeNull();
  });

  it('gives the origin a credential belongs to', () => {
    expect(originOf('https://Libris.example:443/a/b?c')).toBe('https://libris.example');
    expect(originOf('http://libris.example:8080/a')).toBe('http://libris.example:8080');
    expect(originOf(null)).toBeNull();
    expect(originOf('nope')).toBeNull();
  });
});
