import { createHmac, timingSafeEqual } from 'crypto';
import { Client } from 'pg';
import { NotificationSettings } from '@illbridge/notifications';
import { eventually, jsonClient } from '@illbridge/testing';
import { ImportSettings } from '../apps/import-worker/src/import-settings';
import { LibrisWorld, startLibrisWorld } from './support/libris-fixtures';
import { MailServer, ReceivedHook, startMailServer, startWebhookReceiver, WebhookReceiver } from './support/receivers';
import { daysAgo } from './support/runs';
import { JsonClient, urlOf } from './support/stack';

/** Notifications end to end: profile-config (subscribers), the import worker (a failing Libris run raises the event)
 *  and reporting (the delivering worker) against the simulator, a real webhook receiver and a real SMTP server. */
describe('notifications (end to end)', () => {
  let world: LibrisWorld;
  let pg: Client;
  let api: JsonClient;
  let receiver: WebhookReceiver;
  let mail: MailServer;
  let profileId: string;
  let webhook: { id: string; secret: string };
  const previousMinute = process.env.SCHEDULE_MINUTE_MS;
  /** What the receiver's own code would do: HMAC-SHA256 of the raw body with the endpoint's secret. */
  const signedWith = (hook: ReceivedHook, secret: string) => {
    const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(hook.body).digest('hex')}`);
    const got = Buffer.from(String(hook.headers['x-illbridge-signature'] ?? ''));
    return expected.length === got.length && timingSafeEqual(expected, got);
  };
  const hooksAt = (path: string, type?: string) => receiver.received.filter((h) => h.path === path && (!type || h.headers['x-illbridge-event'] === type));
  const addWebhook = async (path: string, body: Record<string, unknown> = {}) => {
    const created = await api('POST', '/api/notification-subscribers', { profileId, channel: 'WEBHOOK', name: `hook ${path}`, url: `${receiver.url}${path}`, ...body });
    expect(created.status).toBe(201);
    return created.body as { id: string; secret: string };
  };
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const librisProfile = (code: string, name: string, apiKey: string, schedule: Record<string, unknown>) =>
    world.createLibrisProfile({ code, name, apiKey, active: true, harvestStartDate: daysAgo(10), schedule });

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    mail = await startMailServer();
    world = await startLibrisWorld({
      apiKey: 'the-right-key',
      reporting: { notifications: new NotificationSettings({ smtpUrl: mail.url, attempts: 5, backoffBaseMs: 100, backoffCapMs: 400, timeoutMs: 3000, staleMarginMinutes: 1, staleCheckEveryMs: 300 }) },
      worker: new ImportSettings({ librisMaxRequestsPerSecond: 1000, httpTimeoutMs: 1500, retry: { attempts: 2, baseDelayMs: 20, maxDelayMs: 100 } }),
    });
    ({ pg, api } = world);
    profileId = (await librisProfile('LIBRIS_NOTIFY', 'Libris notify', 'a-key-the-simulator-refuses', { type: 'NOT_SCHEDULED' })).id;
  });

  afterAll(async () => {
    if (previousMinute === undefined) delete process.env.SCHEDULE_MINUTE_MS;
    else process.env.SCHEDULE_MINUTE_MS = previousMinute;
    await world?.close();
    await receiver?.close();
    await mail?.close();
  });

  it('shows a webhook secret once, and lists every problem of a bad subscriber', async () => {
    webhook = await addWebhook('/hooks/ops');
    expect(webhook.secret).toMatch(/^whsec_[A-Za-z0-9_-]{40,}$/);
    const shown = await api('GET', `/api/notification-subscribers/${webhook.id}`);
    expect(shown.status).toBe(200);
    expect(shown.body).toMatchObject({ id: webhook.id, profileId, channel: 'WEBHOOK', url: `${receiver.url}/hooks/ops` });
    expect(JSON.stringify(shown.body)).not.toContain(webhook.secret);
    const { rows } = await pg.query('SELECT secret_enc FROM notification_subscriber WHERE id = $1', [webhook.id]);
    expect(rows[0].secret_enc).not.toContain(webhook.secret);

    const bad = await api('POST', '/api/notification-subscribers', { channel: 'WEBHOOK', name: 'x', email: 'a@b.example', events: ['NOPE'] });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('VALIDATION_FAILED');
    expect(bad.body.message).toEqual(expect.arrayContaining([expect.stringContaining('events'), expect.stringContaining('url is required'), expect.stringContaining('email is for EMAIL')]));
    expect(bad.body.message).toHaveLength(3);
    const renamed = await api('PATCH', `/api/notification-subscribers/${webhook.id}`, { name: 'Ops hook' });
    expect(renamed.body).toMatchObject({ name: 'Ops hook', url: `${receiver.url}/hooks/ops`, active: true, events: null });
    const wrong = await api('PATCH', `/api/notification-subscribers/${webhook.id}`, { email: 'a@b.example', active: 'yes' });
    expect(wrong.status).toBe(400);
    expect(wrong.body.message).toEqual([expect.stringContaining('active'), 'email is for EMAIL subscribers only']);
    const viewerKey = await api('POST', '/api/api-keys', { name: 'viewer', role: 'viewer' });
    expect((await jsonClient(await urlOf(world.admin), viewerKey.body.key)('GET', '/api/notification-subscribers')).status).toBe(403);
  });

  it('a Libris run the simulator refuses delivers one signed webhook and one e-mail', async () => {
    const email = await api('POST', '/api/notification-subscribers', { profileId: null, channel: 'EMAIL', name: 'ILL team', email: 'ill-team@library.example' });
    expect(email.status).toBe(201);
    expect(email.body.secret).toBeUndefined();

    const run = await world.runNow(profileId);
    expect(run.state).toBe('FAILED');
    expect(run.error_code).toBe('AUTHENTICATION_FAILED');

    const [hook] = await eventually(async () => hooksAt('/hooks/ops', 'JOB_RUN_ENDED').length > 0 && hooksAt('/hooks/ops', 'JOB_RUN_ENDED'), 15_000, 'the webhook');
    expect(signedWith(hook, webhook.secret)).toBe(true);
    expect(signedWith({ ...hook, body: hook.body.replace('FAILED', 'FAILEE') }, webhook.secret)).toBe(false);
    expect(hook.headers['content-type']).toBe('application/json');
    const payload = JSON.parse(hook.body);
    expect(payload).toMatchObject({
      id: `run-ended:${run.id}`,
      type: 'JOB_RUN_ENDED',
      profile: { id: profileId, code: 'LIBRIS_NOTIFY', name: 'Libris notify', system: 'LIBRIS' },
      data: { runId: run.id, state: 'FAILED', errorCode: 'AUTHENTICATION_FAILED' },
    });
    expect(payload.summary).toContain('FAILED');

    const message = await eventually(async () => mail.received[0], 15_000, 'the e-mail');
    expect(message.to).toEqual(['ill-team@library.example']);
    expect(message.subject).toMatch(/^\[ILL Bridge\] .*FAILED \(AUTHENTICATION_FAILED/);
    expect(message.raw).toMatch(/^X-IllBridge-Event: JOB_RUN_ENDED/im);
    expect(message.raw).toContain(run.id);
    expect(message.raw).toContain('LIBRIS_NOTIFY');

    await sleep(1000); // nothing more comes: one webhook and one e-mail for the run
    expect(hooksAt('/hooks/ops', 'JOB_RUN_ENDED')).toHaveLength(1);
    expect(mail.received).toHaveLength(1);
    const log = await api('GET', `/api/notification-subscribers/${webhook.id}/deliveries`);
    expect(log.status).toBe(200);
    expect(log.body.items).toEqual([expect.objectContaining({ eventId: `run-ended:${run.id}`, eventType: 'JOB_RUN_ENDED', status: 'DELIVERED', attempts: 1, lastStatusCode: 200, event: payload })]);
  });

  it('a receiver that answers 500 twice gets the event on the third attempt, and the delivery log shows it', async () => {
    const flaky = await addWebhook('/hooks/flaky', { events: ['JOB_RUN_ENDED'] });
    receiver.failFirst('/hooks/flaky', [500, 500]);
    const run = await world.runNow(profileId);
    expect(run.state).toBe('FAILED');
    const delivered = await eventually(async () => {
      const log = await api('GET', `/api/notification-subscribers/${flaky.id}/deliveries`);
      return log.body.items?.[0]?.status === 'DELIVERED' && log.body.items[0];
    }, 20_000, 'the flaky delivery');
    expect(delivered).toMatchObject({ eventId: `run-ended:${run.id}`, status: 'DELIVERED', attempts: 3, lastStatusCode: 200, lastError: 'Webhook answered HTTP 500' });
    const hooks = hooksAt('/hooks/flaky');
    expect(hooks).toHaveLength(3);
    for (const hook of hooks) expect(signedWith(hook, flaky.secret)).toBe(true);
    expect(new Set(hooks.map((h) => h.body)).size).toBe(1);
    expect(JSON.parse(hooks[2].body).data.runId).toBe(run.id);
  });

  it('test-sends to one subscriber only', async () => {
    const before = receiver.received.length;
    const mailsBefore = mail.received.length;
    const sent = await api('POST', `/api/notification-subscribers/${webhook.id}/test`);
    expect(sent.status).toBe(202);
    const hook = await eventually(async () => hooksAt('/hooks/ops', 'TEST')[0], 10_000, 'the test-send');
    expect(signedWith(hook, webhook.secret)).toBe(true);
    expect(JSON.parse(hook.body)).toMatchObject({ id: sent.body.eventId, type: 'TEST', profile: { id: profileId } });
    await sleep(500);
    expect(receiver.received.length).toBe(before + 1);
    expect(mail.received).toHaveLength(mailsBefore);
    expect((await api('POST', '/api/notification-subscribers/00000000-0000-4000-8000-000000000000/test')).status).toBe(404);
  });

  it('a schedule that stops firing raises SCHEDULE_STALE once per stale period', async () => {
    // No import worker: the schedule's jobs wait and no run comes. A schedule minute (and the margin's) is 200 ms.
    await world.stopWorker();
    process.env.SCHEDULE_MINUTE_MS = '200';
    const stale = await librisProfile('LIBRIS_STALE', 'Libris stale', 'the-right-key', { type: 'INTERVAL', everyMinutes: 5 });
    const hook = await api('POST', '/api/notification-subscribers', { profileId: stale.id, channel: 'WEBHOOK', name: 'stale', url: `${receiver.url}/hooks/stale`, events: ['SCHEDULE_STALE'] });
    expect(hook.status).toBe(201);
    const runsOnly = await api('POST', '/api/notification-subscribers', { profileId: stale.id, channel: 'WEBHOOK', name: 'runs only', url: `${receiver.url}/hooks/runs-only`, events: ['JOB_RUN_ENDED'] });
    expect(runsOnly.status).toBe(201);
    const [event] = await eventually(async () => hooksAt('/hooks/stale').length > 0 && hooksAt('/hooks/stale'), 15_000, 'the stale event');
    expect(signedWith(event, hook.body.secret)).toBe(true);
    const payload = JSON.parse(event.body);
    expect(payload).toMatchObject({ type: 'SCHEDULE_STALE', profile: { code: 'LIBRIS_STALE' }, data: { lastRunAt: null, marginMinutes: 1 } });
    expect(Date.parse(payload.data.expectedAt)).toBeLessThan(Date.now());
    await sleep(1500); // several checks later, the same stale period is not told again
    expect(hooksAt('/hooks/stale')).toHaveLength(1);
    expect(hooksAt('/hooks/runs-only')).toHaveLength(0); // it takes JOB_RUN_ENDED only
    // The other profile has no schedule: it is never stale.
    expect(hooksAt('/hooks/ops', 'SCHEDULE_STALE')).toHaveLength(0);
    await api('PATCH', `/api/integration-profiles/${stale.id}`, { schedule: { type: 'NOT_SCHEDULED' } });
  });
});
