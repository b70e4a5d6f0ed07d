import { ImportSettings } from '../apps/import-worker/src/import-settings';
import { LibrisWorld, startLibrisWorld } from './support/libris-fixtures';
import { daysAgo } from './support/runs';

/** The Libris refresh of open requests is bounded per run (LIBRIS_REFRESH_PER_RUN), least recently refreshed
 *  first: with a budget of 3 and 7 open requests, three runs refresh all, and a change in Libris to any of them is
 *  seen within ⌈7 ÷ 3⌉ = 3 runs. */
describe('Libris refresh budget (end to end)', () => {
  const OPEN = 7;
  const BUDGET = 3;
  let world: LibrisWorld;
  let profileId: string;
  let lfNumbers: string[];

  const runNow = async () => {
    await world.clearCalls();
    const run = await world.runNow(profileId);
    expect(run.state).toBe('COMPLETED_SUCCESSFULLY');
    return { run, reads: await world.singleReads() };
  };

  beforeAll(async () => {
    world = await startLibrisWorld({ apiKey: 'hig-budget-key', worker: new ImportSettings({ librisMaxRequestsPerSecond: 1000, refreshPerRun: BUDGET }) });
    lfNumbers = [];
    for (let i = 0; i < OPEN; i++) {
      // Created days ago: an incremental run's windows (yesterday and today) do not bring them, only the refresh.
      const added = await world.addRequest(daysAgo(10 + i), { requesting_library: world.sigel, title: `Bok ${i}`, status: 'Uteliggande' });
      lfNumbers.push(added.lf_number);
    }
    profileId = (await world.createLibrisProfile({ code: 'LIBRIS_BUDGET', name: 'Libris budget', active: true, harvestStartDate: daysAgo(30) })).id;
  });

  afterAll(() => world?.close());

  it('refreshes at most the budget per run, least recently refreshed first, all within ⌈open ÷ budget⌉ runs, and sees a change within that bound', async () => {
    const first = await runNow();
    expect(first.run.counters).toMatchObject({ created: OPEN });
    expect(first.reads).toEqual([]); // every open request came with the windows: none is due
    const sorted = [...lfNumbers].sort();

    // A change in Libris to the request refreshed last (it is due only in the third run).
    const last = sorted[OPEN - 1];
    expect((await world.simApi('PATCH', `/_sim/libris/requests/${world.sigel}/${encodeURIComponent(last)}`, { status: 'Levererad' })).status).toBe(200);

    const second = await runNow();
    expect(second.reads.sort()).toEqual(sorted.slice(0, BUDGET));
    expect(second.run.warnings).toEqual([`Refreshed ${BUDGET} open requests by LF number, least recently refreshed first (LIBRIS_REFRESH_PER_RUN=${BUDGET}); 4 wait for a later run (every open request is refreshed within 3 runs)`]);
    const statusOf = async (lf: string) => (await world.pg.query('SELECT external_system_status FROM rs_request WHERE external_id = $1', [lf])).rows[0].external_system_status;
    expect(await statusOf(last)).toBe('Uteliggande');

    const third = await runNow();
    expect(third.reads.sort()).toEqual(sorted.slice(BUDGET, 2 * BUDGET));
    expect(await statusOf(last)).toBe('Uteliggande');

    // The third run: the one never refreshed, then the least recently refreshed (from the second run).
    const fourth = await runNow();
    expect(fourth.reads.sort()).toEqual([last, ...sorted.slice(0, BUDGET - 1)].sort());
    expect(fourth.run.counters).toMatchObject({ updated: 1 });
    expect(await statusOf(last)).toBe('Levererad');
    // Every open request was refreshed within the three runs after the first.
    expect(new Set([...second.reads, ...third.reads, ...fourth.reads])).toEqual(new Set(lfNumbers));
  });
});
