import { INestApplication } from '@nestjs/common';
import { Client } from 'pg';
import { AppConfig } from '@illbridge/common';
import { createTestDatabase, eventually, jsonClient, TEST_ADMIN_KEY, TestDatabase, testConfig, wipeQueuePrefix } from '@illbridge/testing';
import { createImportWorkerApp } from '../apps/import-worker/src/main';
import { createProfileConfigApp } from '../apps/profile-config/src/main';
import { buildScenario } from '../apps/ill-simulator/src/netpunkt/netpunkt-scenarios';
import { sendReceipt } from '../apps/ill-simulator/src/netpunkt/netpunkt-sender';
import { RunningSimulator, startSimulator } from '../apps/ill-simulator/src/simulator';
import { Relay } from './support/relay';

/** Netpunkt receipts end to end: DBC-like receipts posted to profile-config become borrowing requests
 *  through the import worker; bad receipts are refused and store nothing. */
describe('Netpunkt receipts (end to end)', () => {
  const PASSWORD = 'netpunkt-shared-secret';
  const OUR_ISIL = 'DK-820010';
  const PICKUP = 'DK-820011';
  let db: TestDatabase;
  let config: AppConfig;
  let admin: INestApplication;
  let worker: INestApplication;
  let sim: RunningSimulator;
  let pg: Client;
  let relay: Relay;
  let endpoint: string;
  const params = () => ({ password: PASSWORD, requesterId: OUR_ISIL, pickUpAgencyId: PICKUP, responderId: 'DK-710100' });
  const count = async (table: string) => (await pg.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n as number;
  const post = async (xml: string) => {
    const res = await fetch(endpoint, { method: 'POST', headers: { 'Content-Type': 'text/xml; charset=utf-8', SOAPAction: '"http://oss.dbc.dk/ns/orderReceipt/Receipt"' }, body: xml });
    const text = await res.text();
    return { http: res.status, status: /<(?:\w+:)?receiptStatus>([^<]+)</.exec(text)?.[1], message: /<(?:\w+:)?receiptStatusMessage>([^<]*)</.exec(text)?.[1], text };
  };
  const settled = () =>
    eventually(async () => {
      const { rows } = await pg.query(`SELECT count(*)::int AS n FROM job_run WHERE state IN ('PENDING', 'RUNNING')`);
      return rows[0].n === 0;
    }, 30_000, 'inbound runs to end');

  beforeAll(async () => {
    db = await createTestDatabase();
    config = testConfig(db.url);
    relay = new Relay(16379 + Math.floor(Math.random() * 1000));
    await relay.open();
    admin = await createProfileConfigApp({ ...config, redisUrl: `redis://127.0.0.1:${relay.port}` });
    await admin.listen(0, '127.0.0.1');
    worker = await createImportWorkerApp(config);
    await worker.init();
    sim = await startSimulator({ logLevels: false });
    pg = new Client({ connectionString: db.url });
    await pg.connect();
    const base = (await admin.getUrl()).replace('[::1]', '127.0.0.1');
    endpoint = `${base}/netpunkt/receipt`;
    const api = jsonClient(base, TEST_ADMIN_KEY);
    await api('POST', '/api/libraries', { code: 'MAIN', name: 'Hovedbiblioteket', resourceSharing: true });
    await api('POST', '/api/libraries', { code: 'BRANCH', name: 'Filial', resourceSharing: false });
    await api('POST', '/api/partners', { code: 'DK-710100', name: 'Københavns Biblioteker', system: 'NETPUNKT' });
    const profile = await api('POST', '/api/integration-profiles', {
      code: 'NETPUNKT', name: 'Netpunkt', integrationType: 'RESOURCE_SHARING', system: 'NETPUNKT', libraryCode: OUR_ISIL,
      resourceSharingLibraryCode: 'MAIN', authentication: { enabled: true, password: PASSWORD },
    });
    expect(profile.status).toBe(201);
    await api('PUT', `/api/integration-profiles/${profile.body.id}/library-mappings`, [
      { libraryCode: 'MAIN', externalLibraryCode: OUR_ISIL },
      { libraryCode: 'BRANCH', externalLibraryCode: PICKUP },
    ]);
  });

  afterAll(async () => {
    await worker?.close();
    await admin?.close();
    await sim?.close();
    await relay?.cut();
    await pg?.end();
    await wipeQueuePrefix(config.redisUrl, config.queuePrefix);
    await db?.drop();
  });

  let fullOrderId: string;

  it('turns a full receipt into one borrowing request, shown as an INBOUND run', async () => {
    const receipt = buildScenario('full', params());
    fullOrderId = receipt.orderId;
    const answer = await post(receipt.xml);
    expect(answer).toMatchObject({ http: 200, status: 'ok' });
    await settled();
    const { rows } = await pg.query(`SELECT * FROM rs_request WHERE external_id = $1`, [receipt.orderId]);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      direction: 'BORROWING', system: 'NETPUNKT', status: 'REQUEST_SENT_TO_PARTNER', owner_library_code: 'MAIN', pickup_library_code: 'BRANCH', partner_code: 'DK-710100',
    });
    expect(rows[0].title).toBeTruthy();
    const runs = (await pg.query(`SELECT * FROM job_run WHERE trigger = 'INBOUND'`)).rows;
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ state: 'COMPLETED_SUCCESSFULLY', job_name: 'Import resource sharing requests using profile Netpunkt' });
    expect(runs[0].counters).toMatchObject({ borrowingProcessed: 1, created: 1 });
    const stored = (await pg.query(`SELECT raw_xml, receipt::text AS receipt FROM netpunkt_receipt`)).rows[0];
    expect(stored.raw_xml).not.toContain(PASSWORD);
    expect(stored.receipt).not.toContain(PASSWORD);
  });

  it('takes the same receipt again, and a resend with a new uuid, without anything new', async () => {
    const first = buildScenario('minimal', params());
    expect((await post(first.xml)).status).toBe('ok');
    await settled();
    const before = { requests: await count('rs_request'), receipts: await count('netpunkt_receipt') };
    expect((await post(first.xml)).status).toBe('ok'); // the very same receipt
    expect(await count('netpunkt_receipt')).toBe(before.receipts);
    const resend = buildScenario('resend', { ...params(), orderId: first.orderId });
    expect((await post(resend.xml)).status).toBe('ok');
    await settled();
    expect(await count('rs_request')).toBe(before.requests);
    const last = (await pg.query(`SELECT counters FROM job_run WHERE trigger = 'INBOUND' ORDER BY created_at DESC LIMIT 1`)).rows[0];
    expect(last.counters).toMatchObject({ created: 0, unchanged: 1 });
  });

  it('links a replacement to the order it replaces', async () => {
    const replacement = buildScenario('replacement', { ...params(), orderId: fullOrderId });
    expect((await post(replacement.xml)).status).toBe('ok');
    await settled();
    const { rows } = await pg.query(
      `SELECT o.external_id AS replaced FROM rs_request r JOIN rs_request o ON o.id = r.replaces_request_id WHERE r.external_id = $1`,
      [replacement.orderId],
    );
    expect(rows).toEqual([{ replaced: fullOrderId }]);
  });

  it('refuses a wrong or missing password and a receipt without title, storing nothing', async () => {
    const before = { requests: await count('rs_request'), receipts: await count('netpunkt_receipt'), runs: await count('job_run') };
    const wrong = await post(buildScenario('wrong-password', params()).xml);
    expect(wrong).toMatchObject({ status: 'fatal_internal_error', message: 'authentication failed' });
    const missing = await post(buildScenario('missing-password', params()).xml);
    expect(missing).toMatchObject({ status: 'fatal_internal_error', message: 'authentication failed' });
    const untitled = await post(buildScenario('missing-title', params()).xml);
    expect(untitled.status).toBe('incomplete_request');
    expect(untitled.message).toContain('title');
    const garbage = await post('<not-xml');
    expect(garbage.status).toBe('incomplete_request');
    expect({ requests: await count('rs_request'), receipts: await count('netpunkt_receipt'), runs: await count('job_run') }).toEqual(before);
  });

  it('accepts a lower-case ISIL for the same agencies', async () => {
    const answer = await post(buildScenario('lower-case-isil', params()).xml);
    expect(answer.status).toBe('ok');
    await settled();
  });

  it('finds the profile by pickUpAgencyId when requesterId is the main library (DBC\'s default requester); counts receipts matching neither', async () => {
    const metric = async () => Number(/^illbridge_netpunkt_receipts_without_profile_total (\d+)/m.exec(await (await fetch(endpoint.replace('/netpunkt/receipt', '/metrics'))).text())?.[1] ?? 0);
    const unmatchedBefore = await metric();
    const receipt = buildScenario('minimal', { ...params(), requesterId: 'DK-820000', pickUpAgencyId: OUR_ISIL });
    expect(await post(receipt.xml)).toMatchObject({ status: 'ok' });
    await settled();
    const { rows } = await pg.query(`SELECT pickup_library_code, external_ref FROM rs_request WHERE external_id = $1`, [receipt.orderId]);
    expect(rows).toEqual([{ pickup_library_code: 'MAIN', external_ref: 'DK-820000' }]);
    const neither = await post(buildScenario('minimal', { ...params(), requesterId: 'DK-820000', pickUpAgencyId: 'DK-820001' }).xml);
    expect(neither).toMatchObject({ status: 'fatal_internal_error', message: 'authentication failed' });
    expect(await metric()).toBe(unmatchedBefore + 1);
  });

  it('reads DBC\'s Y/N booleans: copy=Y is a copy', async () => {
    const receipt = buildScenario('article-copy', params());
    expect(receipt.xml).toContain('<copy>true</copy>');
    expect(await post(receipt.xml.replace('<copy>true</copy>', '<copy>Y</copy>'))).toMatchObject({ status: 'ok' });
    await settled();
    const { rows } = await pg.query(`SELECT format FROM rs_request WHERE external_id = $1`, [receipt.orderId]);
    expect(rows).toEqual([{ format: 'COPY' }]);
  });

  it('honours the encoding the XML declaration names, and refuses bytes that are not valid in it', async () => {
    const receipt = buildScenario('minimal', params());
    const latin1 = receipt.xml.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"').replace('<title>Kongens Fald</title>', '<title>Æbleskiver på Ærø</title>');
    expect(latin1).toContain('encoding="ISO-8859-1"');
    const sent = await fetch(endpoint, { method: 'POST', headers: { 'Content-Type': 'text/xml' }, body: Buffer.from(latin1, 'latin1') });
    expect(await sent.text()).toContain('<receiptStatus>ok</receiptStatus>');
    await settled();
    const { rows } = await pg.query(`SELECT title FROM rs_request WHERE external_id = $1`, [receipt.orderId]);
    expect(rows).toEqual([{ title: 'Æbleskiver på Ærø' }]);

    const broken = Buffer.from(buildScenario('minimal', params()).xml.replace('Kongens Fald', 'Kongens \u00ff'), 'latin1'); // declared UTF-8
    const refused = await fetch(endpoint, { method: 'POST', headers: { 'Content-Type': 'text/xml; charset=utf-8' }, body: broken });
    const text = await refused.text();
    expect(text).toContain('<receiptStatus>incomplete_request</receiptStatus>');
    expect(text).toContain('the XML is not valid UTF-8');
  });

  it('answers a body too large to read with a SOAP 1.1 Fault in text/xml, not JSON', async () => {
    const huge = buildScenario('minimal', params()).xml.replace('</orderReceipt>', `<latestRequesterNote>${'x'.repeat(1_100_000)}</latestRequesterNote></orderReceipt>`);
    const res = await fetch(endpoint, { method: 'POST', headers: { 'Content-Type': 'text/xml; charset=utf-8' }, body: huge });
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toMatch(/^text\/xml/);
    const text = await res.text();
    expect(text).toContain('<soapenv:Fault><faultcode>soapenv:Client</faultcode><faultstring>The receipt is larger than 1 MB</faultstring></soapenv:Fault>');
  });

  it('answers temporary_error_please_resend while Redis is down, and the sender succeeds once it is back', async () => {
    await relay.cut();
    const down = await post(buildScenario('minimal', params()).xml);
    expect(down.status).toBe('temporary_error_please_resend');
    const receipt = buildScenario('article-copy', params());
    const sending = sendReceipt(endpoint, receipt.xml, { retries: 8, baseDelayMs: 300 });
    setTimeout(() => void relay.open(), 1200);
    const result = await sending;
    expect(result.status).toBe('ok');
    expect(result.attempts).toBeGreaterThan(1);
    await settled();
    const { rows } = await pg.query(`SELECT format FROM rs_request WHERE external_id = $1`, [receipt.orderId]);
    expect(rows).toEqual([{ format: 'COPY' }]);
  });
});
