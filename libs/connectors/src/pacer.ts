import { setTimeout as sleep } from 'timers/promises';

/** Spaces calls to an external system at most `perSecond` a second, however many callers wait at once:
 *  each call gets the next free slot (1/perSecond apart) and waits for it. `Infinity` (or 0) does not pace. */
export class Pacer {
  private nextSlot = 0;
  readonly intervalMs: number;

  constructor(readonly perSecond: number) {
    this.intervalMs = Number.isFinite(perSecond) && perSecond > 0 ? 1000 / perSecond : 0;
  }

  /** Resolves when the caller may make its call. */
  async wait(): Promise<void> {
    if (!this.intervalMs) return;
    const now = Date.now();
    const slot = Math.max(now, this.nextSlot);
    this.nextSlot = slot + this.intervalMs;
    if (slot > now) await sleep(slot - now);
  }

  /** How long `calls` calls take at this pace, in seconds (the first one goes at once). */
  secondsFor(calls: number): number {
    return calls > 1 ? ((calls - 1) * this.intervalMs) / 1000 : 0;
  }
}
