import { hostname } from 'os';
import { randomBytes } from 'crypto';

const numberFrom = (value: string | undefined, fallback: number) => {
  const parsed = Number(value);
  return value !== undefined && value !== '' && Number.isFinite(parsed) ? parsed : fallback;
};

/** Tunables of the action-push service (environment, with defaults for production). Tests pass
 *  overrides: `new PushSettings({ backoffBaseMs: 20 })`. */
export class PushSettings {
  /** Run the push worker in this process (PUSH_WORKER=false: the HTTP API only). */
  worker = process.env.PUSH_WORKER !== 'false';
  /** Requests drained at once by this process (each request is drained by one worker at a time). */
  concurrency = numberFrom(process.env.PUSH_CONCURRENCY, 8);
  /** How long a drain holds a request (renewed before every command). */
  leaseMs = numberFrom(process.env.PUSH_LEASE_MS, 30_000);
  /** The doorbell's drain job waits this long before it runs, so that actions taken back to back (a
   *  staff member's ACCEPT then SHIP) are recorded before the drain starts and go in one claim. */
  ringDelayMs = numberFrom(process.env.PUSH_RING_DELAY_MS, 20);
  /** Jittered exponential backoff between attempts of a drain job: base and cap. */
  backoffBaseMs = numberFrom(process.env.PUSH_BACKOFF_MS, 500);
  backoffCapMs = numberFrom(process.env.PUSH_BACKOFF_CAP_MS, 60_000);
  /** Per CATP call; well under the lease, so a lease never runs out during a call. */
  httpTimeoutMs = numberFrom(process.env.PUSH_HTTP_TIMEOUT_MS, 10_000);
  /** Every so often, ring the doorbell of requests whose actions wait while nobody drains them
   *  (a lost doorbell, a job that ran out of attempts, a worker that died). 0 turns it off. */
  sweepIntervalMs = numberFrom(process.env.PUSH_SWEEP_MS, 60_000);
  /** BullMQ job lock: a worker that died is noticed after this long and its job retried. */
  lockDurationMs = numberFrom(process.env.PUSH_LOCK_MS, 30_000);
  /** A push that keeps failing transiently (5xx, timeouts, no answer) is given up — the action FAILED with the last
   *  reason, the request PUSH_FAILED — once this long has passed since its first attempt (24 h) … */
  giveUpAfterMs = numberFrom(process.env.PUSH_GIVE_UP_AFTER_MS, 24 * 3_600_000);
  /** … or after this many attempts (counted since an operator's retry). */
  maxAttempts = numberFrom(process.env.PUSH_MAX_ATTEMPTS, 500);
  /** Names this process in `push_lease_owner` (each drain adds its own suffix). */
  workerId = `${hostname().slice(0, 32)}-${process.pid}-${randomBytes(3).toString('hex')}`;

  constructor(overrides: Partial<PushSettings> = {}) {
    Object.assign(this, overrides);
  }
}
