import { INestApplication } from '@nestjs/common';
import { existsSync, mkdirSync, readFileSync } from 'fs';
import { resolve } from 'path';
import { Browser, BrowserContext, chromium, Page } from 'playwright-core';
import { Client } from 'pg';
import { AppConfig } from '@illbridge/common';
import { createTestDatabase, eventually, jsonClient, TEST_ADMIN_KEY, TestDatabase, testConfig, wipeQueuePrefix } from '@illbridge/testing';
import { createActionPushApp } from '../apps/action-push/src/main';
import { PushSettings } from '../apps/action-push/src/push-settings';
import { RunningSimulator, startSimulator } from '../apps/ill-simulator/src/simulator';
import { createImportWorkerApp } from '../apps/import-worker/src/main';
import { ImportSettings } from '../apps/import-worker/src/import-settings';
import { createProfileConfigApp } from '../apps/profile-config/src/main';
import { consoleSettings } from '../apps/reporting/src/console/console-settings';
import { createReportingApp } from '../apps/reporting/src/main';
import { CONSOLE_BUILD, ensureConsoleBuilt } from '../scripts/lib/console-build';
import { verifySignature } from '@illbridge/notifications';
import { startWebhookReceiver } from './support/receivers';
import { urlOf } from './support/stack';

/** Browser globals, for the functions that run in the page (page.evaluate). */
declare const window: any, document: any, sessionStorage: any, localStorage: any;

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const SHOTS = resolve(__dirname, '..', 'test-artifacts', 'console');
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

const US = { participantId: 'FA100001', userId: 'us-user', password: 'us-password', name: '架空大学附属図書館' };
const PARTNER = { participantId: 'FA200002', name: '相手大学図書館' };
const SIGEL = 'Hig';
const LIBRIS_KEY = 'console-libris-key';

/** The staff console in a real browser (Debian's Chromium driven by playwright-core) against the real
 *  services (profile-config, action-push with its push worker, reporting serving the built console, the
 *  import worker; real Postgres and Redis) and the Libris / NACSIS-ILL simulator: a librarian's day. */
describe('staff console in a browser (end to end)', () => {
  let db: TestDatabase;
  let config: AppConfig;
  let sim: RunningSimulator;
  let apps: INestApplication[] = [];
  let browser: Browser;
  let consoleUrl: string;
  let admin: ReturnType<typeof jsonClient>;
  let simApi: ReturnType<typeof jsonClient>;
  let pg: Client;
  const keys = { operator: '', viewer: '' };
  const records: Record<string, string> = {};
  let librisProfileId: string;

  const ok = (what: string, res: { status: number; body: any }, ...statuses: number[]) => {
    if (!statuses.includes(res.status)) throw new Error(`${what}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const nacsisRecord = async (name: string, body: Record<string, unknown>) => {
    records[name] = ok(`record ${name}`, await simApi('POST', '/_sim/nacsis/records', body), 201).id;
  };
  const waitForRun = (jobRunId: string) =>
    eventually(async () => {
      const { rows } = await pg.query('SELECT state FROM job_run WHERE id = $1', [jobRunId]);
      return rows[0] && !['PENDING', 'RUNNING'].includes(rows[0].state) ? rows[0].state : null;
    }, 60_000, `run ${jobRunId}`);
  const requestIdOf = async (recordId: string) => (await pg.query('SELECT id FROM rs_request WHERE external_id = $1', [recordId])).rows[0].id as string;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`The browser test needs Debian's chromium at ${CHROMIUM} (apt-get install chromium; .ci/run installs it)`);
    const built = ensureConsoleBuilt(); // `npm run build:console` if dist/console is missing or older than its sources
    db = await createTestDatabase();
    config = testConfig(db.url);
    pg = new Client({ connectionString: db.url });
    await pg.connect();
    sim = await startSimulator({ logLevels: false });
    simApi = jsonClient(sim.url);
    const profileConfig = await createProfileConfigApp(config);
    await profileConfig.listen(0, '127.0.0.1');
    apps.push(profileConfig);
    const actionPush = await createActionPushApp(config, new PushSettings({ backoffBaseMs: 50, backoffCapMs: 500, httpTimeoutMs: 5000, sweepIntervalMs: 1000 }));
    await actionPush.listen(0, '127.0.0.1');
    apps.push(actionPush);
    const worker = await createImportWorkerApp(config, new ImportSettings({ httpTimeoutMs: 5000, retry: { attempts: 2, baseDelayMs: 20, maxDelayMs: 100 } }));
    await worker.init();
    apps.push(worker);
    await built;
    const reporting = await createReportingApp(
      config,
      consoleSettings({ CONSOLE_DIR: CONSOLE_BUILD, PROFILE_CONFIG_URL: await urlOf(profileConfig), ACTION_PUSH_URL: await urlOf(actionPush) }),
    );
    await reporting.listen(0, '127.0.0.1');
    apps.push(reporting);
    consoleUrl = `${await urlOf(reporting)}/console/`;
    admin = jsonClient(await urlOf(profileConfig), TEST_ADMIN_KEY);

    keys.operator = ok('operator key', await admin('POST', '/api/api-keys', { name: 'Aiko (desk)', role: 'operator' }), 201).key;
    keys.viewer = ok('viewer key', await admin('POST', '/api/api-keys', { name: 'Student help', role: 'viewer' }), 201).key;
    ok('library', await admin('POST', '/api/libraries', { code: 'MAIN', name: 'Main library', resourceSharing: true }), 201);
    ok('partner', await admin('POST', '/api/partners', { code: PARTNER.participantId, name: PARTNER.name, system: 'NACSIS', active: true }), 201);

    // NACSIS-ILL: our borrowing requests in several states, and two new lending requests waiting for us.
    ok('us', await simApi('POST', '/_sim/nacsis/participants', US), 201);
    ok('partner', await simApi('POST', '/_sim/nacsis/participants', PARTNER), 201);
    const borrow = { as: US.participantId, candidates: [PARTNER.participantId] };
    for (const [name, stat] of [['b1', '発送'], ['b2', '発送'], ['b3', '未処理'], ['b4', '処理中'], ['b5', '確認']]) await nacsisRecord(name, { ...borrow, stat });
    await nacsisRecord('lendLoan', { as: PARTNER.participantId, candidates: [US.participantId], service: 'LOAN' });
    await nacsisRecord('lendCopy', { as: PARTNER.participantId, candidates: [US.participantId], service: 'COPY' });
    const today = new Date().toISOString().slice(0, 10);
    const nacsis = ok('NACSIS profile', await admin('POST', '/api/integration-profiles', {
      code: 'NACSIS_MAIN', name: 'NACSIS-ILL main', integrationType: 'RESOURCE_SHARING', system: 'NACSIS', baseUrl: `${sim.url}/nacsis/catp`,
      libraryCode: US.participantId, resourceSharingLibraryCode: 'MAIN', authentication: { enabled: true, userId: US.userId, password: US.password },
      active: true, harvestStartDate: today, granularity: 'DAY', schedule: { type: 'NOT_SCHEDULED' },
    }), 201);
    ok('NACSIS mapping', await admin('PUT', `/api/integration-profiles/${nacsis.id}/library-mappings`, [{ libraryCode: 'MAIN', externalLibraryCode: US.participantId }]), 200);
    const sync = ok('NACSIS sync', await admin('POST', `/api/integration-profiles/${nacsis.id}/run`), 202);
    expect(await waitForRun(sync.jobRunId)).toBe('COMPLETED_SUCCESSFULLY');

    // Libris: borrowing requests for our sigel, one of them placed for a library nobody mapped.
    ok('libris key', await simApi('POST', '/_sim/libris/keys', { sigel: SIGEL, apiKey: LIBRIS_KEY }), 201, 200, 204);
    ok('libris requests', await simApi('POST', '/_sim/libris/generate', { sigel: SIGEL, count: 6, from: today, to: today, seed: 11 }), 201, 200, 204);
    ok('unmapped request', await simApi('POST', '/_sim/libris/requests', { sigel: SIGEL, record: { requesting_library: 'Xyz', title: 'Okänd beställare' } }), 201, 200, 204);
    const libris = ok('Libris profile', await admin('POST', '/api/integration-profiles', {
      code: 'LIBRIS_MAIN', name: 'Libris main', integrationType: 'RESOURCE_SHARING', system: 'LIBRIS', baseUrl: `${sim.url}/libris/api`, libraryCode: SIGEL,
      resourceSharingLibraryCode: 'MAIN', authentication: { enabled: true, apiKey: LIBRIS_KEY }, active: true, harvestStartDate: today, granularity: 'DAY',
      schedule: { type: 'NOT_SCHEDULED' },
    }), 201);
    librisProfileId = libris.id;
    ok('Libris mapping', await admin('PUT', `/api/integration-profiles/${libris.id}/library-mappings`, [{ libraryCode: 'MAIN', externalLibraryCode: SIGEL }]), 200);

    mkdirSync(SHOTS, { recursive: true });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    for (const app of apps.reverse()) await app.close();
    await sim?.close();
    await pg?.end();
    if (config) await wipeQueuePrefix(config.redisUrl, config.queuePrefix);
    await db?.drop();
  });

  const contexts: BrowserContext[] = [];
  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close();
  });

  /** A fresh browser (its own session storage) at 1280×800, signed in with `key`. */
  const signedIn = async (key: string, options: { viewport?: { width: number; height: number } } = {}) => {
    const context = await browser.newContext({ viewport: options.viewport ?? { width: 1280, height: 800 }, locale: 'en-GB', acceptDownloads: true });
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    await page.goto(consoleUrl);
    await page.getByLabel('API key').fill(key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    return page;
  };
  const shot = (page: Page, name: string) => page.screenshot({ path: resolve(SHOTS, `${name}.png`), fullPage: true });
  /** axe-core in the page: the serious and critical violations, by rule and the elements they concern. */
  const accessibilityProblems = async (page: Page) => {
    await page.addScriptTag({ content: AXE });
    const violations: any[] = await page.evaluate(async () => ((await (window as any).axe.run(document, { resultTypes: ['violations'] })) as any).violations);
    return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes.map((n: any) => n.target.join(' ')).join(', ')}`);
  };

  it('an operator filters by External System Status, accepts and ships a NACSIS loan, meets a refusal, runs an import and reads its report', async () => {
    // The sign-in page: a field labelled "API key"; the key stays in this tab's session storage only.
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-GB', acceptDownloads: true });
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    await page.goto(consoleUrl);
    await page.getByLabel('API key').waitFor();
    await shot(page, '01-sign-in');
    await page.getByLabel('API key').fill('not-a-key-of-ours');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('This API key is not known.').waitFor();
    await page.getByLabel('API key').fill(keys.operator);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Signed in as Aiko (desk) (operator)').waitFor();
    expect(await page.evaluate(() => ({ session: sessionStorage.getItem('illbridge.apiKey'), local: Object.keys(localStorage).filter((k) => localStorage.getItem(k)?.includes('ilb_')) }))).toEqual({
      session: keys.operator,
      local: [],
    });
    // An operator sees no configuration.
    await expect(page.getByRole('link', { name: 'Integration profiles' }).count()).resolves.toBe(0);

    // Borrowing requests: the External System Status facet counts 発送 twice; clicking it filters to those two.
    await page.getByRole('heading', { name: 'Borrowing requests', level: 1 }).waitFor();
    const facet = page.getByRole('region', { name: 'External System Status' }).getByRole('button', { name: /^発送/ });
    const count = Number(await facet.locator('.facet-count').textContent());
    expect(count).toBe(2);
    await facet.click();
    await page.getByTestId('request-count').filter({ hasText: `${count} requests` }).waitFor();
    await expect(facet.getAttribute('aria-pressed')).resolves.toBe('true');
    expect(await page.locator('tbody tr').count()).toBe(count);
    expect(await page.locator('tbody tr td:nth-child(4)').allTextContents()).toEqual(['発送', '発送']);
    expect(decodeURIComponent(page.url())).toContain('externalSystemStatus=発送');
    expect(await accessibilityProblems(page)).toEqual([]);
    await shot(page, '02-borrowing-requests-filtered');
    // The URL holds the filter: the link opened in another tab (which signs in on its own: the key is per tab) shows the same list.
    const shared = await context.newPage();
    await shared.goto(page.url());
    await shared.getByLabel('API key').fill(keys.operator);
    await shared.getByRole('button', { name: 'Sign in' }).click();
    await shared.getByTestId('request-count').filter({ hasText: `${count} requests` }).waitFor();
    await shared.close();
    // Sorting by a column asks the API for that order.
    await page.getByRole('button', { name: /^External Identifier/ }).click();
    await page.waitForURL(/sort=externalId/);
    const sortedIds = await page.locator('tbody tr td:nth-child(1)').allTextContents();
    expect(sortedIds).toEqual([...sortedIds].sort());

    // A NACSIS lending request: find it, open it, every field and the actions allowed now.
    await page.getByRole('link', { name: 'Lending requests' }).click();
    await page.getByRole('heading', { name: 'Lending requests', level: 1 }).waitFor();
    await page.getByLabel('Search title, author, identifier, requester or request number').fill(records.lendLoan);
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByTestId('request-count').filter({ hasText: '1 request' }).waitFor();
    await page.getByRole('link', { name: records.lendLoan }).click();
    await page.getByRole('heading', { name: `Request ${records.lendLoan}` }).waitFor();
    for (const label of ['External Identifier', 'External System Status', 'Requester (OMLNM)', 'Partner', 'Title', 'Owner library', 'Sync state']) {
      await page.locator('dt', { hasText: new RegExp(`^${label.replace(/[()]/g, '\\$&')}$`) }).first().waitFor();
    }
    await page.getByRole('group', { name: 'Allowed now' }).getByRole('button', { name: 'Accept' }).waitFor();
    expect(await accessibilityProblems(page)).toEqual([]);
    await shot(page, '03-lending-request-detail');

    // ACCEPT, then SHIP with a due date and charges: the total is computed as NACSIS's SUM will be.
    await page.getByRole('button', { name: 'Accept' }).click();
    await page.getByText('Accept was accepted and will be sent.').waitFor();
    await page.getByRole('group', { name: 'Allowed now' }).getByRole('button', { name: 'Ship' }).click();
    const due = new Date(Date.now() + 21 * 86_400_000).toISOString().slice(0, 10);
    await page.getByRole('button', { name: 'Send Ship' }).click();
    await page.getByText('A due date is required to ship a loan.').waitFor(); // a loan needs its due date
    await page.getByLabel('Due date').fill(due);
    await page.getByLabel('Item 1').fill('A4');
    await page.getByLabel('Quantity 1').fill('8');
    await page.getByLabel('Unit price (yen) 1').fill('35');
    await page.getByLabel('Postage (yen)').fill('84');
    await page.getByTestId('ship-total').filter({ hasText: '364 yen' }).waitFor();
    await shot(page, '04-ship-form');
    await page.getByRole('button', { name: 'Send Ship' }).click();
    await page.getByText('Ship was accepted and will be sent.').waitFor();
    // The page follows the push by itself: both actions sent, the request at 発送.
    const outbound = page.getByRole('region', { name: 'Outbound actions' });
    await eventually(async () => (await outbound.locator('tbody tr').allTextContents()).filter((row) => row.includes('Sent')).length === 2, 20_000, 'both actions sent');
    await page.locator('dd', { hasText: /^発送$/ }).waitFor();
    const simRecord = ok('sim record', await simApi('GET', `/_sim/nacsis/records/${records.lendLoan}`), 200);
    expect(simRecord.stat).toBe('発送');
    expect(simRecord.fields).toMatchObject({ SUM: '364', POSTG: '84' });
    expect(JSON.stringify(simRecord.fields)).toContain(due.replaceAll('-', ''));
    await shot(page, '05-lending-request-shipped');

    // A push NACSIS refuses: the borrower received the item meanwhile (we do not know yet), so our CALLBACK fails
    // there; the request is PUSH_FAILED and the failed action offers Retry and Discard. Discarding settles it.
    ok('borrower receives', await simApi('POST', `/_sim/nacsis/records/${records.lendLoan}/act`, { as: PARTNER.participantId, command: 'RECEIVE' }), 200);
    await page.getByRole('group', { name: 'Allowed now' }).getByRole('button', { name: 'Callback' }).click();
    const pushFailed = page.getByRole('alert').filter({ hasText: 'A push to NACSIS-ILL failed: retry it or discard it.' });
    await pushFailed.getByText(/^#3 Callback \(CALLBACK\): .*409/).waitFor({ timeout: 20_000 });
    const failedRow = outbound.locator('tbody tr', { hasText: 'Callback' });
    await failedRow.getByText('Failed', { exact: true }).waitFor();
    await pushFailed.getByRole('button', { name: 'Retry: #3 Callback' }).waitFor();
    await page.locator('dd').getByText('Push failed').waitFor();
    await shot(page, '05b-push-failed');
    await pushFailed.getByRole('button', { name: 'Discard: #3 Callback' }).click();
    await failedRow.getByText('Discarded', { exact: true }).waitFor();
    expect(await pushFailed.count()).toBe(0);
    await page.locator('dd').getByText('In sync').waitFor();

    // A refusal: a colleague accepted the other request while this page was open; ACCEPT here is refused by NACSIS's turn rules.
    const copyId = await requestIdOf(records.lendCopy);
    await page.goto(`${consoleUrl}request/${copyId}`);
    await page.getByRole('group', { name: 'Allowed now' }).getByRole('button', { name: 'Accept' }).waitFor();
    const colleague = jsonClient(consoleUrl.replace('/console/', '/proxy/action-push'), keys.operator);
    ok('colleague ACCEPT', await colleague('POST', `/api/requests/${copyId}/actions`, { action: 'ACCEPT' }), 202);
    await page.getByRole('button', { name: 'Accept' }).click();
    const refusal = page.getByRole('alert').filter({ hasText: 'NACSIS Action Not Allowed' });
    await refusal.waitFor();
    await refusal.getByText(/^Allowed now: .+/).waitFor();
    await shot(page, '06-nacsis-action-not-allowed');

    // Monitor Jobs: run the Libris import now and watch it finish without reloading the page.
    await page.getByRole('link', { name: 'Monitor Jobs' }).click();
    await page.getByRole('heading', { name: 'Monitor Jobs', level: 1 }).waitFor();
    await page.getByLabel('Profile to run').selectOption({ label: 'LIBRIS_MAIN — Libris main' });
    await page.getByRole('button', { name: 'Run now' }).click();
    await page.getByText(/^Job .+ started\.$/).waitFor();
    const finished = page.getByRole('region', { name: 'Finished jobs' }).locator('tbody tr', { hasText: 'Import resource sharing requests using profile Libris main' });
    await finished.filter({ hasText: 'Completed with errors' }).waitFor({ timeout: 30_000 });
    await shot(page, '07-monitor-jobs');

    // The job report: the seed's counters and the failed record with its reason, linked to the events report.
    await finished.getByRole('link', { name: /^Report/ }).click();
    await page.getByRole('heading', { name: 'Import resource sharing requests using profile Libris main', level: 1 }).waitFor();
    await expect(page.locator('[data-counter="totalRecordsProcessed"]').textContent()).resolves.toBe('7');
    await expect(page.locator('[data-counter="borrowingSucceeded"]').textContent()).resolves.toBe('6');
    await expect(page.locator('[data-counter="borrowingFailed"]').textContent()).resolves.toBe('1');
    await expect(page.locator('[data-counter="created"]').textContent()).resolves.toBe('6');
    const details = page.getByRole('region', { name: 'Import of Borrowing Requests – Details' });
    await details.getByText('LIBRARY_NOT_MAPPED').waitFor();
    await details.getByRole('cell', { name: /Library code "Xyz" is not mapped/ }).waitFor();
    expect(await accessibilityProblems(page)).toEqual([]);
    await shot(page, '08-job-report');
    await details.locator('tbody a').first().click();
    await page.getByRole('heading', { name: 'Events report', level: 1 }).waitFor();
    await expect(page.getByLabel('Outcome').inputValue()).resolves.toBe('FAILED');
    await page.locator('tbody tr').filter({ hasText: 'LIBRARY_NOT_MAPPED' }).waitFor();
    expect(await page.locator('tbody tr').count()).toBe(1);
    await shot(page, '09-events-report-failed');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download CSV' }).click()]);
    const csv = readFileSync(await download.path(), 'utf8');
    expect(download.suggestedFilename()).toMatch(/^job-.+-events\.csv$/);
    const lines = csv.trim().split(/\r?\n/);
    expect(lines).toHaveLength(2); // the header and the failed record: the filters apply to the CSV too
    expect(lines[1]).toContain('LIBRARY_NOT_MAPPED');
    // Unfiltered, the events report lists every record of the run.
    await page.getByLabel('Outcome').selectOption('');
    await page.getByText('Rows 1–7 of 7').waitFor();
    await shot(page, '10-events-report');

    // A run that is slow to read (Libris answers after 2 s) shows among the running jobs with its progress, and the
    // operator aborts it: it ends Aborted among the finished jobs.
    ok('slow Libris', await simApi('POST', '/_sim/faults/libris', { latencyMs: 2000 }), 200);
    try {
      await page.getByRole('link', { name: 'Monitor Jobs' }).click();
      await page.getByRole('heading', { name: 'Monitor Jobs', level: 1 }).waitFor();
      await page.getByLabel('Profile to run').selectOption({ label: 'LIBRIS_MAIN — Libris main' });
      await page.getByRole('button', { name: 'Run now' }).click();
      const running = page.getByRole('region', { name: 'Running jobs' });
      const abort = running.getByRole('button', { name: 'Abort: Import resource sharing requests using profile Libris main' });
      await abort.waitFor({ timeout: 30_000 });
      await running.getByRole('progressbar').first().waitFor();
      await shot(page, '10b-monitor-jobs-running');
      await abort.click();
      await page
        .getByRole('region', { name: 'Finished jobs' })
        .locator('tbody tr', { hasText: 'Import resource sharing requests using profile Libris main' })
        .filter({ hasText: 'Aborted' })
        .waitFor({ timeout: 30_000 });
      await running.getByText('No job is running.').waitFor();
      await shot(page, '10c-monitor-jobs-aborted');
    } finally {
      await simApi('POST', '/_sim/faults/libris', { latencyMs: 0 });
    }
  });

  it('an admin creates a Libris profile through the two-page wizard, seeing the validation problems beside their fields first', async () => {
    const page = await signedIn(TEST_ADMIN_KEY);
    await page.getByRole('link', { name: 'Integration profiles' }).click();
    await page.getByRole('heading', { name: 'Integration Profile List' }).waitFor();
    await page.getByRole('row', { name: /LIBRIS_MAIN/ }).waitFor();
    await shot(page, '11-profile-list');
    await page.getByRole('link', { name: 'Add Integration Profile' }).click();
    await page.getByText('External System – Page 1 of 2').waitFor();
    await page.getByLabel('Code', { exact: true }).fill('LIBRIS_BRANCH');
    await page.getByLabel('Name', { exact: true }).fill('Libris branch library');
    await expect(page.getByLabel('Integration type').inputValue()).resolves.toBe('RESOURCE_SHARING');
    await page.getByLabel('Description').fill('Borrowing requests of the branch library');
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByText('External System – Page 2 of 2').waitFor();
    await page.getByLabel('System', { exact: true }).selectOption('LIBRIS');
    await page.getByLabel('System base URL').fill('ftp://iller.libris.kb.se');
    await page.getByLabel('Library code').fill('Gk');
    await page.getByLabel('Resource sharing library').selectOption('MAIN');
    await page.getByLabel('API key of the external system').fill('branch-key');
    const future = new Date(Date.now() + 10 * 86_400_000).toISOString().slice(0, 10);
    await page.getByLabel('Harvest start date').fill(future);
    await page.getByLabel('Schedule', { exact: true }).selectOption('DAILY');
    await page.getByLabel('Time (HH:mm)').fill('25:00');
    await page.getByLabel('Time zone').fill('Europe/Stockholm');
    await page.getByRole('button', { name: 'Save' }).click();
    // Each problem the API found is shown beside its field.
    const problemOf = async (label: string) => {
      const input = page.getByLabel(label, { exact: true });
      await expect(input.getAttribute('aria-invalid')).resolves.toBe('true');
      const described = (await input.getAttribute('aria-describedby'))!.split(' ').find((id) => id.endsWith('-error'))!;
      return page.locator(`[id="${described}"]`).textContent();
    };
    await page.getByText('baseUrl must be an http(s) URL').waitFor();
    expect(await problemOf('System base URL')).toBe('baseUrl must be an http(s) URL');
    expect(await problemOf('Harvest start date')).toBe('harvestStartDate must not lie in the future');
    expect(await problemOf('Time (HH:mm)')).toMatch(/^schedule\.time must be HH:mm/);
    expect(await accessibilityProblems(page)).toEqual([]);
    await shot(page, '12-wizard-validation');
    await page.getByLabel('System base URL').fill(`${sim.url}/libris/api`);
    await page.getByLabel('Harvest start date').fill(new Date().toISOString().slice(0, 10));
    await page.getByLabel('Time (HH:mm)').fill('02:30');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('heading', { name: 'Integration Profile List' }).waitFor();
    const row = page.getByRole('row', { name: /LIBRIS_BRANCH/ });
    await row.getByText('Every day at a time: 02:30 (Europe/Stockholm)').waitFor();
    const saved = ok('saved profile', await admin('GET', '/api/integration-profiles?code=LIBRIS_BRANCH'), 200).items[0];
    expect(saved).toMatchObject({ name: 'Libris branch library', system: 'LIBRIS', baseUrl: `${sim.url}/libris/api`, libraryCode: 'Gk', resourceSharingLibraryCode: 'MAIN', authentication: { enabled: true, apiKeySet: true } });
    await shot(page, '13-profile-list-after-wizard');

    // Page 1 of the wizard for the record too.
    await page.getByRole('link', { name: 'Add Integration Profile' }).click();
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByText('code is required').waitFor();
    expect(await accessibilityProblems(page)).toEqual([]);
    await shot(page, '14-wizard-page-1');

    // The other configuration pages: mappings, partners, libraries, API keys (a new key is shown once).
    await page.goto(`${consoleUrl}profiles/${librisProfileId}/mappings`);
    await page.getByRole('cell', { name: SIGEL, exact: true }).waitFor();
    await shot(page, '15-library-mappings');
    await page.getByRole('link', { name: 'Partners' }).click();
    await page.getByRole('cell', { name: PARTNER.name, exact: true }).waitFor();
    await shot(page, '16-partners');
    await page.getByRole('link', { name: 'Libraries' }).click();
    await page.getByRole('cell', { name: 'Main library', exact: true }).waitFor();
    await shot(page, '17-libraries');
    await page.getByRole('link', { name: 'API keys' }).click();
    await page.getByRole('cell', { name: 'Student help', exact: true }).waitFor();
    await page.getByLabel('Name').fill('Night shift');
    await page.getByLabel('Role').selectOption('operator');
    await page.getByRole('button', { name: 'Create API key' }).click();
    const newKey = await page.getByTestId('new-api-key').textContent();
    expect(ok('the new key', await jsonClient(consoleUrl.replace('/console/', ''), newKey!)('GET', '/api/me'), 200)).toMatchObject({ name: 'Night shift', role: 'operator' });
    await shot(page, '18-api-keys-new-key');
    await page.reload(); // shown once: gone after a reload
    await page.getByRole('cell', { name: 'Night shift', exact: true }).waitFor();
    expect(await page.getByTestId('new-api-key').count()).toBe(0);
  });

  it('an operator selects lending requests and takes one action on all of them: each judged on its own; the statistics page charts the month', async () => {
    const page = await signedIn(keys.operator);
    await page.getByRole('link', { name: 'Lending requests' }).click();
    await page.getByRole('heading', { name: 'Lending requests', level: 1 }).waitFor();
    await page.getByTestId('request-count').filter({ hasText: '2 requests' }).waitFor();
    await page.getByLabel('Select every request on this page').check();
    await page.getByTestId('selected-count').filter({ hasText: '2 selected' }).waitFor();
    await page.getByLabel('Action for the selected requests').selectOption('REJECT');
    await page.getByLabel('Note (optional; REJECT and CLAIM need one)').fill('Not on the shelf');
    await page.getByRole('button', { name: 'Take Reject on 2 requests' }).click();
    // The copy was accepted earlier (処理中: REJECT allowed); the loan was shipped (refused, with NACSIS's reason).
    const result = page.locator('.bulk-result');
    await result.locator('p').waitFor();
    expect(await result.locator('p').textContent()).toBe('1 accepted, 1 refused');
    expect(await result.locator('li').allTextContents()).toEqual([
      `${await requestIdOf(records.lendLoan)}: NACSIS Action Not Allowed: REJECT is not allowed while the request is 発送 (allowed: CALLBACK)`,
    ]);
    expect(await accessibilityProblems(page)).toEqual([]);
    await shot(page, '23-lending-requests-bulk');

    await page.getByRole('link', { name: 'Statistics' }).click();
    await page.getByRole('heading', { name: 'Statistics', level: 1 }).waitFor();
    const month = new Date().toISOString().slice(0, 7);
    await page.getByRole('region', { name: 'All partners' }).getByRole('cell', { name: month }).first().waitFor();
    await page.getByRole('img', { name: 'Requests created and filled per month' }).locator('svg').first().waitFor();
    expect(await accessibilityProblems(page)).toEqual([]);
    await shot(page, '24-statistics');
  });

  it('a viewer sees requests and jobs but no action buttons and no configuration; the console speaks Japanese and fits a narrow window', async () => {
    const page = await signedIn(keys.viewer);
    const loanId = await requestIdOf(records.lendLoan);
    await page.goto(`${consoleUrl}request/${loanId}`);
    await page.getByRole('heading', { name: `Request ${records.lendLoan}` }).waitFor();
    await page.getByRole('region', { name: 'Actions', exact: true }).getByText('Your role can look, not act.').waitFor();
    await page.getByRole('region', { name: 'Outbound actions' }).locator('tbody tr').first().waitFor();
    expect(await page.getByRole('main').getByRole('button', { name: /^(Accept|Ship|Callback|Inquiry|Reject|Retry|Discard)\b/ }).count()).toBe(0);
    expect(await page.getByRole('region', { name: 'Actions', exact: true }).getByRole('button').count()).toBe(0);
    await shot(page, '19-viewer-request-detail');
    await page.getByRole('link', { name: 'Monitor Jobs' }).click();
    await page.getByRole('region', { name: 'Finished jobs' }).locator('tbody tr').first().waitFor();
    expect(await page.getByRole('button', { name: /Run now|Abort/ }).count()).toBe(0);
    expect(await page.getByRole('link', { name: /Integration profiles|API keys|Partners/ }).count()).toBe(0);
    await shot(page, '20-viewer-monitor-jobs');

    // 日本語: labels and local statuses translated, NACSIS statuses exactly as NACSIS sends them.
    await page.getByRole('link', { name: 'Borrowing requests' }).click();
    await page.getByLabel('Language').selectOption('ja');
    await page.getByRole('heading', { name: '借受依頼', level: 1 }).waitFor();
    await page.getByRole('region', { name: '外部システムのステータス' }).getByRole('button', { name: /^発送/ }).waitFor();
    await expect(page.evaluate(() => document.documentElement.lang)).resolves.toBe('ja');
    await shot(page, '21-borrowing-requests-japanese');
    await page.getByLabel('言語').selectOption('en');

    // A narrow window: navigation above, facets above the table, nothing cut off.
    await page.setViewportSize({ width: 480, height: 900 });
    await page.getByRole('heading', { name: 'Borrowing requests', level: 1 }).waitFor();
    await shot(page, '22-borrowing-requests-narrow');
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1)).toBe(true);
  });
  it('an operator creates a borrowing request with the New request form: holdings by BIBID, a ticked lender, ordered now', async () => {
    const bibId = 'BN00762300';
    ok('holdings', await simApi('POST', '/_sim/nacsis/holdings', {
      bibId, title: '借地法', isbn: '4417004684', holdings: [{ participantId: US.participantId }, { participantId: PARTNER.participantId, location: '中央', volumes: ['1'] }],
    }), 201);
    const page = await signedIn(keys.operator);
    await page.getByRole('link', { name: 'New request' }).click();
    await page.getByRole('heading', { name: 'New request', level: 1 }).waitFor();
    await page.getByLabel('Profile').selectOption({ label: 'NACSIS-ILL main (NACSIS_MAIN)' });
    await page.getByLabel('BIBID, ISBN or ISSN').fill(bibId);
    await page.getByRole('button', { name: 'Search holdings' }).click();
    const holdings = page.getByRole('table', { name: 'Holding libraries' });
    await holdings.waitFor();
    // Our own library is not offered as a lender.
    expect(await holdings.locator('tbody tr').count()).toBe(1);
    await page.getByLabel(`Ask ${PARTNER.participantId}`).click();
    await holdings.getByLabel('Candidate 1').waitFor();
    await expect(page.getByTestId('candidates').textContent()).resolves.toBe(`Candidate lenders in order: ${PARTNER.participantId}`);
    await expect(page.getByLabel('Title', { exact: true }).inputValue()).resolves.toBe('借地法');
    await page.getByLabel('Pickup library').selectOption('MAIN');
    await page.getByLabel('Requester', { exact: true }).fill('佐藤 花子');
    await page.getByLabel('Copy type (TYPE)').fill('電子複写');
    await page.getByLabel('Staff in charge (OSTAF)').fill('ILL担当');
    await page.getByLabel('Address (OADRS)').fill('〒000-0001 見本市2-2');
    expect(await accessibilityProblems(page)).toEqual([]);
    await shot(page, '23-new-borrowing-request');
    await page.getByRole('button', { name: 'Order now' }).click();
    await page.getByText('未処理').first().waitFor({ timeout: 20_000 });
    const { rows } = await pg.query(`SELECT * FROM rs_request WHERE request_number IS NOT NULL AND title = '借地法'`);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 'REQUEST_SENT_TO_PARTNER', partner_code: PARTNER.participantId, requester_name: '佐藤 花子' });
    await page.getByText(rows[0].request_number).first().waitFor();
    await shot(page, '24-ordered-borrowing-request');
  });

  it("an admin adds a webhook on a profile's Notifications page, copies its secret, test-sends and sees it delivered", async () => {
    const receiver = await startWebhookReceiver();
    try {
      const page = await signedIn(TEST_ADMIN_KEY);
      await page.getByRole('link', { name: 'Integration profiles' }).click();
      await page.getByRole('link', { name: 'Notifications: LIBRIS_MAIN' }).click();
      await page.getByRole('heading', { name: 'Notifications: Libris main (LIBRIS_MAIN)' }).waitFor();
      const form = page.getByRole('form', { name: 'Add subscriber' });
      await form.getByLabel('Channel').selectOption('WEBHOOK');
      await form.getByLabel('Name').fill('Ops chat');
      await form.getByLabel('Webhook URL').fill(`${receiver.url}/ops`);
      await form.getByRole('button', { name: 'Add subscriber' }).click();
      const secret = (await page.getByTestId('new-webhook-secret').textContent())!;
      expect(secret).toMatch(/^whsec_/);
      await page.getByRole('row', { name: /Ops chat/ }).waitFor();
      await page.getByRole('button', { name: 'Send a test to Ops chat' }).click();
      const hook = await eventually(async () => receiver.received[0], 15_000, 'the test webhook');
      expect(verifySignature(hook.body, secret, String(hook.headers['x-illbridge-signature']))).toBe(true);
      expect(JSON.parse(hook.body)).toMatchObject({ type: 'TEST', profile: { code: 'LIBRIS_MAIN' } });
      await page.getByRole('button', { name: 'Deliveries to Ops chat' }).click();
      await eventually(async () => {
        await page.getByRole('button', { name: 'Deliveries to Ops chat' }).click();
        return (await page.getByRole('table', { name: 'Deliveries to Ops chat' }).getByRole('row', { name: /TEST.*DELIVERED/ }).count()) === 1;
      }, 15_000, 'the delivery in the log');
      await shot(page, '23-profile-notifications');
      expect(await accessibilityProblems(page)).toEqual([]);
    } finally {
      await receiver.close();
    }
  });
});
