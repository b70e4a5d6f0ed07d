/** A calendar date as an external system sends it (`YYYYMMDD` as NACSIS does, `YYYY-MM-DD`, or an ISO date-time,
 *  whose date part is taken) as `YYYY-MM-DD`; null for anything else or an impossible date. */
export function calendarDate(value: string | null | undefined): string | null {
  const match = /^(\d{4})-?(\d{2})-?(\d{2})(?:$|T)/.exec(value?.trim() ?? '');
  if (!match) return null;
  const date = `${match[1]}-${match[2]}-${match[3]}`;
  const parsed = new Date(`${date}T00:00:00Z`);
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().startsWith(date) ? date : null;
}
