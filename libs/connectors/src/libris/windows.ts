/** One harvest window: both ends inclusive, whole days (`YYYY-MM-DD`). */
export interface HarvestWindow {
  startDate: string;
  endDate: string;
}

const DAY_MS = 86_400_000;

function parseDay(value: string, name: string): number {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  const time = match ? Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) : NaN;
  if (Number.isNaN(time) || formatDay(time) !== value) throw new RangeError(`${name} must be a date YYYY-MM-DD, got "${value}"`);
  return time;
}

function formatDay(time: number): string {
  return new Date(time).toISOString().slice(0, 10);
}

/** Splits [from, to] (inclusive, `YYYY-MM-DD`) into consecutive windows of at most `maxDays` days,
 *  in order, without gaps or overlaps, because Libris serves at most 31 days per call.
 *  An empty range (from after to) gives no window. */
export function harvestWindows(from: string, to: string, maxDays = 31): HarvestWindow[] {
  if (!Number.isInteger(maxDays) || maxDays < 1) throw new RangeError(`maxDays must be a positive integer, got ${maxDays}`);
  const first = parseDay(from, 'from');
  const last = parseDay(to, 'to');
  const windows: HarvestWindow[] = [];
  for (let start = first; start <= last; start += maxDays * DAY_MS) {
    windows.push({ startDate: formatDay(start), endDate: formatDay(Math.min(start + (maxDays - 1) * DAY_MS, last)) });
  }
  return windows;
}

/** The day after `day` (`YYYY-MM-DD`). */
export function dayAfter(day: string): string {
  return formatDay(parseDay(day, 'day') + DAY_MS);
}

/** The number of days in a window, both ends counted. */
export function windowDays(window: HarvestWindow): number {
  return Math.round((parseDay(window.endDate, 'endDate') - parseDay(window.startDate, 'startDate')) / DAY_MS) + 1;
}

/** The window of `days` days (1 to `maxDays`) that starts at `start`, cut at `to` (both inclusive);
 *  null when `start` is after `to`. Lets a harvest choose each window's length as it goes. */
export function windowAt(start: string, to: string, days: number, maxDays = 31): HarvestWindow | null {
  const first = parseDay(start, 'start');
  const last = parseDay(to, 'to');
  if (first > last) return null;
  const length = Math.max(1, Math.min(maxDays, Math.floor(days)));
  return { startDate: start, endDate: formatDay(Math.min(first + (length - 1) * DAY_MS, last)) };
}
