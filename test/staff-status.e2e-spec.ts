import { PushSettings } from '../apps/action-push/src/push-settings';
import { ImportSettings } from '../apps/import-worker/src/import-settings';
import { LibrisWorld, startLibrisWorld } from './support/libris-fixtures';
import { daysAgo } from './support/runs';

/** Staff work survives imports: a local status set by staff on a Libris request stays when Libris changes the
 *  record (the external status, the data and the raw record are updated, the change recorded as an event), and a
 *  request staff closed is no longer refreshed from Libris one by one. */
describe('local processing survives the next import (end to end, Libris)', () => {
  let world: LibrisWorld;
  let profileId: string;

  const runNow = () => world.runNow(profileId);
  const byTitle = async (title: string) => (await world.pg.query(`SELECT * FROM rs_request WHERE profile_id = $1 AND title = $2`, [profileId, title])).rows[0];
  const take = async (requestId: string, action: string) => {
    const answer = await world.actions('POST', `/api/requests/${requestId}/actions`, { action });
    expect({ action, status: answer.status }).toEqual({ action, status: 202 });
    return answer.body;
  };

  beforeAll(async () => {
    world = await startLibrisWorld({
      push: new PushSettings({ sweepIntervalMs: 0 }),
      worker: new ImportSettings({ librisMaxRequestsPerSecond: 1000, httpTimeoutMs: 1500, retry: { attempts: 2, baseDelayMs: 20, maxDelayMs: 100 } }),
    });
    // Created today: every run's harvest window reads it again. Created earlier: only the refresh of open requests
    // whose Libris status can still change reads it (one by one, by LF number).
    const seeds = [
      { title: 'Received here', created: daysAgo(0), status: 'Levererad' },
      { title: 'Cancelled here', created: daysAgo(5), status: 'Uteliggande' },
      { title: 'Still waiting', created: daysAgo(5), status: 'Uteliggande' },
    ];
    for (const { title, created, status } of seeds) await world.addRequest(created, { requesting_library: world.sigel, title, status, media_type: 'Lån' });
    const profile = await world.createLibrisProfile({ code: 'LIBRIS_STAFF', name: 'Libris staff', harvestStartDate: daysAgo(30) });
    expect(profile).toMatchObject({ id: expect.any(String) });
    profileId = profile.id;
  });

  afterAll(() => world?.close());

  it('keeps the status staff set when Libris changes the record, updates the rest, and records the change', async () => {
    expect((await runNow()).state).toBe('COMPLETED_SUCCESSFULLY');
    const shipped = await byTitle('Received here');
    expect(shipped).toMatchObject({ status: 'SHIPPED_PHYSICALLY', external_system_status: 'Levererad', closed: false });
    expect((await take(shipped.id, 'RECEIVE')).request.status).toBe('PHYSICALLY_RECEIVED_BY_LIBRARY');

    // Libris moves on: the lender marks it differently and edits the note.
    const changed = await world.simApi('PATCH', `/_sim/libris/requests/${world.sigel}/${encodeURIComponent(shipped.external_id)}`, { status: 'Uteliggande', message: 'Ändrad av långivaren' });
    expect(changed.status).toBe(200);
    const run = await runNow();
    expect(run.counters).toMatchObject({ updated: 1, created: 0 });

    const after = await byTitle('Received here');
    expect(after).toMatchObject({ status: 'PHYSICALLY_RECEIVED_BY_LIBRARY', external_system_status: 'Uteliggande' });
    expect(JSON.stringify(after.raw)).toContain('Ändrad av långivaren');
    const events = (await world.pg.query(`SELECT type, from_status, to_status, external_system_status, message FROM request_event WHERE request_id = $1 ORDER BY id`, [shipped.id])).rows;
    expect(events.map((e) => `${e.type}:${e.to_status}`)).toEqual(['CREATED:SHIPPED_PHYSICALLY', 'ACTION_REQUESTED:PHYSICALLY_RECEIVED_BY_LIBRARY', 'STATUS_CHANGED:PHYSICALLY_RECEIVED_BY_LIBRARY']);
    expect(events[2]).toMatchObject({ external_system_status: 'Uteliggande' });
    expect(events[2].message).toContain('Levererad → Uteliggande');
    expect(events[2].message).toContain('set by staff');
  });

  it('a request staff cancelled is closed and no longer refreshed one by one', async () => {
    const request = await byTitle('Cancelled here');
    expect(request).toMatchObject({ status: 'REQUEST_SENT_TO_PARTNER', closed: false });
    expect((await take(request.id, 'CANCEL')).request.status).toBe('CANCELED_BY_STAFF');
    expect(await byTitle('Cancelled here')).toMatchObject({ status: 'CANCELED_BY_STAFF', closed: true });

    await world.clearCalls();
    expect((await runNow()).state).toBe('COMPLETED_SUCCESSFULLY');
    const calls = (await world.calls()).map((c) => decodeURIComponent(String(c.path)));
    // A single read names the request by its LF number (external id) or its request_id.
    const refreshed = (r: any) => calls.some((path) => [r.external_id, r.raw?.lf_number, r.raw?.request_id].filter(Boolean).some((id) => path.endsWith(`/${id}`)));
    // The open one is still read one by one; the closed one is not.
    expect(refreshed(await byTitle('Still waiting'))).toBe(true);
    expect(refreshed(request)).toBe(false);
    expect(await byTitle('Cancelled here')).toMatchObject({ status: 'CANCELED_BY_STAFF', closed: true });
  });
});
