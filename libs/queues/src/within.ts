import { setTimeout as delay } from 'timers/promises';

/** How long a worker waits for an event it raises before committing the change the event tells of. */
export const BEFORE_COMMIT_WAIT_MS = 2000;

/** Waits for `work` at most `withinMs`: true once it settled, false when the time ran out (the work goes on, and may
 *  still finish later). `work` must not reject. Used for events raised before the commit of what they tell (a process
 *  killed after its commit and before its event reached Redis would lose the event for good, while one killed before
 *  its commit leaves the work to be redone and told again under the same event id), and for start-up work that must
 *  not hold a service back when Redis is down. */
export async function settledWithin(work: Promise<unknown>, withinMs = BEFORE_COMMIT_WAIT_MS): Promise<boolean> {
  const timer = new AbortController();
  try {
    return await Promise.race([work.then(() => true), delay(withinMs, false, { signal: timer.signal, ref: false }).catch(() => false)]);
  } finally {
    timer.abort();
  }
}
