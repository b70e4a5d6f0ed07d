import { nextRunAfter, repeatSpecFor, scheduleMinuteMs } from './schedule';
import { jitteredBackoff } from '@illbridge/common/backoff';
import { importJobName } from './import-jobs';

describe('schedules', () => {
  const stockholmDaily = repeatSpecFor({ type: 'DAILY', time: '02:30', timezone: 'Europe/Stockholm' })!;

  it('turns DAILY, WEEKLY and INTERVAL schedules into BullMQ repeat options', () => {
    expect(stockholmDaily).toEqual({ pattern: '30 2 * * *', tz: 'Europe/Stockholm' });
    expect(repeatSpecFor({ type: 'WEEKLY', dayOfWeek: 'SUN', time: '23:05', timezone: 'Asia/Tokyo' })).toEqual({ pattern: '5 23 * * 0', tz: 'Asia/Tokyo' });
    expect(repeatSpecFor({ type: 'INTERVAL', everyMinutes: 15 })).toEqual({ every: 900_000 });
    expect(repeatSpecFor({ type: 'NOT_SCHEDULED' })).toBeNull();
  });

  it('runs a daily 02:30 Europe/Stockholm profile at 02:30 local time across the spring DST change', () => {
    // 2026-03-29: clocks go from 02:00 CET to 03:00 CEST; 02:30 does not exist that night.
    const beforeChange = nextRunAfter(stockholmDaily, new Date('2026-03-27T12:00:00Z'));
    expect(beforeChange.toISOString()).toBe('2026-03-28T01:30:00.000Z'); // 02:30 CET = 01:30 UTC
    const afterChange = nextRunAfter(stockholmDaily, new Date('2026-03-29T12:00:00Z'));
    expect(afterChange.toISOString()).toBe('2026-03-30T00:30:00.000Z'); // 02:30 CEST = 00:30 UTC
  });

  it('runs it at 02:30 local time across the autumn DST change', () => {
    const summer = nextRunAfter(stockholmDaily, new Date('2026-10-24T12:00:00Z'));
    expect(summer.toISOString()).toBe('2026-10-25T00:30:00.000Z'); // 25 Oct 02:30 CEST (clocks go back at 03:00)
    const winter = nextRunAfter(stockholmDaily, new Date('2026-10-25T12:00:00Z'));
    expect(winter.toISOString()).toBe('2026-10-26T01:30:00.000Z'); // 02:30 CET
  });

  it('aligns intervals to multiples of the interval, like BullMQ', () => {
    expect(nextRunAfter({ every: 900_000 }, new Date('2026-11-22T09:31:00Z')).toISOString()).toBe('2026-11-22T09:45:00.000Z');
  });

  it('names the job after the profile', () => {
    expect(importJobName('Libris main library')).toBe('Import resource sharing requests using profile Libris main library');
  });

  it('backs off exponentially with jitter, capped', () => {
    for (let attempt = 1; attempt <= 20; attempt++) {
      const delay = jitteredBackoff(attempt, 500, 60_000);
      const ceiling = Math.min(60_000, 500 * 2 ** (attempt - 1));
      expect(delay).toBeGreaterThanOrEqual(ceiling / 2);
      expect(delay).toBeLessThanOrEqual(ceiling);
    }
  });
});

describe('the length of a schedule minute', () => {
  it('is a minute in production whatever SCHEDULE_MINUTE_MS says, and shortened only in test and development', () => {
    expect(scheduleMinuteMs({ NODE_ENV: 'production', SCHEDULE_MINUTE_MS: '200' })).toBe(60_000);
    expect(scheduleMinuteMs({ NODE_ENV: 'test', SCHEDULE_MINUTE_MS: '200' })).toBe(200);
    expect(scheduleMinuteMs({ NODE_ENV: 'development', SCHEDULE_MINUTE_MS: 'soon' })).toBe(60_000);
    expect(scheduleMinuteMs({ NODE_ENV: 'test' })).toBe(60_000);
    expect(repeatSpecFor({ type: 'INTERVAL', everyMinutes: 5 }, 200)).toEqual({ every: 1000 });
  });
});
