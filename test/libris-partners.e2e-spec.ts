import { ImportSettings } from '../apps/import-worker/src/import-settings';
import { LibrisWorld, startLibrisWorld } from './support/libris-fixtures';
import { daysAgo } from './support/runs';

/** Libris names lenders by sigel in whatever case its records carry: a partner stored as "Ume" is found for "UME" and
 *  kept with our spelling; a lender we have no partner for is imported all the same, with a warning on its event. */
describe('Libris import: partners in any case, unknown partners (end to end)', () => {
  let world: LibrisWorld;
  let profileId: string;

  beforeAll(async () => {
    world = await startLibrisWorld({ reporting: true, worker: new ImportSettings({ librisMaxRequestsPerSecond: 1000, httpTimeoutMs: 1500 }) });
    await world.addPartner('Ume', 'Umeå universitetsbibliotek', 'LIBRIS');
    for (const [title, lenders] of [
      ['Versaler', ['UME']],
      ['Okänd långivare', ['Xyz']],
    ] as const) {
      await world.addRequest(daysAgo(2), { requesting_library: world.sigel, title, status: 'Läst', recipients: lenders.map((library_code, i) => ({ library_code, is_active_library: i === 0 })) });
    }
    profileId = (await world.createLibrisProfile({ code: 'LIBRIS_PARTNERS', name: 'Libris partners', harvestStartDate: daysAgo(10) })).id;
  });

  afterAll(() => world?.close());

  it('finds a partner spelled in another case and stores our spelling; imports a request from an unknown lender with a warning', async () => {
    const { pg, reports } = world;
    const run = await world.runNow(profileId);
    expect(run.state).toBe('COMPLETED_SUCCESSFULLY');
    const byTitle = async (title: string) => (await pg.query(`SELECT * FROM rs_request WHERE profile_id = $1 AND title = $2`, [profileId, title])).rows[0];
    expect(await byTitle('Versaler')).toMatchObject({ partner_code: 'Ume', partners: ['Ume'] });
    expect(await byTitle('Okänd långivare')).toMatchObject({ partner_code: 'Xyz', partners: ['Xyz'] });

    const events = await reports('GET', `/api/jobs/${run.id}/events?outcome=CREATED`);
    expect(events.status).toBe(200);
    const eventOf = (title: string) => byTitle(title).then((r) => events.body.items.find((e: any) => e.externalId === r.external_id));
    expect((await eventOf('Versaler')).warnings).toEqual([]);
    expect((await eventOf('Okänd långivare')).warnings).toEqual(['Unknown partner code "Xyz"']);
    const report = await reports('GET', `/api/jobs/${run.id}`);
    expect(report.body.counters).toMatchObject({ borrowingFailed: 0, created: 2 });
  });
});
