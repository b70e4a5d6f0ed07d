import { AxiosError, AxiosHeaders, AxiosResponse } from 'axios';
import { backoffDelayMs, classifyHttpError, isRetryable, parseRetryAfter, withRetry } from './http-retry';
import { ExternalSystemError } from './types';

const FAST = { attempts: 4, baseDelayMs: 1, maxDelayMs: 5, systemName: 'Libris' };

function httpError(status: number, data: unknown = '', headers: Record<string, string> = {}): AxiosError {
  const response = { status, data, headers, statusText: '', config: { headers: new AxiosHeaders() } } as AxiosResponse;
  return new AxiosError(`Request failed with status code ${status}`, 'ERR_BAD_RESPONSE', undefined, undefined, response);
}

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-11-20T12:00:00Z');
  it.each([
    ['3', 3000],
    [' 0 ', 0],
    ['Thu, 20 Nov 2025 12:00:10 GMT', 10_000],
    ['Thu, 20 Nov 2025 11:00:00 GMT', 0],
    ['soon', undefined],
    ['', undefined],
    [undefined, undefined],
  ])('reads %j as %j ms', (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });
});

describe('backoffDelayMs', () => {
  const policy = { attempts: 10, baseDelayMs: 100, maxDelayMs: 1000 };
  it('doubles the ceiling per retry up to the cap, with full jitter below it', () => {
    expect([1, 2, 3, 4, 5, 6].map((retry) => backoffDelayMs(retry, policy, 0, () => 1))).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(backoffDelayMs(3, policy, 0, () => 0)).toBe(0);
    expect(backoffDelayMs(3, policy, 0, () => 0.5)).toBe(200);
  });

  it('never waits less than Retry-After asks', () => {
    expect(backoffDelayMs(1, policy, 750, () => 0.1)).toBe(750);
  });
});

describe('classifyHttpError', () => {
  it.each([
    [401, 'AUTHENTICATION'],
    [403, 'AUTHENTICATION'],
    [408, 'TRANSIENT'],
    [429, 'TRANSIENT'],
    [500, 'TRANSIENT'],
    [502, 'TRANSIENT'],
    [503, 'TRANSIENT'],
    [400, 'PERMANENT'],
    [404, 'PERMANENT'],
    [410, 'PERMANENT'],
    [422, 'PERMANENT'],
  ])('classifies HTTP %s as %s', (status, kind) => {
    const error = classifyHttpError(httpError(status), 'Libris');
    expect(error).toMatchObject({ kind, status });
  });

  it('quotes the error the server gave', () => {
    expect(classifyHttpError(httpError(400, '{"error":"date interval too long"}'), 'Libris').message).toBe(
      'Libris refused the call (HTTP 400: date interval too long)',
    );
    expect(classifyHttpError(httpError(401, '{"error":"invalid api-key"}'), 'Libris').message).toBe('Libris refused the credentials (HTTP 401: invalid api-key)');
  });

  it('keeps Retry-After on a transient failure', () => {
    expect(classifyHttpError(httpError(429, '', { 'retry-after': '2' }), 'Libris').retryAfterMs).toBe(2000);
  });

  it('treats a call without an answer (timeout, refused connection) as transient', () => {
    const error = classifyHttpError(new AxiosError('timeout of 50ms exceeded', 'ECONNABORTED'), 'Libris');
    expect(error).toMatchObject({ kind: 'TRANSIENT', message: 'timeout of 50ms exceeded (ECONNABORTED)' });
  });

  it('passes an ExternalSystemError through and makes anything else permanent', () => {
    const malformed = new ExternalSystemError('MALFORMED_RESPONSE', 'not JSON');
    expect(classifyHttpError(malformed, 'Libris')).toBe(malformed);
    expect(classifyHttpError(new TypeError('boom'), 'Libris')).toMatchObject({ kind: 'PERMANENT', message: 'Libris call failed: boom' });
  });
});

describe('withRetry', () => {
  const transient = (message = 'HTTP 503') => new ExternalSystemError('TRANSIENT', message, 503);
  const classify = (error: unknown) => classifyHttpError(error, 'Libris');

  it('retries transient failures until one attempt succeeds', async () => {
    const fn = jest.fn().mockRejectedValueOnce(transient()).mockRejectedValueOnce(transient()).mockResolvedValue('ok');
    await expect(withRetry(fn, FAST, classify)).resolves.toBe('ok');
    expect(fn.mock.calls.map(([attempt]) => attempt)).toEqual([1, 2, 3]);
  });

  it('gives up after the last attempt with a transient error that says so', async () => {
    const fn = jest.fn().mockRejectedValue(httpError(503, '{"error":"service unavailable"}'));
    const error = await withRetry(fn, FAST, classify).catch((caught) => caught);
    expect(fn).toHaveBeenCalledTimes(4);
    expect(error).toBeInstanceOf(ExternalSystemError);
    expect(error).toMatchObject({ kind: 'TRANSIENT', status: 503, message: 'Libris unreachable after 4 attempts: HTTP 503: service unavailable' });
    expect(isRetryable(error)).toBe(true);
  });

  it.each([
    ['AUTHENTICATION', httpError(401)],
    ['PERMANENT', httpError(400)],
    ['MALFORMED_RESPONSE', new ExternalSystemError('MALFORMED_RESPONSE', 'not JSON')],
  ])('does not retry a %s failure', async (kind, failure) => {
    const fn = jest.fn().mockRejectedValue(failure);
    await expect(withRetry(fn, FAST, classify)).rejects.toMatchObject({ kind });
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('waits at least as long as Retry-After asks before the next attempt', async () => {
    const fn = jest.fn().mockRejectedValueOnce(new Error('busy')).mockResolvedValue('ok');
    const started = Date.now();
    await withRetry(fn, { ...FAST, maxDelayMs: 1000 }, () => new ExternalSystemError('TRANSIENT', 'HTTP 503', 503, 150));
    expect(Date.now() - started).toBeGreaterThanOrEqual(145);
    expect(fn).toHaveBeenCalledTimes(2);
  });

  it('stops early when the server asks for a longer pause than the policy allows', async () => {
    const fn = jest.fn().mockRejectedValue(httpError(503, '', { 'retry-after': '120' }));
    await expect(withRetry(fn, FAST, classify)).rejects.toMatchObject({
      kind: 'TRANSIENT',
      retryAfterMs: 120_000,
      message: 'Libris unreachable after 1 attempt (asked to retry after 120 s): HTTP 503',
    });
    expect(fn).toHaveBeenCalledTimes(1);
  });
});
