/** Whole days in UTC, as Libris dates them (`YYYY-MM-DD`). */
const DAY_MS = 86_400_000;

/** Days since 1970-01-01 for a real `YYYY-MM-DD` date; null for anything else. */
export function parseDay(value: unknown): number | null {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return null;
  const time = Date.parse(`${value}T00:00:00Z`);
  return Number.isNaN(time) || formatDay(time / DAY_MS) !== value ? null : time / DAY_MS;
}

export function formatDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

export function today(now = new Date()): string {
  return now.toISOString().slice(0, 10);
}

/** `YYMMDD`, as in LF numbers. */
export function compactDay(date: string): string {
  return date.slice(2).replaceAll('-', '');
}

/** Seconds since the epoch at the start of a day, plus an offset. */
export function epochSeconds(date: string, offsetSeconds = 0): number {
  return Date.parse(`${date}T00:00:00Z`) / 1000 + offsetSeconds;
}

/** `YYYY-MM-DD HH:MM:SS` (UTC), as in `recipients[].response_date`. */
export function dateTime(epochSecondsValue: number): string {
  return new Date(epochSecondsValue * 1000).toISOString().slice(0, 19).replace('T', ' ');
}
