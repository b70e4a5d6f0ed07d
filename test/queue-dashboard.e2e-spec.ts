import { existsSync, mkdirSync } from 'fs';
import { resolve } from 'path';
import { Browser, chromium } from 'playwright-core';
import { LibrisWorld, startLibrisWorld } from './support/libris-fixtures';
import { urlOf } from './support/stack';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const ARTIFACTS = resolve(__dirname, '..', 'test-artifacts');

/** The queue dashboard in a real browser (Debian's Chromium driven by playwright-core): an operator
 *  logs in with an API key, sees the product's queues and a completed import job; without a key, no entry. */
describe('queue dashboard in a browser (end to end)', () => {
  let world: LibrisWorld;
  let browser: Browser;
  let reportingUrl: string;
  let operatorKey: string;
  let viewerKey: string;
  const profileName = 'Dashboard demo';

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`The browser test needs Debian's chromium at ${CHROMIUM} (apt-get install chromium; .ci/run installs it)`);
    world = await startLibrisWorld({ reporting: true });
    reportingUrl = await urlOf(world.reporting!);
    const { api } = world;
    operatorKey = (await api('POST', '/api/api-keys', { name: 'night shift', role: 'operator' })).body.key;
    viewerKey = (await api('POST', '/api/api-keys', { name: 'staff', role: 'viewer' })).body.key;

    const today = new Date().toISOString().slice(0, 10);
    await world.generate({ count: 5, from: today, to: today, seed: 3 });
    const profile = await world.createLibrisProfile({ code: 'DASH', name: profileName, harvestStartDate: today });
    expect((await world.runNow(profile.id, 30_000)).state).toMatch(/^COMPLETED/);

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await world?.close();
  });

  it('refuses a visitor without a key, and a viewer key', async () => {
    const anonymous = await browser.newContext();
    // The browser meets the Basic challenge and, having no credentials, does not get in.
    await expect((await anonymous.newPage()).goto(`${reportingUrl}/queues`)).rejects.toThrow(/ERR_INVALID_AUTH_CREDENTIALS/);
    const refused = await anonymous.request.get(`${reportingUrl}/queues`);
    expect(refused.status()).toBe(401);
    expect(refused.headers()['www-authenticate']).toMatch(/^Basic /);
    await anonymous.close();
    const viewer = await browser.newContext({ httpCredentials: { username: 'staff', password: viewerKey } });
    const forbidden = await (await viewer.newPage()).goto(`${reportingUrl}/queues`);
    expect(forbidden?.status()).toBe(403);
    await viewer.close();
  });

  it('shows an operator the queues and the completed import job', async () => {
    const context = await browser.newContext({ httpCredentials: { username: 'ops', password: operatorKey }, viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    const answer = await page.goto(`${reportingUrl}/queues`);
    expect(answer?.status()).toBe(200);
    for (const queue of ['import', 'nacsis-push', 'report-events']) {
      await page.getByText(queue, { exact: true }).first().waitFor({ timeout: 15_000 });
    }
    await page.goto(`${reportingUrl}/queues/queue/import?status=completed`);
    await page.getByText(`Import resource sharing requests using profile ${profileName}`).first().waitFor({ timeout: 15_000 });
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: resolve(ARTIFACTS, 'queue-dashboard.png'), fullPage: true });
    expect(existsSync(resolve(ARTIFACTS, 'queue-dashboard.png'))).toBe(true);
    await context.close();
  });
});
