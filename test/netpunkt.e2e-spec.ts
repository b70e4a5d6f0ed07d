import { INestApplication } from '@nestjs/common';
import { Client } from 'pg';
import { eventually } from '@illbridge/testing';
import { createImportWorkerApp } from '../apps/import-worker/src/main';
import { parseReceiptResponse } from '@illbridge/connectors/netpunkt';
import { buildScenario } from '../apps/ill-simulator/src/netpunkt/netpunkt-scenarios';
import { sendReceipt } from '../apps/ill-simulator/src/netpunkt/netpunkt-sender';
import { NETPUNKT, seedNetpunkt } from './support/netpunkt-fixtures';
import { Relay } from './support/relay';
import { JsonClient, Stack, startStack, urlOf } from './support/stack';

/** Netpunkt receipts end to end: DBC-like receipts posted to profile-config become borrowing requests
 *  through the import worker; bad receipts are refused and store nothing. */
describe('Netpunkt receipts (end to end)', () => {
  const { PASSWORD, OUR_ISIL, PICKUP } = NETPUNKT;
  let world: Stack;
  /** The import worker started again by a test (after it stopped the stack's). */
  let worker: INestApplication | undefined;
  let pg: Client;
  let relay: Relay;
  let endpoint: string;
  let api: JsonClient;
  let profileId: string;
  const UNMAPPED_ISIL = 'DK-820030';
  const params = () => ({ password: PASSWORD, requesterId: OUR_ISIL, pickUpAgencyId: PICKUP, responderId: 'DK-710100' });
  /** The external id of an order's request: orderId + requesterId identify an order (netpunkt.md §2). */
  const key = (orderId: string, requesterId = OUR_ISIL) => `${orderId}@${requesterId}`;
  const count = async (table: string) => (await pg.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n as number;
  const post = async (xml: string) => {
    const res = await fetch(endpoint, { method: 'POST', headers: { 'Content-Type': 'text/xml; charset=utf-8', SOAPAction: '"http://oss.dbc.dk/ns/orderReceipt/Receipt"' }, body: xml });
    const text = await res.text();
    // Read as DBC's sender reads it (entities decoded).
    const answer = parseReceiptResponse(text);
    return { http: res.status, status: answer?.status, message: answer?.message ?? undefined, text };
  };
  const settled = () =>
    eventually(async () => {
      const { rows } = await pg.query(`SELECT count(*)::int AS n FROM job_run WHERE state IN ('PENDING', 'RUNNING')`);
      return rows[0].n === 0;
    }, 30_000, 'inbound runs to end');

  beforeAll(async () => {
    relay = new Relay(16379 + Math.floor(Math.random() * 1000));
    await relay.open();
    world = await startStack({ profileConfig: { redisUrl: `redis://127.0.0.1:${relay.port}` } });
    ({ pg, api } = world);
    endpoint = `${await urlOf(world.admin)}/netpunkt/receipt`;
    const profile = await seedNetpunkt(api);
    profileId = profile.id;
    // A profile whose own ISIL is neither mapped nor a local library: only its pickup agency resolves.
    const unmapped = await api('POST', '/api/integration-profiles', {
      code: 'NETPUNKT_UNMAPPED', name: 'Netpunkt unmapped', integrationType: 'RESOURCE_SHARING', system: 'NETPUNKT', libraryCode: UNMAPPED_ISIL,
      resourceSharingLibraryCode: 'MAIN', authentication: { enabled: true, password: PASSWORD },
    });
    expect(unmapped.status).toBe(201);
    await api('PUT', `/api/integration-profiles/${unmapped.body.id}/library-mappings`, [{ libraryCode: 'BRANCH', externalLibraryCode: PICKUP }]);
    await api('PUT', `/api/integration-profiles/${profile.id}/library-mappings`, [
      { libraryCode: 'MAIN', externalLibraryCode: OUR_ISIL },
      { libraryCode: 'BRANCH', externalLibraryCode: PICKUP },
    ]);
  });

  afterAll(async () => {
    await worker?.close();
    await world?.close();
    await relay?.cut();
  });

  let fullOrderId: string;

  it('turns a full receipt into one borrowing request, shown as an INBOUND run', async () => {
    const receipt = buildScenario('full', params());
    fullOrderId = receipt.orderId;
    const answer = await post(receipt.xml);
    expect(answer).toMatchObject({ http: 200, status: 'ok' });
    await settled();
    const { rows } = await pg.query(`SELECT * FROM rs_request WHERE external_id = $1`, [key(receipt.orderId)]);
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
      [key(replacement.orderId)],
    );
    expect(rows).toEqual([{ replaced: key(fullOrderId) }]);
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
    expect(garbage.http).toBe(400);
    expect(garbage.text).toContain('<faultcode>soapenv:Client</faultcode><faultstring>The message cannot be read: the XML is not well-formed');
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
    const { rows } = await pg.query(`SELECT pickup_library_code, external_ref FROM rs_request WHERE external_id = $1`, [key(receipt.orderId, 'DK-820000')]);
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
    const { rows } = await pg.query(`SELECT format FROM rs_request WHERE external_id = $1`, [key(receipt.orderId)]);
    expect(rows).toEqual([{ format: 'COPY' }]);
  });

  it('honours the encoding the XML declaration names, and refuses bytes that are not valid in it', async () => {
    const receipt = buildScenario('minimal', params());
    const latin1 = receipt.xml.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"').replace('<title>Kongens Fald</title>', '<title>Æbleskiver på Ærø</title>');
    expect(latin1).toContain('encoding="ISO-8859-1"');
    const sent = await fetch(endpoint, { method: 'POST', headers: { 'Content-Type': 'text/xml' }, body: Buffer.from(latin1, 'latin1') });
    expect(await sent.text()).toContain('<receiptStatus>ok</receiptStatus>');
    await settled();
    const { rows } = await pg.query(`SELECT title FROM rs_request WHERE external_id = $1`, [key(receipt.orderId)]);
    expect(rows).toEqual([{ title: 'Æbleskiver på Ærø' }]);

    const broken = Buffer.from(buildScenario('minimal', params()).xml.replace('Kongens Fald', 'Kongens \u00ff'), 'latin1'); // declared UTF-8
    const refused = await fetch(endpoint, { method: 'POST', headers: { 'Content-Type': 'text/xml; charset=utf-8' }, body: broken });
    const text = await refused.text();
    expect(refused.status).toBe(400);
    expect(refused.headers.get('content-type')).toMatch(/^text\/xml/);
    expect(text).toContain('<soapenv:Fault><faultcode>soapenv:Client</faultcode><faultstring>The message cannot be read: the XML is not valid UTF-8');
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
    const { rows } = await pg.query(`SELECT format FROM rs_request WHERE external_id = $1`, [key(receipt.orderId)]);
    expect(rows).toEqual([{ format: 'COPY' }]);
  });

  it('never answers ok for a receipt that cannot become a request: fatal_internal_error with the reason, nothing stored or imported', async () => {
    const before = { requests: await count('rs_request'), receipts: await count('netpunkt_receipt'), runs: await count('job_run') };
    // The profile is found and the password is right, the pickup agency is mapped, but the profile's own ISIL is not.
    const ownUnmapped = await post(buildScenario('minimal', { ...params(), requesterId: UNMAPPED_ISIL }).xml);
    expect(ownUnmapped).toMatchObject({
      http: 200,
      status: 'fatal_internal_error',
      message: `The profile's own library code "${UNMAPPED_ISIL}" is not mapped and no local library has that code; add a library-code mapping`,
    });
    const pickupUnmapped = await post(buildScenario('minimal', { ...params(), pickUpAgencyId: 'DK-829999' }).xml);
    expect(pickupUnmapped).toMatchObject({
      http: 200,
      status: 'fatal_internal_error',
      message: 'Pickup agency DK-829999 is not mapped in profile NETPUNKT and no local library has that code; add a library-code mapping',
    });
    await settled();
    expect({ requests: await count('rs_request'), receipts: await count('netpunkt_receipt'), runs: await count('job_run') }).toEqual(before);
  });

  it('makes a receipt whose pickup agency resolves (as a bare library number) a request of that library and of the responder as partner', async () => {
    const receipt = buildScenario('minimal', { ...params(), pickUpAgencyId: '820011', responderId: 'dk-710100' });
    expect(await post(receipt.xml)).toMatchObject({ http: 200, status: 'ok' });
    await settled();
    const { rows } = await pg.query(
      `SELECT r.owner_library_code, r.pickup_library_code, r.partner_code, r.partners, e.outcome, e.warnings
         FROM rs_request r JOIN record_event e ON e.request_id = r.id WHERE r.external_id = $1`,
      [key(receipt.orderId)],
    );
    expect(rows).toEqual([{ owner_library_code: 'MAIN', pickup_library_code: 'BRANCH', partner_code: 'DK-710100', partners: ['DK-710100'], outcome: 'CREATED', warnings: [] }]);
  });

  it('keys an order by orderId and requesterId: the same orderId from two requesters is two requests, a resend of one still one', async () => {
    const orderId = String(1_900_000_000 + Math.floor(Math.random() * 1_000_000));
    const ours = buildScenario('minimal', { ...params(), orderId });
    // The main library as requester, our ISIL as the pickup agency (DBC's default requester): the same profile.
    const main = buildScenario('minimal', { ...params(), orderId, requesterId: 'DK-820000', pickUpAgencyId: OUR_ISIL });
    expect(await post(ours.xml)).toMatchObject({ status: 'ok' });
    expect(await post(main.xml)).toMatchObject({ status: 'ok' });
    await settled();
    expect(await post(buildScenario('resend', { ...params(), orderId }).xml)).toMatchObject({ status: 'ok' });
    await settled();
    const { rows } = await pg.query(`SELECT external_id, external_ref, pickup_library_code FROM rs_request WHERE external_id LIKE $1 ORDER BY external_id`, [`${orderId}@%`]);
    expect(rows).toEqual([
      { external_id: key(orderId, 'DK-820000'), external_ref: 'DK-820000', pickup_library_code: 'MAIN' },
      { external_id: key(orderId), external_ref: OUR_ISIL, pickup_library_code: 'BRANCH' },
    ]);
  });

  it('lets an operator find a stored receipt whose import failed LIBRARY_NOT_MAPPED and re-import it once the mapping is back: one request, however often', async () => {
    // Accepted while the mapping existed; the mapping is removed before the worker imports it.
    await world.stopWorker();
    const receipt = buildScenario('minimal', params());
    expect(await post(receipt.xml)).toMatchObject({ status: 'ok' });
    expect((await api('DELETE', `/api/integration-profiles/${profileId}/library-mappings/${OUR_ISIL}`)).status).toBe(204);
    worker = await createImportWorkerApp(world.config);
    await worker.init();
    await settled();

    const failed = await api('GET', `/api/netpunkt-receipts?state=FAILED&orderId=${receipt.orderId}`);
    expect(failed.status).toBe(200);
    expect(failed.body).toMatchObject({ total: 1, items: [{ orderId: receipt.orderId, requesterId: OUR_ISIL, profileCode: 'NETPUNKT', state: 'FAILED', requestId: null }] });
    const stored = failed.body.items[0];
    expect(stored.error).toEqual({ code: 'LIBRARY_NOT_MAPPED', message: expect.stringContaining(`"${OUR_ISIL}" is not mapped`) });
    expect((await pg.query(`SELECT id FROM rs_request WHERE external_id = $1`, [key(receipt.orderId)])).rows).toEqual([]);

    // Still unmapped: refused with the reason, and no run is made.
    const runsBefore = await count('job_run');
    const refused = await api('POST', `/api/netpunkt-receipts/${stored.id}/reimport`);
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ statusCode: 422, code: 'LIBRARY_NOT_MAPPED', message: [expect.stringContaining(`"${OUR_ISIL}" is not mapped`)] });
    expect(await count('job_run')).toBe(runsBefore);

    expect((await api('POST', `/api/integration-profiles/${profileId}/library-mappings`, { libraryCode: 'MAIN', externalLibraryCode: OUR_ISIL })).status).toBe(201);
    const first = await api('POST', `/api/netpunkt-receipts/${stored.id}/reimport`);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ id: stored.id, state: 'IMPORTED', error: null, requestId: expect.any(String), run: { state: 'COMPLETED_SUCCESSFULLY' } });
    const again = await api('POST', `/api/netpunkt-receipts/${stored.id}/reimport`);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ state: 'IMPORTED', requestId: first.body.requestId });
    expect(again.body.run.id).not.toBe(first.body.run.id);

    const { rows } = await pg.query(`SELECT id, owner_library_code, pickup_library_code, partner_code FROM rs_request WHERE external_id = $1`, [key(receipt.orderId)]);
    expect(rows).toEqual([{ id: first.body.requestId, owner_library_code: 'MAIN', pickup_library_code: 'BRANCH', partner_code: 'DK-710100' }]);
    const listed = await api('GET', `/api/netpunkt-receipts?state=IMPORTED&orderId=${receipt.orderId}`);
    expect(listed.body).toMatchObject({ total: 1, items: [{ id: stored.id, requestId: first.body.requestId }] });
    // The failed run stays in the job history; each re-import is an INBOUND run of its own.
    const runs = (await pg.query(`SELECT state, error_code FROM job_run WHERE trigger = 'INBOUND' ORDER BY created_at DESC LIMIT 3`)).rows;
    expect(runs).toEqual([
      { state: 'COMPLETED_SUCCESSFULLY', error_code: null },
      { state: 'COMPLETED_SUCCESSFULLY', error_code: null },
      { state: 'FAILED', error_code: 'LIBRARY_NOT_MAPPED' },
    ]);
  });

  it('refuses a re-import of an unknown receipt (404) and a listing with an unknown state (400 listing it)', async () => {
    expect((await api('POST', '/api/netpunkt-receipts/00000000-0000-4000-8000-000000000000/reimport')).body).toMatchObject({ statusCode: 404, code: 'NOT_FOUND' });
    const bad = await api('GET', '/api/netpunkt-receipts?state=LOST&limit=0');
    expect(bad.status).toBe(400);
    expect(bad.body.message).toEqual(expect.arrayContaining([expect.stringContaining('state must be one of QUEUED, IMPORTED, FAILED'), expect.stringContaining('limit')]));
  });
});
