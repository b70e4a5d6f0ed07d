import { nextHarvestDay, nextHarvestFrom, notBefore, rewindsHarvest } from './harvest';

const at = (iso: string) => new Date(iso);

describe('where the next harvest starts', () => {
  it('starts at the harvest start date before any successful run', () => {
    const p = { harvestStartDate: '2026-01-01', granularity: 'DAY' as const, harvestCursor: null };
    expect(nextHarvestFrom(p)).toBe('2026-01-01');
    expect(nextHarvestDay(p)).toBe('2026-01-01');
    expect(notBefore(p)).toBeNull();
  });

  it('continues a day before where the last run stopped, never before the start date', () => {
    expect(nextHarvestFrom({ harvestStartDate: '2026-01-01', granularity: 'DAY', harvestCursor: at('2026-11-20T10:00:00Z') })).toBe('2026-11-19');
    // A start date moved later than the cursor: the next run starts there.
    expect(nextHarvestFrom({ harvestStartDate: '2026-11-25', granularity: 'DAY', harvestCursor: at('2026-11-20T10:00:00Z') })).toBe('2026-11-25');
  });

  it('honours a SECOND start date to the second: asks for the day, drops what is dated before the instant', () => {
    const p = { harvestStartDate: '2026-11-02T14:30:15Z', granularity: 'SECOND' as const, harvestCursor: null };
    expect(nextHarvestFrom(p)).toBe('2026-11-02T14:30:15Z');
    expect(nextHarvestDay(p)).toBe('2026-11-02');
    expect(notBefore(p)).toEqual(at('2026-11-02T14:30:15Z'));
    // Once a run has succeeded, the cursor (with its day of overlap) decides and nothing is dropped.
    const later = { ...p, harvestCursor: at('2026-11-20T10:00:00Z') };
    expect(nextHarvestFrom(later)).toBe('2026-11-19');
    expect(notBefore(later)).toBeNull();
  });

  it('rewinds when the start date moves before where the next run would start, and only then', () => {
    const p = { harvestStartDate: '2026-06-01', granularity: 'DAY' as const, harvestCursor: at('2026-11-20T10:00:00Z') };
    expect(rewindsHarvest(p, '2026-03-01')).toBe(true);
    expect(rewindsHarvest({ ...p, harvestStartDate: '2026-11-30' }, '2026-11-10')).toBe(true);
    expect(rewindsHarvest(p, '2026-11-19')).toBe(false);
    // Moved later (but still before the cursor): the cursor stays.
    expect(rewindsHarvest(p, '2026-09-01')).toBe(false);
    expect(rewindsHarvest(p, '2026-06-01')).toBe(false);
    expect(rewindsHarvest({ ...p, harvestCursor: null }, '2026-03-01')).toBe(false);
    expect(rewindsHarvest({ harvestStartDate: '2026-11-19T12:00:00Z', granularity: 'SECOND', harvestCursor: at('2026-11-20T10:00:00Z') }, '2026-11-19T11:00:00Z')).toBe(true);
  });
});
