import { eventually } from '@illbridge/testing';
import { ImportSettings } from '../apps/import-worker/src/import-settings';
import { LibrisWorld, startLibrisWorld } from './support/libris-fixtures';
import { daysAgo, runEnded, startRun } from './support/runs';

/** "Harvest start date" means what the wizard says: moved earlier after a successful run, the next run
 *  re-imports from the new date, and the profile shows where the next run will start. */
describe('harvest start date (end to end, Libris)', () => {
  let world: LibrisWorld;
  let profileId: string;

  const runNow = () => world.runNow(profileId);
  const titles = async () => (await world.pg.query(`SELECT title FROM rs_request WHERE profile_id = $1 ORDER BY title`, [profileId])).rows.map((r) => r.title);
  const profile = async () => (await world.api('GET', `/api/integration-profiles/${profileId}`)).body;

  beforeAll(async () => {
    world = await startLibrisWorld({ worker: new ImportSettings({ librisMaxRequestsPerSecond: 1000, httpTimeoutMs: 1500, retry: { attempts: 2, baseDelayMs: 20, maxDelayMs: 100 } }) });
    for (const [title, age] of [['Gammal A', 80], ['Gammal B', 75], ['Ny A', 10], ['Ny B', 5]] as const) {
      await world.addRequest(daysAgo(age), { requesting_library: world.sigel, title });
    }
    const created = await world.createLibrisProfile({ code: 'LIBRIS_START', name: 'Libris start date', harvestStartDate: daysAgo(30) });
    expect(created).toMatchObject({ id: expect.any(String) });
    profileId = created.id;
    expect(created.nextHarvestFrom).toBe(daysAgo(30));
  });

  afterAll(() => world?.close());

  it('moving the start date earlier re-imports from the new date; later runs continue from where that run stopped', async () => {
    const { api } = world;
    expect((await runNow()).state).toBe('COMPLETED_SUCCESSFULLY');
    expect(await titles()).toEqual(['Ny A', 'Ny B']);
    expect((await profile()).nextHarvestFrom).toBe(daysAgo(1));

    // A start date moved, but not before where the next run starts: nothing rewinds.
    expect((await api('PATCH', `/api/integration-profiles/${profileId}`, { harvestStartDate: daysAgo(20) })).body.nextHarvestFrom).toBe(daysAgo(1));

    const moved = await api('PATCH', `/api/integration-profiles/${profileId}`, { harvestStartDate: daysAgo(90) });
    expect(moved.status).toBe(200);
    expect(moved.body.nextHarvestFrom).toBe(daysAgo(90));
    const rewound = await runNow();
    expect(rewound.state).toBe('COMPLETED_SUCCESSFULLY');
    expect(rewound.window_from).toBe(daysAgo(90));
    expect(await titles()).toEqual(['Gammal A', 'Gammal B', 'Ny A', 'Ny B']);
    expect((await profile()).nextHarvestFrom).toBe(daysAgo(1));

    const next = await runNow();
    expect(next.state).toBe('COMPLETED_SUCCESSFULLY');
    expect(next.counters.created).toBe(0);
    expect(await titles()).toHaveLength(4);
  });

  it('a start date given to the second imports that day and drops the records that last changed before the instant, saying so', async () => {
    const day = daysAgo(3);
    const instant = `${day}T12:00:00Z`;
    const seconds = (iso: string) => String(Date.parse(iso) / 1000);
    for (const [title, created, changed] of [
      ['Sekund före', day, `${day}T11:59:59Z`],
      ['Sekund på', day, instant],
      ['Sekund efter', day, `${day}T12:00:01Z`],
      ['Sekund dagen före', daysAgo(4), `${daysAgo(4)}T18:00:00Z`],
    ] as const) {
      await world.addRequest(created, { requesting_library: world.sigel, title, last_modified: seconds(changed) });
    }
    const created = await world.createLibrisProfile({ code: 'LIBRIS_SECOND', name: 'Libris start to the second', harvestStartDate: instant, granularity: 'SECOND' });
    expect(created.nextHarvestFrom).toBe(instant);
    const id = created.id;

    const run = await world.runNow(id);
    expect(run.state).toBe('COMPLETED_SUCCESSFULLY');
    expect(run.window_from).toBe(day);
    const imported = (await world.pg.query(`SELECT title FROM rs_request WHERE profile_id = $1 AND title LIKE 'Sekund%' ORDER BY title`, [id])).rows.map((r) => r.title);
    expect(imported).toEqual(['Sekund efter', 'Sekund på']);
    expect(JSON.stringify(run.warnings)).toContain(`1 record of ${day} last changed before the harvest start ${instant} and was not imported`);
    // After that run the next one starts a day before where it stopped, with no instant to apply.
    expect((await world.api('GET', `/api/integration-profiles/${id}`)).body.nextHarvestFrom).toBe(daysAgo(1));
  });

  it('a rewind made while a run is reading is not overruled by that run when it ends', async () => {
    const { api, pg, simApi } = world;
    expect((await simApi('POST', '/_sim/faults/libris', { latencyMs: 700 })).status).toBeLessThan(300);
    try {
      const jobRunId = await startRun(api, profileId);
      await eventually(async () => (await pg.query(`SELECT state FROM job_run WHERE id = $1`, [jobRunId])).rows[0]?.state === 'RUNNING' || null, 30_000, 'the run to start');
      const moved = await api('PATCH', `/api/integration-profiles/${profileId}`, { harvestStartDate: daysAgo(100) });
      expect(moved.body.nextHarvestFrom).toBe(daysAgo(100));
      const ended = await runEnded(pg, jobRunId);
      expect(ended.state).toBe('COMPLETED_SUCCESSFULLY');
    } finally {
      await simApi('POST', '/_sim/faults/libris', { latencyMs: 0 });
    }
    expect((await profile()).nextHarvestFrom).toBe(daysAgo(100));
    expect((await runNow()).window_from).toBe(daysAgo(100));
  });
});

