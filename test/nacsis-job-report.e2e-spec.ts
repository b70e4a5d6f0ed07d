import { ImportSettings } from '../apps/import-worker/src/import-settings';
import { CatpRelay } from './support/catp-relay';
import { NACSIS_LIBRARIES, NacsisSyncWorld, startNacsisSyncWorld } from './support/nacsis-fixtures';
import { daysAgo, reportWhenEnded, startRun } from './support/runs';

const { US, TOKYO, KYOTO } = NACSIS_LIBRARIES;
const NARA = { participantId: 'FA000003', name: '奈良大学' };
/** A library of ours that nobody mapped, written by the relay into one lending record (AMLID). */
const UNMAPPED_ID = 'FA099999';

/** What a librarian reads after a NACSIS sync, as the worker wrote it: the job report of reporting with the failed
 *  lending record and its reason; partners found whatever the case of their code, stored with our spelling; an
 *  unknown partner a warning on the record's event, the record itself imported. */
describe('NACSIS-ILL sync: the job report and partners (end to end)', () => {
  let world: NacsisSyncWorld;
  let relay: CatpRelay;
  let profileId: string;
  const ids: Record<string, string> = {};

  const seed = async (name: string, body: Record<string, unknown>) => {
    ids[name] = (await world.addRecord(body)).id;
  };
  const request = async (name: string) => (await world.pg.query(`SELECT * FROM rs_request WHERE profile_id = $1 AND external_id = $2`, [profileId, ids[name]])).rows[0];

  beforeAll(async () => {
    world = await startNacsisSyncWorld({ participants: [TOKYO, KYOTO, NARA], reporting: true, worker: new ImportSettings({ httpTimeoutMs: 1500, retry: { attempts: 2, baseDelayMs: 20, maxDelayMs: 100 } }) });
    relay = new CatpRelay(world.sim.url, (block) => (block.includes('ONO=LEND-BAD') ? block.replace(`AMLID=${US.participantId}`, `AMLID=${UNMAPPED_ID}`) : block));
    await relay.open();
    world.onClose(() => relay.close());
    // Our partners, spelled our way: Tokyo in lower case; Nara is not a partner of ours at all.
    await world.addPartner(TOKYO.participantId.toLowerCase(), TOKYO.name, 'NACSIS');
    await world.addPartner(KYOTO.participantId, KYOTO.name, 'NACSIS');
    profileId = (await world.createNacsisProfile({ code: 'NACSIS_REPORT', name: 'NACSIS report', baseUrl: `${relay.url}/nacsis/catp`, harvestStartDate: daysAgo(30) })).id;

    await seed('fromTokyo', { as: TOKYO.participantId, candidates: [US.participantId] });
    await seed('fromNara', { as: NARA.participantId, candidates: [US.participantId] });
    await seed('unmappedLending', { as: KYOTO.participantId, candidates: [US.participantId], fields: { ONO: 'LEND-BAD-1' } });
    // Renewed before the first run's start date: imported only once the start date is moved back before it.
    await seed('renewedEarlier', { as: TOKYO.participantId, candidates: [US.participantId], created: daysAgo(38).replace(/-/g, ''), updated: daysAgo(38).replace(/-/g, '') });
  });

  afterAll(() => world?.close());

  it('reports the failed lending record with its reason, finds partners in any case, and warns of an unknown one', async () => {
    const jobRunId = await startRun(world.api, profileId);
    const report = await reportWhenEnded(world.reports, jobRunId);

    expect(report.state).toBe('COMPLETED_WITH_ERRORS');
    expect(report.counters).toMatchObject({ lendingProcessed: 3, lendingSucceeded: 2, lendingFailed: 1, borrowingFailed: 0 });
    expect(report.failedBorrowing).toEqual([]);
    expect(report.failedLending).toEqual([expect.objectContaining({ externalId: ids.unmappedLending, reasonCode: 'LIBRARY_NOT_MAPPED' })]);
    expect(report.failedLending[0].message).toContain(UNMAPPED_ID);

    // Found although NACSIS sends FA000001 and we spell it fa000001; stored with our spelling.
    expect(await request('fromTokyo')).toMatchObject({ partner_code: TOKYO.participantId.toLowerCase(), requester_id: TOKYO.participantId });
    // Nara is no partner of ours: imported all the same, with a warning on its record event.
    expect(await request('fromNara')).toMatchObject({ partner_code: NARA.participantId, direction: 'LENDING' });
    const events = await world.reports('GET', `/api/jobs/${jobRunId}/events?outcome=CREATED`);
    expect(events.status).toBe(200);
    const nara = events.body.items.find((e: any) => e.externalId === ids.fromNara);
    expect(nara).toBeDefined();
    expect(nara.warnings).toEqual([expect.stringContaining(NARA.participantId)]);
    const tokyo = events.body.items.find((e: any) => e.externalId === ids.fromTokyo);
    expect(tokyo.warnings).toEqual([]);
  });

  it('a start date given to the second imports its whole day, since NACSIS dates records by day, and the report says so', async () => {
    const instant = `${daysAgo(40)}T08:00:00Z`;
    expect(await request('renewedEarlier')).toBeUndefined();
    const moved = await world.api('PATCH', `/api/integration-profiles/${profileId}`, { harvestStartDate: instant, granularity: 'SECOND' });
    expect(moved.status).toBe(200);
    expect(moved.body.nextHarvestFrom).toBe(instant);
    const jobRunId = await startRun(world.api, profileId);
    const report = await reportWhenEnded(world.reports, jobRunId);
    expect(report.window.from).toBe(daysAgo(40));
    // Every database was read again from the new start (the rewind reset their cursors too).
    expect(await request('renewedEarlier')).toMatchObject({ direction: 'LENDING' });
    expect(report.warnings).toEqual(expect.arrayContaining([`NACSIS-ILL dates records by day only: every record of ${daysAgo(40)} was imported, including any changed before the harvest start ${instant}`]));
  });
});

