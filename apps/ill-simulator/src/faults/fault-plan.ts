import { Random, seededRandom } from '../prng';

/** What goes wrong with a simulated system's calls. Counters ("next N") apply first, in the order
 *  hang, fail, malformed, html; then one draw decides the shares (hang, then fail). */
export interface FaultSettings {
  /** Added to every call, faulty or not. */
  latencyMs: number;
  /** Answer the next N calls with `failStatus`. */
  failNext: number;
  /** Answer this share (0..1) of calls with `failStatus`. */
  failShare: number;
  failStatus: number;
  /** Sent as `Retry-After` with simulated failures, when set. */
  retryAfterSeconds: number | null;
  /** Never answer the next N calls (the client times out). */
  hangNext: number;
  /** Never answer this share (0..1) of calls. */
  hangShare: number;
  /** Answer the next N calls with a body that is not valid JSON. */
  malformedNext: number;
  /** Answer the next N calls with 200 and an HTML login page (a proxy or single sign-on page in front of the API). */
  htmlNext: number;
  /** Seeds the draws of the shares. */
  seed: number;
}

export const NO_FAULTS: Readonly<FaultSettings> = {
  latencyMs: 0,
  failNext: 0,
  failShare: 0,
  failStatus: 503,
  retryAfterSeconds: null,
  hangNext: 0,
  hangShare: 0,
  malformedNext: 0,
  htmlNext: 0,
  seed: 1,
};

export type Fault = { kind: 'none' } | { kind: 'fail'; status: number; retryAfterSeconds: number | null } | { kind: 'hang' } | { kind: 'malformed' } | { kind: 'html' };

export interface CallCounts {
  calls: number;
  passed: number;
  failed: number;
  hung: number;
  malformed: number;
  html: number;
}

const COUNTER_BY_KIND: Record<Fault['kind'], keyof CallCounts> = { none: 'passed', fail: 'failed', hang: 'hung', malformed: 'malformed', html: 'html' };
const ZERO_COUNTS: Readonly<CallCounts> = { calls: 0, passed: 0, failed: 0, hung: 0, malformed: 0, html: 0 };

/** The fault settings of one system, the faults still owed and the calls seen. */
export class FaultPlan {
  private settings: FaultSettings = { ...NO_FAULTS };
  private random: Random = seededRandom(NO_FAULTS.seed);
  private counts: CallCounts = { ...ZERO_COUNTS };

  /** Merges the given settings into the current ones; a new seed restarts the draws. */
  configure(changes: Partial<FaultSettings>): void {
    const defined = Object.entries(changes).filter(([, value]) => value !== undefined && value !== null);
    this.settings = { ...this.settings, ...Object.fromEntries(defined) };
    if (changes.seed !== undefined && changes.seed !== null) this.random = seededRandom(changes.seed);
  }

  /** Back to no faults; the call counts restart too. */
  reset(): void {
    this.settings = { ...NO_FAULTS };
    this.random = seededRandom(NO_FAULTS.seed);
    this.counts = { ...ZERO_COUNTS };
  }

  /** Decides the fate of one call and counts it. */
  nextCall(): { latencyMs: number; fault: Fault } {
    const fault = this.decide();
    this.counts.calls++;
    this.counts[COUNTER_BY_KIND[fault.kind]]++;
    return { latencyMs: this.settings.latencyMs, fault };
  }

  snapshot(): { settings: FaultSettings; counts: CallCounts } {
    return { settings: { ...this.settings }, counts: { ...this.counts } };
  }

  private decide(): Fault {
    const settings = this.settings;
    const failure: Fault = { kind: 'fail', status: settings.failStatus, retryAfterSeconds: settings.retryAfterSeconds };
    const draw = this.random();
    if (settings.hangNext > 0) {
      settings.hangNext--;
      return { kind: 'hang' };
    }
    if (settings.failNext > 0) {
      settings.failNext--;
      return failure;
    }
    if (settings.malformedNext > 0) {
      settings.malformedNext--;
      return { kind: 'malformed' };
    }
    if (settings.htmlNext > 0) {
      settings.htmlNext--;
      return { kind: 'html' };
    }
    if (draw < settings.hangShare) return { kind: 'hang' };
    if (draw < settings.hangShare + settings.failShare) return failure;
    return { kind: 'none' };
  }
}
