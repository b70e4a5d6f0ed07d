import { hostname } from 'os';
import { randomBytes } from 'crypto';
import { portSetting, setting, settingsOrThrow } from '@illbridge/common';
import { DEFAULT_POOL_SIZE } from '@illbridge/database/data-source';

/** Every setting action-push reads besides the common ones (validated at start-up with them: main.ts). */
export const PUSH_SETTINGS = {
  PORT: portSetting(3002),
  PUSH_WORKER: setting.bool(true),
  PUSH_CONCURRENCY: setting.int(8, { min: 1 }),
  PUSH_LEASE_MS: setting.ms(30_000, 1000),
  PUSH_RING_DELAY_MS: setting.ms(20),
  PUSH_BACKOFF_MS: setting.ms(500, 1),
  PUSH_BACKOFF_CAP_MS: setting.ms(60_000, 1),
  PUSH_HTTP_TIMEOUT_MS: setting.ms(10_000, 1),
  PUSH_SWEEP_MS: setting.ms(60_000),
  PUSH_LOCK_MS: setting.ms(30_000, 1000),
  PUSH_GIVE_UP_AFTER_MS: setting.ms(24 * 3_600_000, 1),
  PUSH_MAX_ATTEMPTS: setting.int(500, { min: 1 }),
};

/** Tunables of the action-push service (PUSH_SETTINGS from the environment). Tests pass
 *  overrides: `new PushSettings({ backoffBaseMs: 20 })`. */
export class PushSettings {
  /** Run the push worker in this process (PUSH_WORKER=false: the HTTP API only). */
  worker: boolean;
  /** Requests drained at once by this process (each request is drained by one worker at a time). */
  concurrency: number;
  /** How long a drain holds a request (renewed before every command). */
  leaseMs: number;
  /** The doorbell's drain job waits this long before it runs, so that actions taken back to back (a
   *  staff member's ACCEPT then SHIP) are recorded before the drain starts and go in one claim. */
  ringDelayMs: number;
  /** Jittered exponential backoff between attempts of a drain job: base and cap. */
  backoffBaseMs: number;
  backoffCapMs: number;
  /** Per CATP call; well under the lease, so a lease never runs out during a call. */
  httpTimeoutMs: number;
  /** Every so often, ring the doorbell of requests whose actions wait while nobody drains them
   *  (a lost doorbell, a job that ran out of attempts, a worker that died). 0 turns it off. */
  sweepIntervalMs: number;
  /** BullMQ job lock: a worker that died is noticed after this long and its job retried. */
  lockDurationMs: number;
  /** A push that keeps failing transiently (5xx, timeouts, no answer) is given up — the action FAILED with the last
   *  reason, the request PUSH_FAILED — once this long has passed since its first attempt (24 h) … */
  giveUpAfterMs: number;
  /** … or after this many attempts (counted since an operator's retry). */
  maxAttempts: number;
  /** Names this process in `push_lease_owner` (each drain adds its own suffix). */
  workerId = `${hostname().slice(0, 32)}-${process.pid}-${randomBytes(3).toString('hex')}`;

  constructor(overrides: Partial<PushSettings> = {}, env: NodeJS.ProcessEnv = process.env) {
    const s = settingsOrThrow(PUSH_SETTINGS, env);
    this.worker = s.PUSH_WORKER;
    this.concurrency = s.PUSH_CONCURRENCY;
    this.leaseMs = s.PUSH_LEASE_MS;
    this.ringDelayMs = s.PUSH_RING_DELAY_MS;
    this.backoffBaseMs = s.PUSH_BACKOFF_MS;
    this.backoffCapMs = s.PUSH_BACKOFF_CAP_MS;
    this.httpTimeoutMs = s.PUSH_HTTP_TIMEOUT_MS;
    this.sweepIntervalMs = s.PUSH_SWEEP_MS;
    this.lockDurationMs = s.PUSH_LOCK_MS;
    this.giveUpAfterMs = s.PUSH_GIVE_UP_AFTER_MS;
    this.maxAttempts = s.PUSH_MAX_ATTEMPTS;
    Object.assign(this, overrides);
  }
}

/** action-push's Postgres pool when DATABASE_POOL_SIZE is unset: the usual 10, or three connections for every eight
 *  concurrent drains if that is more (24 at PUSH_CONCURRENCY 64). A drain holds a connection only while a statement
 *  of its own runs (not during the CATP call), but 64 drains and the HTTP API queued for 10 connections: measured at
 *  PUSH_CONCURRENCY 64 (BENCHMARKS.md "Session 8"), 24 connections accept and push 6–8% more actions per second and
 *  run 40% fewer drain jobs; 42 no more than 24. */
export function pushPoolSize(settings: Pick<PushSettings, 'concurrency'>): number {
  return Math.max(DEFAULT_POOL_SIZE, Math.ceil((settings.concurrency * 3) / 8));
}
