import { isAxiosError } from 'axios';
import { setTimeout as sleep } from 'timers/promises';
import { backoffDelay } from '@illbridge/common/backoff';
import { ExternalSystemError } from './types';

/** How often and how patiently a call to an external system is retried. */
export interface RetryPolicy {
  /** Attempts in all, the first one included. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = { attempts: 4, baseDelayMs: 250, maxDelayMs: 5000 };

export interface RetryOptions extends RetryPolicy {
  /** Names the system in the final error: "<systemName> unreachable after 4 attempts: …". */
  systemName: string;
}

/** Statuses below 500 that still mean "try again later" (engineering.md, outbound HTTP). */
const RETRYABLE_CLIENT_STATUSES: ReadonlySet<number> = new Set([408, 429]);
const AUTHENTICATION_STATUSES: ReadonlySet<number> = new Set([401, 403]);

export function isRetryable(error: unknown): error is ExternalSystemError {
  return error instanceof ExternalSystemError && error.kind === 'TRANSIENT';
}

/** `Retry-After` in milliseconds, from delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: unknown, now = Date.now()): number | undefined {
  if (typeof value !== 'string' || !value.trim()) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Capped exponential backoff with full jitter before retry number `retry` (1 = the first retry):
 *  a random delay up to min(maxDelayMs, baseDelayMs · 2^(retry-1)), never shorter than `retryAfterMs`. */
export function backoffDelayMs(retry: number, policy: RetryPolicy, retryAfterMs = 0, random: () => number = Math.random): number {
  return Math.max(backoffDelay(retry, policy.baseDelayMs, policy.maxDelayMs, 0, random), retryAfterMs);
}

/** What the server said, in a few words: the `error` / `message` of a JSON body, or the start of the text. */
function bodyHint(data: unknown): string {
  let body = data;
  if (typeof data === 'string') {
    try {
      body = JSON.parse(data);
    } catch {
      const text = data.trim();
      return text ? `: ${text.slice(0, 200)}` : '';
    }
  }
  const record = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const text = [record.error, record.message].find((value) => typeof value === 'string' && value.trim());
  return text ? `: ${text as string}` : '';
}

/** The axios options every connector's client is built with: no redirect is followed, so that an
 *  api-key header or a password in the body never goes to a host other than the profile's baseUrl.
 *  A redirect answer fails the call (see classifyHttpError). */
export const NO_REDIRECTS = { maxRedirects: 0 } as const;

/** Classifies a failed HTTP call (axios) the way every connector does: 3xx (a redirect, never
 *  followed) → PERMANENT naming where it pointed; 401/403 → AUTHENTICATION;
 *  no answer (timeout, connection refused or reset), 408, 429 and 5xx → TRANSIENT (with Retry-After);
 *  any other status → PERMANENT. An ExternalSystemError passes through unchanged. */
export function classifyHttpError(error: unknown, systemName: string): ExternalSystemError {
  if (error instanceof ExternalSystemError) return error;
  if (!isAxiosError(error)) return new ExternalSystemError('PERMANENT', `${systemName} call failed: ${error instanceof Error ? error.message : String(error)}`);
  const response = error.response;
  if (!response) return new ExternalSystemError('TRANSIENT', `${error.message}${error.code ? ` (${error.code})` : ''}`);
  const { status } = response;
  const redirect = redirectError(error, systemName);
  if (redirect) return redirect;
  const hint = bodyHint(response.data);
  if (AUTHENTICATION_STATUSES.has(status)) return new ExternalSystemError('AUTHENTICATION', `${systemName} refused the credentials (HTTP ${status}${hint})`, status);
  if (status >= 500 || RETRYABLE_CLIENT_STATUSES.has(status)) {
    return new ExternalSystemError('TRANSIENT', `HTTP ${status}${hint}`, status, parseRetryAfter(response.headers['retry-after']));
  }
  return new ExternalSystemError('PERMANENT', `${systemName} refused the call (HTTP ${status}${hint})`, status);
}

/** A redirect answer (3xx, never followed: NO_REDIRECTS) as a PERMANENT failure that names where it
 *  pointed; null for any other failure. */
export function redirectError(error: unknown, systemName: string): ExternalSystemError | null {
  const response = isAxiosError(error) ? error.response : undefined;
  if (!response || response.status < 300 || response.status >= 400) return null;
  const location = response.headers['location'];
  const target = typeof location === 'string' && location ? ` to ${redirectTarget(location, isAxiosError(error) ? error.config?.baseURL : undefined)}` : '';
  return new ExternalSystemError(
    'PERMANENT',
    `${systemName} answered with a redirect (HTTP ${response.status}${target}); redirects are not followed, so that credentials never go to another address: check the profile's baseUrl`,
    response.status,
  );
}

/** Where a redirect pointed, as scheme, host and port only (a query may hold anything). */
function redirectTarget(location: string, base: string | undefined): string {
  try {
    return new URL(location, base).origin;
  } catch {
    return 'an unreadable address';
  }
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** Runs `fn` until it succeeds, retrying TRANSIENT failures (as `classify` judges them) with capped
 *  exponential backoff and full jitter, waiting at least as long as a Retry-After asks. Other kinds
 *  are thrown at once. After the last attempt, or when the server asks for a longer pause than
 *  `maxDelayMs`, a TRANSIENT error says how many attempts were made and why the last one failed. */
export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  options: RetryOptions,
  classify: (error: unknown) => ExternalSystemError,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (caught) {
      const error = caught instanceof ExternalSystemError ? caught : classify(caught);
      if (!isRetryable(error)) throw error;
      const pauseTooLong = error.retryAfterMs !== undefined && error.retryAfterMs > options.maxDelayMs;
      if (attempt >= options.attempts || pauseTooLong) {
        const asked = pauseTooLong ? ` (asked to retry after ${Math.ceil(error.retryAfterMs! / 1000)} s)` : '';
        throw new ExternalSystemError('TRANSIENT', `${options.systemName} unreachable after ${plural(attempt, 'attempt')}${asked}: ${error.message}`, error.status, error.retryAfterMs);
      }
      await sleep(backoffDelayMs(attempt, options, error.retryAfterMs));
    }
  }
}
