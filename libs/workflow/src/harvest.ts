/** Where a profile's next harvest starts: pure rules shared by the importers (which read from there) and the
 *  profile view (`nextHarvestFrom`), so what the admin sees is what the next run does. */

const DAY_MS = 86_400_000;

export interface HarvestPosition {
  /** As the admin set it: `YYYY-MM-DD` (DAY) or `YYYY-MM-DDThh:mm:ssZ` (SECOND). */
  harvestStartDate: string | null;
  granularity: 'DAY' | 'SECOND';
  /** Where the last successful run stopped (null before the first one, or after a rewind). */
  harvestCursor: Date | null;
}

/** The instant the harvest start date names (a DAY start is that day's midnight UTC). */
export function harvestStartInstant(p: Pick<HarvestPosition, 'harvestStartDate'>): Date | null {
  if (!p.harvestStartDate) return null;
  const text = p.harvestStartDate.length === 10 ? `${p.harvestStartDate}T00:00:00Z` : p.harvestStartDate;
  const at = new Date(text);
  return Number.isNaN(at.getTime()) ? null : at;
}

/** The instant the next run reads from: a day before where the last run stopped (a day of overlap), but never
 *  before the harvest start date; the start date itself when no run has succeeded yet (or after a rewind). */
export function nextHarvestInstant(p: HarvestPosition): Date | null {
  const start = harvestStartInstant(p);
  if (!p.harvestCursor) return start;
  const overlap = new Date(p.harvestCursor.getTime() - DAY_MS);
  return start && start > overlap ? start : overlap;
}

/** What the profile view shows as `nextHarvestFrom`: a day (`YYYY-MM-DD`), or the instant itself when a SECOND
 *  start date is where the next run begins. */
export function nextHarvestFrom(p: HarvestPosition): string | null {
  const at = nextHarvestInstant(p);
  if (!at) return null;
  return notBefore(p) ? at.toISOString().replace('.000Z', 'Z') : at.toISOString().slice(0, 10);
}

/** The first day the next run asks the external system for (Libris and NACSIS filter by day). */
export function nextHarvestDay(p: HarvestPosition): string | null {
  return nextHarvestInstant(p)?.toISOString().slice(0, 10) ?? null;
}

/** For a SECOND start date that the next run begins from: records dated before this instant are dropped (the
 *  external system is asked for the whole day). Null otherwise. */
export function notBefore(p: HarvestPosition): Date | null {
  if (p.granularity !== 'SECOND') return null;
  const start = harvestStartInstant(p);
  const at = nextHarvestInstant(p);
  return start && at && at.getTime() === start.getTime() ? start : null;
}

/** Whether a new harvest start date rewinds the cursor: it was moved earlier, to before where the next run would
 *  start, so the next run re-imports from the new date (and later runs continue from there). */
export function rewindsHarvest(current: HarvestPosition, newStartDate: string | null): boolean {
  if (!current.harvestCursor || !newStartDate || newStartDate === current.harvestStartDate) return false;
  const next = nextHarvestInstant(current);
  const start = harvestStartInstant({ harvestStartDate: newStartDate });
  if (!next || !start) return false;
  // Only a start date moved earlier rewinds (one moved later keeps the cursor; the next run starts at the later of the two).
  const old = harvestStartInstant(current);
  if (old && start >= old) return false;
  // A day start date rewinds when it names an earlier day than the next run reads from; an instant when it is earlier.
  return newStartDate.length === 10 ? newStartDate < next.toISOString().slice(0, 10) : start < next;
}
