import { createHmac } from 'crypto';
import { mailText } from './delivery';
import { runEndedEvent } from './events';
import { overdueSince } from './stale-check';
import { newWebhookSecret, signatureOf, verifySignature } from './signature';

describe('webhook signature', () => {
  it('is the hex HMAC-SHA256 of the raw body with the secret, and verifies only that body', () => {
    const secret = newWebhookSecret();
    const body = '{"id":"run-ended:1","type":"JOB_RUN_ENDED"}';
    expect(signatureOf(body, secret)).toBe(`sha256=${createHmac('sha256', secret).update(body).digest('hex')}`);
    expect(verifySignature(body, secret, signatureOf(body, secret))).toBe(true);
    expect(verifySignature(`${body} `, secret, signatureOf(body, secret))).toBe(false);
    expect(verifySignature(body, newWebhookSecret(), signatureOf(body, secret))).toBe(false);
    expect(verifySignature(body, secret, undefined)).toBe(false);
  });
});

describe('events', () => {
  const run = { id: 'r1', profileId: 'p1', jobName: 'Import resource sharing requests using profile X' };
  it('tells FAILED and COMPLETED_WITH_ERRORS runs only', () => {
    expect(runEndedEvent(run, 'COMPLETED_SUCCESSFULLY')).toBeNull();
    expect(runEndedEvent(run, 'ABORTED')).toBeNull();
    expect(runEndedEvent(run, 'FAILED', null, { code: 'AUTHENTICATION_FAILED', message: 'refused' })).toMatchObject({
      id: 'run-ended:r1',
      type: 'JOB_RUN_ENDED',
      profileId: 'p1',
      summary: `${run.jobName}: FAILED (AUTHENTICATION_FAILED: refused)`,
    });
    expect(runEndedEvent(run, 'COMPLETED_WITH_ERRORS', { borrowingFailed: 2, lendingFailed: 1 })?.summary).toBe(`${run.jobName}: COMPLETED_WITH_ERRORS (3 record(s) failed)`);
  });

  it("an e-mail's text has the summary, the profile and the details", () => {
    const text = mailText({ id: 'e', type: 'TEST', occurredAt: '2026-01-01T00:00:00.000Z', summary: 'Hello', profile: null, data: { a: 1, b: null } });
    expect(text.split('\n').slice(0, 6)).toEqual(['Hello', '', 'Event: TEST at 2026-01-01T00:00:00.000Z', 'Profile: —', 'Details:', '  a: 1']);
  });
});

describe('overdueSince', () => {
  const at = (iso: string) => new Date(iso);
  it('a daily schedule waited on since Monday 10:00 was due Tuesday 03:00; stale only past the margin', () => {
    const spec = { pattern: '0 3 * * *', tz: 'UTC' };
    const since = at('2026-06-01T10:00:00Z');
    expect(overdueSince(spec, since, at('2026-06-02T03:20:00Z'), 30 * 60_000)).toBeNull();
    expect(overdueSince(spec, since, at('2026-06-02T03:31:00Z'), 30 * 60_000)).toEqual(at('2026-06-02T03:00:00Z'));
    // Days later it is the same stale period (same due time): told once.
    expect(overdueSince(spec, since, at('2026-06-05T12:00:00Z'), 30 * 60_000)).toEqual(at('2026-06-02T03:00:00Z'));
  });
  it('an interval schedule is due at the next multiple of its interval', () => {
    expect(overdueSince({ every: 60_000 }, at('2026-06-01T10:00:30Z'), at('2026-06-01T10:01:10Z'), 5_000)).toEqual(at('2026-06-01T10:01:00Z'));
    expect(overdueSince({ every: 60_000 }, at('2026-06-01T10:00:30Z'), at('2026-06-01T10:01:04Z'), 5_000)).toBeNull();
  });
});
