import { HarvestWindow, harvestWindows } from './windows';

const DAY_MS = 86_400_000;
const day = (date: string) => Date.parse(`${date}T00:00:00Z`) / DAY_MS;
const lengthInDays = (window: HarvestWindow) => day(window.endDate) - day(window.startDate) + 1;

describe('harvestWindows', () => {
  it('splits a 100-day range into 4 contiguous windows of at most 31 days, bounds included', () => {
    const windows = harvestWindows('2025-01-01', '2025-04-10');
    expect(windows).toEqual([
      { startDate: '2025-01-01', endDate: '2025-01-31' },
      { startDate: '2025-02-01', endDate: '2025-03-03' },
      { startDate: '2025-03-04', endDate: '2025-04-03' },
      { startDate: '2025-04-04', endDate: '2025-04-10' },
    ]);
    expect(windows.map(lengthInDays)).toEqual([31, 31, 31, 7]);
    expect(windows.reduce((sum, window) => sum + lengthInDays(window), 0)).toBe(100);
  });

  it('covers a long range exactly: first day, last day, every next window starting the day after the previous one ended', () => {
    const windows = harvestWindows('2015-01-01', '2025-11-20');
    expect(windows[0].startDate).toBe('2015-01-01');
    expect(windows[windows.length - 1].endDate).toBe('2025-11-20');
    for (const [index, window] of windows.entries()) {
      expect(lengthInDays(window)).toBeGreaterThanOrEqual(1);
      expect(lengthInDays(window)).toBeLessThanOrEqual(31);
      if (index > 0) expect(day(window.startDate)).toBe(day(windows[index - 1].endDate) + 1);
    }
  });

  it('gives one window for a single day and for exactly 31 days', () => {
    expect(harvestWindows('2024-02-29', '2024-02-29')).toEqual([{ startDate: '2024-02-29', endDate: '2024-02-29' }]);
    expect(harvestWindows('2024-12-01', '2024-12-31')).toEqual([{ startDate: '2024-12-01', endDate: '2024-12-31' }]);
  });

  it('opens a second window on day 32', () => {
    expect(harvestWindows('2024-12-01', '2025-01-01')).toEqual([
      { startDate: '2024-12-01', endDate: '2024-12-31' },
      { startDate: '2025-01-01', endDate: '2025-01-01' },
    ]);
  });

  it('crosses a leap day and a daylight-saving change without drifting', () => {
    expect(harvestWindows('2024-02-20', '2024-04-05', 10).map((window) => window.startDate)).toEqual([
      '2024-02-20', '2024-03-01', '2024-03-11', '2024-03-21', '2024-03-31',
    ]);
  });

  it('gives no window when from is after to', () => {
    expect(harvestWindows('2025-03-02', '2025-03-01')).toEqual([]);
  });

  it('honours a smaller maximum', () => {
    expect(harvestWindows('2025-01-01', '2025-01-05', 2)).toEqual([
      { startDate: '2025-01-01', endDate: '2025-01-02' },
      { startDate: '2025-01-03', endDate: '2025-01-04' },
      { startDate: '2025-01-05', endDate: '2025-01-05' },
    ]);
  });

  it.each([
    ['2025-02-30', '2025-03-01'],
    ['2025-1-01', '2025-03-01'],
    ['2025-01-01', '2025-03-01T00:00:00Z'],
    ['', '2025-03-01'],
  ])('refuses a date that is not a real YYYY-MM-DD day (%s, %s)', (from, to) => {
    expect(() => harvestWindows(from, to)).toThrow(RangeError);
  });

  it.each([0, -1, 1.5])('refuses a maximum of %s days', (maxDays) => {
    expect(() => harvestWindows('2025-01-01', '2025-01-05', maxDays)).toThrow(/maxDays/);
  });
});
