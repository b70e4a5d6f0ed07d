import { INestApplication } from '@nestjs/common';
import { sha256 } from '@illbridge/common';
import { eventually, jsonClient, TEST_ADMIN_KEY } from '@illbridge/testing';
import { NotificationSettings } from '@illbridge/notifications';
import { createActionPushApp } from '../apps/action-push/src/main';
import { PushSettings } from '../apps/action-push/src/push-settings';
import { createProfileConfigApp } from '../apps/profile-config/src/main';
import { createReportingApp } from '../apps/reporting/src/main';
import { consoleSettings } from '../apps/reporting/src/console/console-settings';
import { parseCsv } from '../apps/reporting/src/testing/parse-csv';
import { NacsisWorld, startNacsisWorld } from './support/nacsis-fixtures';
import { startWebhookReceiver, WebhookReceiver } from './support/receivers';
import { urlOf } from './support/stack';

/** The desk's daily work end to end: due dates from our SHIP (pushed to the NACSIS simulator), the overdue flag,
 *  facet and the overdue check's events; statistics over a seeded history; the CSV exports' formula guard. The
 *  real action-push (API and push worker) and reporting (API and its overdue-check worker, every second here). */
describe('desk: due dates, overdue, statistics, exports (end to end)', () => {
  let world: NacsisWorld;
  let pushApp: INestApplication;
  let reportingApp: INestApplication;
  let adminApp: INestApplication;
  let receiver: WebhookReceiver;
  let actions: ReturnType<typeof jsonClient>;
  let reports: ReturnType<typeof jsonClient>;
  let reportingUrl: string;
  const csvOf = async (path: string) => {
    const res = await fetch(`${reportingUrl}${path}`, { headers: { Authorization: `Bearer ${TEST_ADMIN_KEY}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    return parseCsv(await res.text());
  };
  const overdueEvents = async (requestId: string) =>
    ((await reports('GET', `/api/requests/${requestId}`)).body.events as any[]).filter((e) => e.type === 'OVERDUE');

  beforeAll(async () => {
    process.env.OVERDUE_CHECK_MS = '1000';
    world = await startNacsisWorld();
    // The library's day is Japan's: overdue is judged against today in Asia/Tokyo.
    await world.pg.query(`UPDATE integration_profile SET schedule_timezone = 'Asia/Tokyo' WHERE id = $1`, [world.profileId]);
    pushApp = await createActionPushApp(world.config, new PushSettings({ backoffBaseMs: 20, backoffCapMs: 200, httpTimeoutMs: 3000, leaseMs: 10_000, sweepIntervalMs: 500, concurrency: 4 }));
    await pushApp.listen(0, '127.0.0.1');
    reportingApp = await createReportingApp(world.config, consoleSettings(), new NotificationSettings({ attempts: 3, backoffBaseMs: 50, backoffCapMs: 200, staleCheckEveryMs: 0 }));
    await reportingApp.listen(0, '127.0.0.1');
    adminApp = await createProfileConfigApp(world.config);
    await adminApp.listen(0, '127.0.0.1');
    receiver = await startWebhookReceiver();
    const hook = await jsonClient(await urlOf(adminApp), TEST_ADMIN_KEY)('POST', '/api/notification-subscribers', {
      profileId: world.profileId, channel: 'WEBHOOK', name: 'desk', url: `${receiver.url}/hooks/desk`, events: ['REQUESTS_OVERDUE'],
    });
    expect(hook.status).toBe(201);
    actions = jsonClient(await urlOf(pushApp), TEST_ADMIN_KEY);
    reportingUrl = await urlOf(reportingApp);
    reports = jsonClient(reportingUrl, TEST_ADMIN_KEY);
  });

  afterAll(async () => {
    delete process.env.OVERDUE_CHECK_MS;
    await reportingApp?.close();
    await adminApp?.close();
    await receiver?.close();
    await pushApp?.close();
    await world?.close();
  });

  it('a SHIP with a due date in the past makes the loan overdue, counted in the facet, with one OVERDUE event after the overdue check ran', async () => {
    const late = await world.seed('LENDING', '未処理', 'LOAN');
    const onTime = await world.seed('LENDING', '未処理', 'LOAN');
    const ship = async (requestId: string, dueDate: string) => {
      expect((await actions('POST', `/api/requests/${requestId}/actions`, { action: 'ACCEPT' })).status).toBe(202);
      const shipped = await actions('POST', `/api/requests/${requestId}/actions`, { action: 'SHIP', fields: { shipDate: '2026-11-01', dueDate, postage: 84 } });
      expect(shipped.status).toBe(202);
      expect(shipped.body.request).toMatchObject({ status: 'SHIPPED_PHYSICALLY', dueDate });
    };
    await ship(late.requestId, '2026-11-20');
    await ship(onTime.requestId, '2099-01-31');

    const detail = await reports('GET', `/api/requests/${late.requestId}`);
    expect(detail.body).toMatchObject({ dueDate: '2026-11-20', overdue: true, status: 'SHIPPED_PHYSICALLY' });
    expect((await reports('GET', `/api/requests/${onTime.requestId}`)).body).toMatchObject({ dueDate: '2099-01-31', overdue: false });

    const list = await reports('GET', '/api/lending-requests?overdue=true');
    expect(list.status).toBe(200);
    expect(list.body.items.map((r: any) => [r.id, r.overdue, r.dueDate])).toEqual([[late.requestId, true, '2026-11-20']]);
    expect(list.body.facets.overdue).toEqual([
      { value: 'true', count: 1 },
      { value: 'false', count: 0 },
    ]);
    const all = await reports('GET', '/api/lending-requests?sort=dueDate&order=asc');
    expect(all.body.facets.overdue).toEqual([
      { value: 'true', count: 1 },
      { value: 'false', count: 1 },
    ]);
    expect(all.body.items.map((r: any) => r.id)).toEqual([late.requestId, onTime.requestId]);

    // The check runs every second here: the late loan gets its event once, the other none.
    const [event] = await eventually(async () => {
      const found = await overdueEvents(late.requestId);
      return found.length ? found : null;
    }, 20_000, 'the OVERDUE event');
    expect(event).toMatchObject({ type: 'OVERDUE', toStatus: 'SHIPPED_PHYSICALLY', message: 'Overdue: due back on 2026-11-20' });
    await new Promise((r) => setTimeout(r, 2500));
    expect(await overdueEvents(late.requestId)).toHaveLength(1);
    expect(await overdueEvents(onTime.requestId)).toHaveLength(0);
    // The profile's subscriber was told once, with the request that became overdue and its due date.
    const told = () => receiver.received.filter((h) => h.headers['x-illbridge-event'] === 'REQUESTS_OVERDUE').map((h) => JSON.parse(h.body));
    await eventually(async () => told().length > 0, 10_000, 'REQUESTS_OVERDUE told');
    expect(told()).toHaveLength(1);
    expect(told()[0]).toMatchObject({
      type: 'REQUESTS_OVERDUE',
      profile: { id: world.profileId },
      data: { count: 1, requests: [{ requestId: late.requestId, dueDate: '2026-11-20' }] },
    });

    // The same work queue in a CSV download, with the list's filters.
    const csv = await csvOf('/api/lending-requests.csv?overdue=true');
    expect(csv[0]).toContain('dueDate');
    expect(csv.slice(1).filter((r) => r.length > 1).map((r) => [r[csv[0].indexOf('id')], r[csv[0].indexOf('dueDate')], r[csv[0].indexOf('overdue')]])).toEqual([[late.requestId, '2026-11-20', 'true']]);
  });

  it('statistics over a seeded history equal the hand-computed fill rate and median turnarounds; the statistics CSV has the same rows', async () => {
    const { pg, profileId } = world;
    const seed = async (partner: string, created: string, history: [string, string][]) => {
      const { rows } = await pg.query(
        `INSERT INTO rs_request (profile_id, system, direction, external_id, status, partner_code, owner_library_code, format, title, created_at)
         VALUES ($1, 'NACSIS', 'BORROWING', $2, $3, $4, 'MAIN', 'LOAN', 'Stats', $5) RETURNING id`,
        [profileId, `STAT-${partner}-${created}`, history.at(-1)?.[0] ?? 'REQUEST_SENT_TO_PARTNER', partner, `${created}T09:00:00Z`],
      );
      // As an import leaves it: CREATED, then each status change.
      for (const [type, status, at] of [['CREATED', 'REQUEST_SENT_TO_PARTNER', created], ...history.map(([status, at]) => ['STATUS_CHANGED', status, at])]) {
        await pg.query(`INSERT INTO request_event (request_id, type, to_status, created_at) VALUES ($1, $2, $3, $4)`, [rows[0].id, type, status, `${at}T09:00:00Z`]);
      }
      return rows[0].id as string;
    };
    // Partner P1, March 2025: three filled (request→shipped 2, 4 and 1 days; shipped→received 2, 1 and 3 days),
    // one rejected then cancelled, one still waiting. Partner P2: one filled in 1 day, never received.
    await seed('P1', '2025-03-01', [['REQUEST_ACCEPTED', '2025-03-02'], ['SHIPPED_PHYSICALLY', '2025-03-03'], ['PHYSICALLY_RECEIVED_BY_LIBRARY', '2025-03-05']]);
    await seed('P1', '2025-03-02', [['SHIPPED_PHYSICALLY', '2025-03-06'], ['PHYSICALLY_RECEIVED_BY_LIBRARY', '2025-03-07'], ['RETURNED_ITEM_TO_PARTNER', '2025-03-20']]);
    await seed('P1', '2025-03-10', [['SHIPPED_PHYSICALLY', '2025-03-11'], ['PHYSICALLY_RECEIVED_BY_LIBRARY', '2025-03-14']]);
    await seed('P1', '2025-03-15', [['REJECTED_BY_PARTNER', '2025-03-16'], ['CANCELED_BY_STAFF', '2025-03-17']]);
    const waiting = await seed('P1', '2025-03-20', []);
    await seed('P2', '2025-03-01', [['SHIPPED_DIGITALLY', '2025-03-02']]);
    // Another month, outside the asked range.
    await seed('P1', '2025-04-01', [['SHIPPED_PHYSICALLY', '2025-04-30']]);

    const stats = await reports('GET', `/api/statistics?from=2025-03&to=2025-03&direction=BORROWING&profileId=${profileId}`);
    expect(stats.status).toBe(200);
    expect(stats.body.from).toBe('2025-03');
    expect(stats.body.rows).toEqual([
      {
        month: '2025-03', direction: 'BORROWING', partnerCode: 'P1', created: 5, filled: 3, rejectedOrCancelled: 1,
        fillRate: 0.75, // 3 / (3 + 1)
        requestToShippedDays: { median: 2, p90: 3.6 }, // of 1, 2, 4: p90 at 1.8 → 2 + 0.8 × 2
        shippedToReceivedDays: { median: 2, p90: 2.8 }, // of 1, 2, 3
      },
      {
        month: '2025-03', direction: 'BORROWING', partnerCode: 'P2', created: 1, filled: 1, rejectedOrCancelled: 0, fillRate: 1,
        requestToShippedDays: { median: 1, p90: 1 }, shippedToReceivedDays: { median: null, p90: null },
      },
    ]);
    expect(stats.body.totals).toEqual([
      {
        month: '2025-03', direction: 'BORROWING', created: 6, filled: 4, rejectedOrCancelled: 1, fillRate: 0.8,
        requestToShippedDays: { median: 1.5, p90: 3.4 }, // of 1, 1, 2, 4: p90 at 2.7 → 2 + 0.7 × 2
        shippedToReceivedDays: { median: 2, p90: 2.8 },
      },
    ]);

    // History written later changes the month's numbers at the next call: the waiting request is shipped after 3 days.
    await pg.query(`INSERT INTO request_event (request_id, type, to_status, created_at) VALUES ($1, 'STATUS_CHANGED', 'SHIPPED_PHYSICALLY', '2025-03-23T09:00:00Z')`, [waiting]);
    const later = await reports('GET', `/api/statistics?from=2025-03&to=2025-03&direction=BORROWING&profileId=${profileId}`);
    expect(later.body.rows[0]).toMatchObject({ partnerCode: 'P1', created: 5, filled: 4, rejectedOrCancelled: 1, fillRate: 0.8, requestToShippedDays: { median: 2.5 } });

    const problems = await reports('GET', '/api/statistics?from=2025-13&to=2025-02-30x');
    expect(problems.status).toBe(400);
    expect(problems.body.message).toEqual(['from must be a month YYYY-MM (or a date YYYY-MM-DD)', 'to must be a month YYYY-MM (or a date YYYY-MM-DD)']);

    const csv = await csvOf(`/api/statistics.csv?from=2025-03&to=2025-03&direction=BORROWING&profileId=${profileId}`);
    expect(csv.filter((r) => r.length > 1)).toEqual([
      ['month', 'direction', 'partnerCode', 'created', 'filled', 'rejectedOrCancelled', 'fillRate', 'requestToShippedMedianDays', 'requestToShippedP90Days', 'shippedToReceivedMedianDays', 'shippedToReceivedP90Days'],
      ['2025-03', 'BORROWING', 'P1', '5', '4', '1', '0.8', '2.5', '3.7', '2', '2.8'],
      ['2025-03', 'BORROWING', 'P2', '1', '1', '0', '1', '1', '1', '', ''],
    ]);
  });

  it('a title =HYPERLINK("x") comes out escaped in every CSV: requests, statistics and events', async () => {
    const { pg, profileId } = world;
    const formula = '=HYPERLINK("x")';
    const { rows } = await pg.query(
      `INSERT INTO rs_request (profile_id, system, direction, external_id, status, partner_code, owner_library_code, format, title)
       VALUES ($1, 'NACSIS', 'BORROWING', $2::text, 'REQUEST_SENT_TO_PARTNER', $2::text, 'MAIN', 'COPY', $2::text) RETURNING id, created_at`,
      [profileId, formula],
    );
    await pg.query(`INSERT INTO request_event (request_id, type, to_status) VALUES ($1, 'CREATED', 'REQUEST_SENT_TO_PARTNER')`, [rows[0].id]);
    const run = await pg.query(`INSERT INTO job_run (profile_id, job_name, trigger, state) VALUES ($1, 'NACSIS sync', 'MANUAL', 'COMPLETED_WITH_ERRORS') RETURNING id`, [profileId]);
    await pg.query(`INSERT INTO record_event (job_run_id, external_id, direction, outcome, message) VALUES ($1, $2::text, 'BORROWING', 'FAILED', $2::text)`, [run.rows[0].id, formula]);

    const escaped = `'${formula}`;
    const requests = await csvOf(`/api/borrowing-requests.csv?q=${encodeURIComponent('HYPERLINK')}`);
    expect(requests[1][requests[0].indexOf('title')]).toBe(escaped);
    expect(requests[1][requests[0].indexOf('externalId')]).toBe(escaped);
    const month = new Date(rows[0].created_at).toISOString().slice(0, 7);
    const statistics = await csvOf(`/api/statistics.csv?from=${month}&to=${month}&direction=BORROWING`);
    expect(statistics.find((r) => r[2]?.includes('HYPERLINK'))?.[2]).toBe(escaped);
    const events = await csvOf(`/api/jobs/${run.rows[0].id}/events.csv`);
    expect(events[1].slice(0, 1)).toEqual([escaped]);
    expect(events[1][events[0].indexOf('message')]).toBe(escaped);
  });

  it('saved filters: a key saves its work queue (checked as the list checks it), shares it, and only the key changes it', async () => {
    const viewerKey = 'desk-viewer-key-0123456789abcdef';
    await world.pg.query(`INSERT INTO api_key (name, role, key_hash, key_prefix) VALUES ('desk viewer', 'viewer', $1, $2)`, [sha256(viewerKey), viewerKey.slice(0, 8)]);
    const viewer = jsonClient(reportingUrl, viewerKey);
    const viewersOwn = await viewer('POST', '/api/saved-filters', { name: 'Mine only', direction: 'LENDING', filter: { overdue: 'true' } });
    expect(viewersOwn.status).toBe(201);
    const bad = await reports('POST', '/api/saved-filters', { name: 'Bad', direction: 'LENDING', filter: { olderThanDays: 'soon', colour: 'red', status: 'PHYSICALLY_RECEIVED_BY_LIBRARY' } });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toEqual([expect.stringMatching(/^filter\.colour is not a filter of the request lists/)]);
    const invalid = await reports('POST', '/api/saved-filters', { name: 'Bad', direction: 'LENDING', filter: { olderThanDays: 'soon', status: 'PHYSICALLY_RECEIVED_BY_LIBRARY' } });
    expect(invalid.status).toBe(400);
    expect(invalid.body.message).toEqual(expect.arrayContaining(['filter.olderThanDays must be a whole number', expect.stringMatching(/^filter\.status must be one of/)]));

    const saved = await reports('POST', '/api/saved-filters', { name: 'Shipped, waiting 14 days', direction: 'LENDING', filter: { status: 'SHIPPED_PHYSICALLY', olderThanDays: '14' } });
    expect(saved.status).toBe(201);
    expect(saved.body).toMatchObject({ name: 'Shipped, waiting 14 days', direction: 'LENDING', visibility: 'PRIVATE', mine: true, filter: { status: 'SHIPPED_PHYSICALLY', olderThanDays: '14' } });
    expect((await reports('POST', '/api/saved-filters', { name: 'Shipped, waiting 14 days', direction: 'LENDING', filter: {} })).status).toBe(409);
    const shared = await reports('PATCH', `/api/saved-filters/${saved.body.id}`, { visibility: 'SHARED' });
    expect(shared.body.visibility).toBe('SHARED');
    // The admin key sees its own filter, not the viewer's private one; the viewer sees the shared one, read-only.
    expect((await reports('GET', '/api/saved-filters?direction=LENDING')).body.items.map((f: any) => [f.name, f.mine])).toEqual([['Shipped, waiting 14 days', true]]);
    expect((await reports('GET', '/api/saved-filters?direction=BORROWING')).body.items).toEqual([]);
    expect((await viewer('GET', '/api/saved-filters?direction=LENDING')).body.items.map((f: any) => [f.name, f.mine, f.owner])).toEqual([
      ['Mine only', true, 'desk viewer'],
      ['Shipped, waiting 14 days', false, expect.any(String)],
    ]);
    const refused = await viewer('PATCH', `/api/saved-filters/${saved.body.id}`, { name: 'Taken over' });
    expect(refused.status).toBe(403);
    expect((await reports('PATCH', `/api/saved-filters/${viewersOwn.body.id}`, { name: 'Taken over' })).status).toBe(404);
    expect((await reports('DELETE', `/api/saved-filters/${saved.body.id}`)).status).toBe(204);
    expect((await viewer('GET', '/api/saved-filters')).body.items.map((f: any) => f.name)).toEqual(['Mine only']);
  });
});
