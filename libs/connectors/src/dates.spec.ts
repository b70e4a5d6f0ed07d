import { calendarDate } from './dates';
import { mapLibrisRecord } from './libris/libris-mapper';

describe('calendarDate', () => {
  it('reads NACSIS YYYYMMDD, YYYY-MM-DD and the date of an ISO date-time; refuses the rest', () => {
    expect(calendarDate('20261130')).toBe('2026-11-30');
    expect(calendarDate('2026-11-30')).toBe('2026-11-30');
    expect(calendarDate('2026-11-30T12:00:00+01:00')).toBe('2026-11-30');
    expect(calendarDate(' 20261130 ')).toBe('2026-11-30');
    expect(calendarDate('20260230')).toBeNull();
    expect(calendarDate('2026113')).toBeNull();
    expect(calendarDate('')).toBeNull();
    expect(calendarDate(null)).toBeNull();
  });

  it("a Libris loan's due_date becomes the request's dueDate", () => {
    const result = mapLibrisRecord({ lf_number: 'Hig-1', status: 'Levererad', media_type: 'Lån', title: 'A book', due_date: '2026-12-24' });
    expect(result.ok && result.request.dueDate).toBe('2026-12-24');
  });
});
