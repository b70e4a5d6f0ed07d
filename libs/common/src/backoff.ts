/** Capped exponential backoff with jitter, the one computation behind every retry (HTTP calls to external systems,
 *  BullMQ job retries): before retry number `retry` (1 = the first retry) the ceiling is min(capMs, baseMs·2^(retry-1)),
 *  and the delay a random share of it, from `minShare` (0: full jitter) to all of it. */
export function backoffDelay(retry: number, baseMs: number, capMs: number, minShare = 0, random: () => number = Math.random): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, retry - 1));
  return Math.round(ceiling * (minShare + random() * (1 - minShare)));
}

/** Backoff of the BullMQ job retries: jitter in [ceiling/2, ceiling]. */
export function jitteredBackoff(attemptsMade: number, baseMs = 500, capMs = 60_000): number {
  return backoffDelay(attemptsMade, baseMs, capMs, 0.5);
}
