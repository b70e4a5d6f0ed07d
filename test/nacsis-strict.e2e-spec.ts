import { Client } from 'pg';
import { ImportSettings } from '../apps/import-worker/src/import-settings';
import { NACSIS_CLOCK_MARGIN_MS } from '../apps/import-worker/src/nacsis/nacsis-importer';
import { NACSIS_LIBRARIES, NacsisSyncWorld, startNacsisSyncWorld } from './support/nacsis-fixtures';
import { daysAgo, japanDay } from './support/runs';
import { JsonClient } from './support/stack';

const { US, TOKYO, KYOTO } = NACSIS_LIBRARIES;
const OPEN_LENDING = 250;

interface SimCall {
  method: string | null;
  database: string | null;
  query: string | null;
  catpStatus: number | null;
  refusal: string | null;
}

/** The NACSIS-ILL synchronisation against a simulator as strict as the real server is known to be: RETRIEVE answers
 *  at most a page of 100 whatever is asked, range operators are refused, a session can time out mid-run and its
 *  refusal need not be 420, GETHANDLE's answer can carry a line that is not `Name: value`. */
describe('NACSIS-ILL synchronisation against the strict simulator (end to end)', () => {
  let world: NacsisSyncWorld;
  let pg: Client;
  let simApi: JsonClient;
  let profileId: string;
  /** The worker's settings, RETRIEVE asking for 500 records at a time (the simulator gives 100). */
  const settings = new ImportSettings({ httpTimeoutMs: 3000, retry: { attempts: 3, baseDelayMs: 20, maxDelayMs: 100 }, batchSize: 500 });
  const compact = (day: string) => day.replaceAll('-', '');
  const lending: string[] = [];
  let refused: string;

  const runNow = () => world.runNow(profileId, 90_000);
  const calls = async () => (await simApi('GET', '/_sim/nacsis/calls')).body.calls as SimCall[];
  const openLending = async () =>
    (await pg.query(`SELECT external_id FROM rs_request WHERE profile_id = $1 AND direction = 'LENDING' AND closed = false ORDER BY external_id`, [profileId])).rows.map((r) => r.external_id);
  const seedLending = async (count: number, day: string) => {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const created = await world.addRecord({ as: i % 2 ? TOKYO.participantId : KYOTO.participantId, candidates: [US.participantId, TOKYO.participantId], created: compact(day), seed: i + 1 });
      ids.push(created.id);
    }
    return ids;
  };

  beforeAll(async () => {
    world = await startNacsisSyncWorld({ participants: [TOKYO, KYOTO], worker: settings });
    ({ pg, simApi } = world);
    for (const partner of [TOKYO, KYOTO]) await world.addPartner(partner.participantId, partner.name, 'NACSIS');
    profileId = (await world.createNacsisProfile({ code: 'NACSIS_STRICT', name: 'NACSIS strict', active: true, harvestStartDate: daysAgo(40) })).id;

    // 250 open lending requests of one day (more than two RETRIEVE pages), and one we shall refuse.
    lending.push(...(await seedLending(OPEN_LENDING, daysAgo(20))));
    [refused] = await seedLending(1, daysAgo(20));
  });

  afterAll(() => world?.close());

  it('harvests page by page with equality and prefix searches only, reading a GETHANDLE answer with an extra line', async () => {
    expect((await simApi('POST', '/_sim/nacsis/settings', { getHandleExtraLine: 'GETHANDLE RELEASEHANDLE SEARCH RETRIEVE SERVERPROCEDURECALL' })).status).toBe(200);
    await simApi('DELETE', '/_sim/nacsis/calls');
    const run = await runNow();
    expect(run.state).toBe('COMPLETED_SUCCESSFULLY');
    expect(run.counters).toMatchObject({ created: OPEN_LENDING + 1, lendingSucceeded: OPEN_LENDING + 1 });
    expect(await openLending()).toEqual([...lending, refused].sort());

    const log = await calls();
    expect(log.filter((c) => c.method === 'GETHANDLE')).toHaveLength(1);
    expect(log.filter((c) => c.catpStatus !== 200)).toEqual([]); // nothing refused
    const searches = log.filter((c) => c.method === 'SEARCH').map((c) => c.query!);
    for (const query of searches) expect(query).toMatch(/^RNWDT="\d{6}(\d{2}|\*)"$/); // no range operator
    const day = compact(daysAgo(20));
    expect(searches.some((query) => query === `RNWDT="${day}"` || query === `RNWDT="${day.slice(0, 6)}*"`)).toBe(true);
    // The day of 251 records took three RETRIEVEs of at most 100 in COPYA.
    const retrieves = log.filter((c) => c.method === 'RETRIEVE');
    expect(retrieves.length).toBeGreaterThanOrEqual(3);
    const cursors = (await pg.query('SELECT harvest_cursors FROM integration_profile WHERE id = $1', [profileId])).rows[0].harvest_cursors;
    // Each database's next run starts from the day in Japan its last search began (less the clock margin).
    const renewalDay = japanDay(NACSIS_CLOCK_MARGIN_MS);
    expect(cursors).toEqual({ COPYO: renewalDay, LOANO: renewalDay, COPYA: renewalDay, LOANA: renewalDay });
  });

  it(`closes none of ${OPEN_LENDING} open lending requests wrongly when RETRIEVE answers 100 at a time, and closes the one that moved on`, async () => {
    const act = async (command: string, comment?: string) => expect((await simApi('POST', `/_sim/nacsis/records/${refused}/act`, { as: US.participantId, command, comment })).status).toBe(200);
    await act('RECEIVE');
    await act('PARDON', '貸出中のため謝絶します');
    // The harvest reads from yesterday: the 250 are not in it and are looked up by ID.
    await simApi('DELETE', '/_sim/nacsis/calls');
    const run = await runNow();
    expect(run.state).toBe('COMPLETED_SUCCESSFULLY');
    expect(await openLending()).toEqual([...lending].sort());
    const closed = (await pg.query(`SELECT status, closed FROM rs_request WHERE profile_id = $1 AND external_id = $2`, [profileId, refused])).rows[0];
    expect(closed).toEqual({ status: 'REJECTED', closed: true });
    expect(run.warnings).toEqual([]);

    const lookUps = (await calls()).filter((c) => c.method === 'SEARCH' && c.query!.startsWith('ID='));
    for (const lookUp of lookUps) expect(lookUp.query!.split(' OR ').length).toBeLessThanOrEqual(20);
    expect(lookUps.length).toBeGreaterThanOrEqual(Math.ceil(OPEN_LENDING / 20));
  });

  it('renews a handle that expires mid-run once, even when the refusal is not a 420', async () => {
    await simApi('POST', '/_sim/nacsis/settings', { invalidHandle: { status: 400, reasonPhrase: 'Bad Request', message: 'invalid handle' } });
    await simApi('DELETE', '/_sim/nacsis/calls');
    await simApi('POST', '/_sim/nacsis/faults', { expireHandlesAfter: 6 });
    const run = await runNow();
    expect(run.state).toBe('COMPLETED_SUCCESSFULLY');
    const log = await calls();
    expect(log.filter((c) => c.method === 'GETHANDLE')).toHaveLength(2);
    const refusals = log.filter((c) => c.catpStatus !== 200);
    expect(refusals).toMatchObject([{ catpStatus: 400, refusal: expect.stringMatching(/^invalid handle/) }]);
    const after = log.indexOf(refusals[0]);
    expect(log[after + 1].method).toBe('GETHANDLE');
    expect(await openLending()).toEqual([...lending].sort()); // the renewal lost nothing and closed nothing
    await simApi('POST', '/_sim/nacsis/settings', { invalidHandle: { status: 420, reasonPhrase: 'Invalid Handle', message: 'handle is unknown, released or expired' } });
  });

  it('goes on past an empty RETRIEVE page that names a next position', async () => {
    const today = await seedLending(130, japanDay());
    await simApi('POST', '/_sim/nacsis/faults', { emptyRetrieveNext: 1 });
    const run = await runNow();
    expect(run.state).toBe('COMPLETED_SUCCESSFULLY');
    // The first page of today's COPYA came back empty: the other 30 were still read (before, the harvest of the
    // database ended there). The next run reads today again and brings the rest.
    const imported = async () => (await pg.query(`SELECT count(*)::int AS n FROM rs_request WHERE profile_id = $1 AND external_id = ANY($2)`, [profileId, today])).rows[0].n;
    expect(await imported()).toBe(30);
    await runNow();
    expect(await imported()).toBe(130);
  });

  it("holds back only the cursor of a database that fails; the others' cursors move on", async () => {
    await pg.query(`UPDATE integration_profile SET harvest_cursors = $2 WHERE id = $1`, [profileId, JSON.stringify({ COPYO: daysAgo(3), LOANO: daysAgo(3), COPYA: daysAgo(3), LOANA: daysAgo(3) })]);
    settings.nacsisDatabaseNames.LOANA = 'LOANX'; // a name the server does not know
    try {
      const run = await runNow();
      expect(run.state).toBe('FAILED');
      expect(run.error_code).toBe('EXTERNAL_SYSTEM_ERROR');
      expect(run.error).toMatch(new RegExp(`^LOANA since ${daysAgo(3)}: NACSIS SEARCH answered 403 Forbidden: database LOANX is not allowed`));
      const cursors = (await pg.query('SELECT harvest_cursors FROM integration_profile WHERE id = $1', [profileId])).rows[0].harvest_cursors;
      const renewalDay = japanDay(NACSIS_CLOCK_MARGIN_MS);
      expect(cursors).toEqual({ COPYO: renewalDay, LOANO: renewalDay, COPYA: renewalDay, LOANA: daysAgo(3) });
      expect((await openLending()).length).toBe(OPEN_LENDING + 130); // no look-up, nothing closed, on a failed harvest
    } finally {
      settings.nacsisDatabaseNames.LOANA = 'LOANA';
    }
    const next = await runNow();
    expect(next.state).toBe('COMPLETED_SUCCESSFULLY');
    expect(next.window_from).toBe(daysAgo(3)); // LOANA from its own cursor (the first day it has still to read)
  });

  it('reads the cursor day again: a record renewed on it after the last search is picked up, an unchanged one is not rewritten', async () => {
    const [changed, unchanged] = await seedLending(2, japanDay());
    expect((await runNow()).counters).toMatchObject({ created: 2 });
    const row = async (id: string) => (await pg.query('SELECT id, status, external_system_status, updated_at FROM rs_request WHERE profile_id = $1 AND external_id = $2', [profileId, id])).rows[0];
    const eventsOf = async (id: string) => (await pg.query('SELECT count(*)::int AS n FROM request_event WHERE request_id = $1', [id])).rows[0].n;
    const before = await row(unchanged);
    const eventsBefore = await eventsOf(before.id);

    // Renewed today in Japan, after the search that set the cursor to today: the next run reads today again.
    expect((await simApi('POST', `/_sim/nacsis/records/${changed}/act`, { as: US.participantId, command: 'RECEIVE' })).status).toBe(200);
    const run = await runNow();
    expect(run.window_from).toBe(japanDay(NACSIS_CLOCK_MARGIN_MS));
    expect(run.counters).toMatchObject({ created: 0, updated: 1 });
    expect(await row(changed)).toMatchObject({ status: 'BEING_PROCESSED', external_system_status: '処理中' });
    // Read again (today's), but the same: neither the row nor its history is written.
    expect(await row(unchanged)).toEqual(before);
    expect(await eventsOf(before.id)).toBe(eventsBefore);
    const outcomes = (await pg.query('SELECT external_id, outcome FROM record_event WHERE job_run_id = $1 AND external_id = ANY($2)', [run.id, [changed, unchanged]])).rows;
    expect(outcomes.sort((a, b) => a.external_id.localeCompare(b.external_id))).toEqual(
      [{ external_id: changed, outcome: 'UPDATED' }, { external_id: unchanged, outcome: 'UNCHANGED' }].sort((a, b) => a.external_id.localeCompare(b.external_id)),
    );

    // A run that began just before midnight in Japan left yesterday as the cursor: a record renewed later that day
    // (yesterday, after its search) is still read.
    const yesterday = japanDay(86_400_000);
    await pg.query(`UPDATE integration_profile SET harvest_cursors = $2 WHERE id = $1`, [profileId, JSON.stringify({ COPYO: yesterday, LOANO: yesterday, COPYA: yesterday, LOANA: yesterday })]);
    const [late] = await seedLending(1, yesterday);
    const after = await runNow();
    expect(after.window_from).toBe(yesterday);
    expect(after.counters).toMatchObject({ created: 1, updated: 0 });
    expect(await row(late)).toBeDefined();
  });
});
