import { csvLine } from './csv';
import { VIEWER_REASON_LENGTH, viewerReason } from './viewer-reason';

describe('viewerReason', () => {
  it.each([
    ['Libris unreachable after 4 attempts: HTTP 502: <html><title>upstream db-7.corp:5432 down</title></html>', 'Libris unreachable after 4 attempts: HTTP 502'],
    ['Libris refused the call (HTTP 400: Traceback (most recent call last): File "/srv/app.py")', 'Libris refused the call (HTTP 400)'],
    ['Libris unreachable after 1 attempt: connect ECONNREFUSED 10.20.30.40:443 (ECONNREFUSED)', 'Libris unreachable after 1 attempt: connect ECONNREFUSED [address] (ECONNREFUSED)'],
    ['NACSIS GETHANDLE failed: getaddrinfo ENOTFOUND http://catp.internal.example/x?token=s3cret', 'NACSIS GETHANDLE failed: getaddrinfo ENOTFOUND [address]'],
    ['connect ECONNREFUSED [fd00::1]:5432', 'connect ECONNREFUSED [address]'],
    ['Libris did not answer after 3 attempts', 'Libris did not answer after 3 attempts'],
    ['line one\n\tline\u0000two', 'line one line two'],
  ])('%s → %s', (message, reason) => {
    expect(viewerReason(message)).toBe(reason);
  });

  it(`is at most ${VIEWER_REASON_LENGTH} characters`, () => {
    const reason = viewerReason(`The profile ${'x'.repeat(500)} failed`);
    expect(reason).toHaveLength(VIEWER_REASON_LENGTH);
    expect(reason.endsWith('…')).toBe(true);
  });
});

describe('csvLine', () => {
  it('quotes as RFC 4180 says and writes formula starts as text', () => {
    expect(csvLine(['=1+2', '+x', '-y', '@z', '\tt', 'a,b', 'q"q', 'two\nlines', null, undefined, 'plain', 7])).toBe(
      `'=1+2,'+x,'-y,'@z,'\tt,"a,b","q""q","two\nlines",,,plain,7\r\n`,
    );
    expect(csvLine(['\rcarriage'])).toBe(`"'\rcarriage"\r\n`);
  });
});
