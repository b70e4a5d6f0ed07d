import { renewalSearches } from './renewal-searches';

describe('renewalSearches', () => {
  it('searches day by day within a month, with equality only', () => {
    expect(renewalSearches('2026-11-29', '2026-12-02')).toEqual([
      { query: 'RNWDT="20261129"', through: '2026-11-29' },
      { query: 'RNWDT="20261130"', through: '2026-11-30' },
      { query: 'RNWDT="20261201"', through: '2026-12-01' },
      { query: 'RNWDT="20261202"', through: '2026-12-02' },
    ]);
  });

  it('takes a whole month in one prefix search, and never a range operator', () => {
    const searches = renewalSearches('2026-01-30', '2026-04-02');
    expect(searches).toEqual([
      { query: 'RNWDT="20260130"', through: '2026-01-30' },
      { query: 'RNWDT="20260131"', through: '2026-01-31' },
      { query: 'RNWDT="202602*"', through: '2026-02-28' },
      { query: 'RNWDT="202603*"', through: '2026-03-31' },
      { query: 'RNWDT="20260401"', through: '2026-04-01' },
      { query: 'RNWDT="20260402"', through: '2026-04-02' },
    ]);
    for (const { query } of searches) expect(query).not.toMatch(/[<>]/);
  });

  it('covers a leap February and a month ending on the last day asked for', () => {
    expect(renewalSearches('2028-02-01', '2028-02-29')).toEqual([{ query: 'RNWDT="202802*"', through: '2028-02-29' }]);
  });

  it('answers nothing for an empty span and refuses a bad date', () => {
    expect(renewalSearches('2026-12-03', '2026-12-02')).toEqual([]);
    expect(() => renewalSearches('2026-02-30', '2026-03-01')).toThrow(RangeError);
  });
});
