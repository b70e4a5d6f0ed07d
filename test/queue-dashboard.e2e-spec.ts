import { INestApplication } from '@nestjs/common';
import { existsSync, mkdirSync } from 'fs';
import { resolve } from 'path';
import { Browser, chromium } from 'playwright-core';
import { Client } from 'pg';
import { AppConfig } from '@illbridge/common';
import { createTestDatabase, eventually, jsonClient, TEST_ADMIN_KEY, TestDatabase, testConfig, wipeQueuePrefix } from '@illbridge/testing';
import { createImportWorkerApp } from '../apps/import-worker/src/main';
import { createProfileConfigApp } from '../apps/profile-config/src/main';
import { createReportingApp } from '../apps/reporting/src/main';
import { RunningSimulator, startSimulator } from '../apps/ill-simulator/src/simulator';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const ARTIFACTS = resolve(__dirname, '..', 'test-artifacts');

/** The queue dashboard in a real browser (Debian's Chromium driven by playwright-core): an operator
 *  logs in with an API key, sees the product's queues and a completed import job; without a key, no entry. */
describe('queue dashboard in a browser (end to end)', () => {
  let db: TestDatabase;
  let config: AppConfig;
  let admin: INestApplication;
  let worker: INestApplication;
  let reporting: INestApplication;
  let sim: RunningSimulator;
  let browser: Browser;
  let reportingUrl: string;
  let operatorKey: string;
  let viewerKey: string;
  const profileName = 'Dashboard demo';

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`The browser test needs Debian's chromium at ${CHROMIUM} (apt-get install chromium; .ci/run installs it)`);
    db = await createTestDatabase();
    config = testConfig(db.url);
    sim = await startSimulator({ logLevels: false });
    admin = await createProfileConfigApp(config);
    await admin.listen(0, '127.0.0.1');
    worker = await createImportWorkerApp(config);
    await worker.init();
    reporting = await createReportingApp(config);
    await reporting.listen(0, '127.0.0.1');
    reportingUrl = (await reporting.getUrl()).replace('[::1]', '127.0.0.1');
    const api = jsonClient((await admin.getUrl()).replace('[::1]', '127.0.0.1'), TEST_ADMIN_KEY);
    operatorKey = (await api('POST', '/api/api-keys', { name: 'night shift', role: 'operator' })).body.key;
    viewerKey = (await api('POST', '/api/api-keys', { name: 'staff', role: 'viewer' })).body.key;

    const simApi = jsonClient(sim.url);
    await simApi('POST', '/_sim/libris/keys', { sigel: 'Hig', apiKey: 'k' });
    const today = new Date().toISOString().slice(0, 10);
    await simApi('POST', '/_sim/libris/generate', { sigel: 'Hig', count: 5, from: today, to: today, seed: 3 });
    await api('POST', '/api/libraries', { code: 'MAIN', name: 'Main', resourceSharing: true });
    const profile = await api('POST', '/api/integration-profiles', {
      code: 'DASH', name: profileName, integrationType: 'RESOURCE_SHARING', system: 'LIBRIS', baseUrl: `${sim.url}/libris/api`, libraryCode: 'Hig',
      resourceSharingLibraryCode: 'MAIN', authentication: { enabled: true, apiKey: 'k' }, harvestStartDate: today, schedule: { type: 'NOT_SCHEDULED' },
    });
    await api('PUT', `/api/integration-profiles/${profile.body.id}/library-mappings`, [{ libraryCode: 'MAIN', externalLibraryCode: 'Hig' }]);
    const run = await api('POST', `/api/integration-profiles/${profile.body.id}/run`);
    const pg = new Client({ connectionString: db.url });
    await pg.connect();
    await eventually(async () => (await pg.query(`SELECT state FROM job_run WHERE id = $1`, [run.body.jobRunId])).rows[0]?.state.startsWith('COMPLETED'), 30_000, 'the import');
    await pg.end();

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await reporting?.close();
    await worker?.close();
    await admin?.close();
    await sim?.close();
    if (config) await wipeQueuePrefix(config.redisUrl, config.queuePrefix);
    await db?.drop();
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
