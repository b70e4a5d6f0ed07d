import { eventually } from '@illbridge/testing';
import { ImportSettings } from '../apps/import-worker/src/import-settings';
import { LibrisWorld, startLibrisWorld } from './support/libris-fixtures';
import { daysAgo } from './support/runs';

/** A profile's INTERVAL schedule really fires (a schedule minute shortened to 200 ms with SCHEDULE_MINUTE_MS, so
 *  `everyMinutes: 5` fires every second): SCHEDULED runs execute and complete, and a tick that meets the run still
 *  going is recorded in the job history as SKIPPED with JOB_ALREADY_RUNNING. */
describe('scheduled imports (end to end)', () => {
  let world: LibrisWorld;
  let profileId: string;
  const previous = process.env.SCHEDULE_MINUTE_MS;

  beforeAll(async () => {
    process.env.SCHEDULE_MINUTE_MS = '200';
    world = await startLibrisWorld({
      reporting: true,
      worker: new ImportSettings({ librisMaxRequestsPerSecond: 1000, httpTimeoutMs: 5000, retry: { attempts: 2, baseDelayMs: 20, maxDelayMs: 100 } }),
    });
    await world.generate({ count: 5, from: daysAgo(20), to: daysAgo(1), seed: 7, unknownSigelShare: 0 });
  });

  afterAll(async () => {
    if (previous === undefined) delete process.env.SCHEDULE_MINUTE_MS;
    else process.env.SCHEDULE_MINUTE_MS = previous;
    if (profileId) await world.api('PATCH', `/api/integration-profiles/${profileId}`, { schedule: { type: 'NOT_SCHEDULED' } }).catch(() => undefined);
    await world?.close();
  });

  it('an INTERVAL schedule fires by itself: SCHEDULED runs complete, an overlapping tick is SKIPPED in the job history', async () => {
    const { reports, pg } = world;
    // Each Libris call takes 700 ms, so a run outlasts the 1-second interval and the next tick meets it.
    await world.simApi('POST', '/_sim/faults/libris', { latencyMs: 700 });
    const created = await world.createLibrisProfile({ code: 'LIBRIS_SCHEDULED', name: 'Libris scheduled', harvestStartDate: daysAgo(30), schedule: { type: 'INTERVAL', everyMinutes: 5 } });
    expect(created).toMatchObject({ id: expect.any(String), nextRunAt: expect.any(String) });
    profileId = created.id;

    const history = await eventually(
      async () => {
        const res = await reports('GET', `/api/integration-profiles/${profileId}/job-history`);
        const runs = (res.body.items ?? []) as any[];
        return runs.some((r) => r.state === 'SKIPPED') && runs.some((r) => r.trigger === 'SCHEDULED' && r.state === 'COMPLETED_SUCCESSFULLY') ? runs : null;
      },
      30_000,
      'a scheduled run to complete and a tick to be skipped',
    );
    // Nobody asked for a run: every run came from the schedule.
    expect(history.every((r) => r.trigger === 'SCHEDULED')).toBe(true);
    const skipped = history.find((r) => r.state === 'SKIPPED');
    const report = await reports('GET', `/api/jobs/${skipped.id}`);
    expect(report.body.error).toMatchObject({ code: 'JOB_ALREADY_RUNNING' });
    expect(JSON.stringify(report.body.error)).toContain('LIBRIS_SCHEDULED');
    const { rows } = await pg.query(`SELECT count(*)::int AS n FROM rs_request WHERE profile_id = $1`, [profileId]);
    expect(rows[0].n).toBe(5);
  });
});
