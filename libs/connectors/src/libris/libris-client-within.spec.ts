import { createServer, Server } from 'http';
import type { AddressInfo } from 'net';
import { LibrisClient } from './libris-client';
import { windowAt, windowDays, dayAfter } from './windows';

/** listOutgoingWithin: a body past the limit is neither read to its end nor parsed, and not retried. */
describe('LibrisClient.listOutgoingWithin', () => {
  let server: Server;
  let calls = 0;
  let baseUrl: string;
  const record = (i: number) => ({ lf_number: `Hig-20260101-${String(i).padStart(4, '0')}`, title: 'x'.repeat(100) });

  beforeAll(async () => {
    server = createServer((req, res) => {
      calls++;
      const url = new URL(req.url!, 'http://x');
      const count = url.searchParams.get('start_date') === url.searchParams.get('end_date') ? 2 : 200;
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ ill_requests: Array.from({ length: count }, (_, i) => record(i)) }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const client = () => new LibrisClient({ baseUrl, sigel: 'Hig', retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 } });

  it('answers the records when the body fits, and tooLarge (once, no retry) when it does not', async () => {
    calls = 0;
    expect(await client().listOutgoingWithin('2026-01-01', '2026-01-01', 10_000)).toEqual({ records: [record(0), record(1)] });
    expect(await client().listOutgoingWithin('2026-01-01', '2026-01-31', 10_000)).toEqual({ tooLarge: true });
    expect(calls).toBe(2);
    const all = await client().listOutgoingWithin('2026-01-01', '2026-01-31', Infinity);
    expect('records' in all && all.records).toHaveLength(200);
  });
});

describe('windowAt', () => {
  it('cuts a window to its length and to the end, inclusive, at most 31 days', () => {
    expect(windowAt('2026-01-01', '2026-12-31', 6)).toEqual({ startDate: '2026-01-01', endDate: '2026-01-06' });
    expect(windowAt('2026-01-01', '2026-01-03', 6)).toEqual({ startDate: '2026-01-01', endDate: '2026-01-03' });
    expect(windowAt('2026-01-01', '2026-12-31', 400)).toEqual({ startDate: '2026-01-01', endDate: '2026-01-31' });
    expect(windowAt('2026-01-01', '2026-12-31', 0.4)).toEqual({ startDate: '2026-01-01', endDate: '2026-01-01' });
    expect(windowAt('2026-01-02', '2026-01-01', 5)).toBeNull();
    expect(windowDays({ startDate: '2026-02-27', endDate: '2026-03-02' })).toBe(4);
    expect(dayAfter('2026-12-31')).toBe('2027-01-01');
  });
});
