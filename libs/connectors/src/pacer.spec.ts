import { Pacer } from './pacer';

describe('Pacer', () => {
  it('spaces calls made at once 1/perSecond apart', async () => {
    const pacer = new Pacer(20);
    const started = Date.now();
    const times = await Promise.all(Array.from({ length: 6 }, () => pacer.wait().then(() => Date.now() - started)));
    times.sort((a, b) => a - b);
    // A timer never fires early (a busy machine only makes it late): call i goes no sooner than i × 50 ms.
    times.forEach((time, i) => expect(time).toBeGreaterThanOrEqual(i * 50 - 1));
  });

  it('does not pace with Infinity or 0', async () => {
    for (const rate of [Infinity, 0]) {
      const pacer = new Pacer(rate);
      const started = Date.now();
      await Promise.all(Array.from({ length: 50 }, () => pacer.wait()));
      expect(Date.now() - started).toBeLessThan(250); // 49 × 0 ms, where even 1 call a second would take 49 s
    }
  });

  it('says how long a number of calls takes', () => {
    expect(new Pacer(2).secondsFor(10_000)).toBeCloseTo(4999.5);
    expect(new Pacer(2).secondsFor(1)).toBe(0);
  });
});
