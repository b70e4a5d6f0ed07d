import { searchTerm } from './catp-codec';

/** One SEARCH of a harvest by renewal date: the records renewed on one day (`RNWDT="YYYYMMDD"`) or in one whole
 *  month (`RNWDT="YYYYMM*"`, prefix match), and the last day (`YYYY-MM-DD`) it covers, to which the cursor may move
 *  once its records are read. */
export interface RenewalSearch {
  query: string;
  through: string;
}

const DAY_MS = 86_400_000;

function dayTime(day: string): number {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  const time = match ? Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) : NaN;
  if (Number.isNaN(time) || new Date(time).toISOString().slice(0, 10) !== day) throw new RangeError(`not a date YYYY-MM-DD: "${day}"`);
  return time;
}

const dayOf = (time: number) => new Date(time).toISOString().slice(0, 10);

/** The searches that read the records renewed from `from` to `to` (`YYYY-MM-DD`, both inclusive), oldest first,
 *  with equality and prefix match only (the search grammar NII's specifications show; no range operator): a whole
 *  month that starts at or after `from` and ends by `to` in one prefix search, every other day on its own. */
export function renewalSearches(from: string, to: string): RenewalSearch[] {
  const last = dayTime(to);
  const searches: RenewalSearch[] = [];
  for (let time = dayTime(from); time <= last; ) {
    const date = new Date(time);
    const monthEnd = Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1) - DAY_MS;
    const compact = dayOf(time).replaceAll('-', '');
    if (date.getUTCDate() === 1 && monthEnd <= last) {
      searches.push({ query: searchTerm('RNWDT', compact.slice(0, 6), { prefix: true }), through: dayOf(monthEnd) });
      time = monthEnd + DAY_MS;
    } else {
      searches.push({ query: searchTerm('RNWDT', compact), through: dayOf(time) });
      time += DAY_MS;
    }
  }
  return searches;
}
