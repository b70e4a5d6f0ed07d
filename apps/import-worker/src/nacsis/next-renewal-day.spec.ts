import { NACSIS_CLOCK_MARGIN_MS, nextRenewalDay } from './nacsis-importer';

/** Japan is UTC+9: 15:00 UTC is midnight there. */
const at = (utc: string) => Date.parse(utc);

describe('nextRenewalDay: where the next NACSIS harvest of a database starts', () => {
  it('is the day in Japan the search began: records renewed later that day are read again, none of the days before', () => {
    expect(nextRenewalDay('2026-12-04', at('2026-12-04T03:00:00Z'))).toBe('2026-12-04'); // noon in Japan
    expect(nextRenewalDay('2026-12-05', at('2026-12-04T16:00:00Z'))).toBe('2026-12-05'); // 01:00 on the 5th in Japan, still the 4th in UTC
  });

  it('is the day before when the search began within the clock margin after midnight in Japan', () => {
    expect(nextRenewalDay('2026-12-05', at('2026-12-04T14:59:58Z'))).toBe('2026-12-04'); // 23:59:58 in Japan
    expect(nextRenewalDay('2026-12-05', at('2026-12-04T15:00:00Z') + NACSIS_CLOCK_MARGIN_MS - 1000)).toBe('2026-12-04');
    expect(nextRenewalDay('2026-12-05', at('2026-12-04T15:00:00Z') + NACSIS_CLOCK_MARGIN_MS + 1000)).toBe('2026-12-05');
  });

  it('is the last day a search of earlier days covered (a month of the first harvest)', () => {
    expect(nextRenewalDay('2026-10-31', at('2026-12-04T03:00:00Z'))).toBe('2026-10-31');
  });
});
