import { request } from 'http';
import { resolve } from 'path';
import { Client } from 'pg';
import { AppConfig } from '@illbridge/common';
import { createTestDatabase, jsonClient, TEST_ADMIN_KEY, TestDatabase, testConfig, wipeQueuePrefix } from '@illbridge/testing';
import { buildScenario } from '../../apps/ill-simulator/src/netpunkt/netpunkt-scenarios';
import { freePort, RunningService } from '../../scripts/lib/services';
import { faultServices } from '../faults/fault-services';
import { NETPUNKT, seedNetpunkt } from '../support/netpunkt-fixtures';
import { Relay } from '../support/relay';

const LOG_DIR = resolve(__dirname, '..', '..', 'test-artifacts', 'security-netpunkt');
const { PASSWORD, OUR_ISIL, PICKUP } = NETPUNKT;
const PER_ADDRESS = 5;
const PER_REQUESTER = 8;

interface Answer {
  http: number;
  status?: string;
  message?: string;
  text: string;
}

/** POSTs a receipt from `localAddress` (any 127.x.y.z is this machine: distinct source addresses). */
function post(url: string, xml: string, localAddress = '127.0.0.1'): Promise<Answer> {
  return new Promise((done, fail) => {
    const req = request(
      `${url}/netpunkt/receipt`,
      { method: 'POST', localAddress, headers: { 'Content-Type': 'text/xml; charset=utf-8', 'Content-Length': Buffer.byteLength(xml) } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () =>
          done({
            http: res.statusCode!,
            status: /<(?:\w+:)?receiptStatus>([^<]+)</.exec(text)?.[1],
            message: /<(?:\w+:)?receiptStatusMessage>([^<]*)</.exec(text)?.[1],
            text,
          }),
        );
      },
    );
    req.on('error', fail);
    req.end(xml);
  });
}

const params = (password = PASSWORD, requesterId = OUR_ISIL) => ({ password, requesterId, pickUpAgencyId: PICKUP, responderId: 'DK-710100' });

/** Issue 22, items 1, 5 and 8 (raw XML): the Netpunkt endpoint of profile-config, started as processes. */
describe('security: the Netpunkt receipt endpoint (issue 22)', () => {
  const services = faultServices(LOG_DIR);
  let db: TestDatabase;
  let config: AppConfig;
  let pg: Client;
  let one: RunningService;
  let two: RunningService;
  let relay: Relay;
  let down: RunningService;
  let profileId: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    config = testConfig(db.url);
    const throttle = { NETPUNKT_FAILURES_PER_ADDRESS: String(PER_ADDRESS), NETPUNKT_FAILURES_PER_REQUESTER: String(PER_REQUESTER), NETPUNKT_FAILURE_WINDOW_S: '600' };
    relay = new Relay(await freePort());
    await relay.open();
    [one, two, down] = await Promise.all([
      services.spawn('profile-config', config, throttle),
      services.spawn('profile-config', config, throttle),
      // A third instance whose Redis is cut below (through the relay).
      services.spawn('profile-config', { ...config, redisUrl: `redis://127.0.0.1:${relay.port}` }, throttle),
    ]);
    pg = new Client({ connectionString: db.url });
    await pg.connect();
    const api = jsonClient(one.url, TEST_ADMIN_KEY);
    profileId = (await seedNetpunkt(api)).id;
    // The profile's own ISIL mapped too: a receipt whose library does not resolve is refused (fatal_internal_error).
    await api('PUT', `/api/integration-profiles/${profileId}/library-mappings`, [
      { libraryCode: 'BRANCH', externalLibraryCode: PICKUP },
      { libraryCode: 'MAIN', externalLibraryCode: OUR_ISIL },
    ]);
  }, 120_000);

  afterAll(async () => {
    await services.killAll();
    await relay?.cut();
    await pg?.end();
    if (config) await wipeQueuePrefix(config.redisUrl, config.queuePrefix);
    await db?.drop();
  });

  it('item 1: a ~1 MB body of namespace declarations without a key does not block the service: /health answers within 1 s meanwhile', async () => {
    // The shape that blocked main for minutes: a root declaring thousands of prefixes, then thousands of
    // children that each declare one more (every child copied the whole namespace map).
    const declarations = Array.from({ length: 9000 }, (_, i) => ` xmlns:p${i}="urn:p${i}"`).join('');
    const children = '<c xmlns:q="urn:q"/>'.repeat(36_000);
    const hostile = `<receipt xmlns="http://oss.dbc.dk/ns/orderReceipt"${declarations}>${children}</receipt>`;
    expect(hostile.length).toBeGreaterThan(900_000);
    expect(hostile.length).toBeLessThan(1_000_000);
    // A smaller one that passes the length limit, so that the reader itself has to refuse it.
    const small = `<receipt xmlns="http://oss.dbc.dk/ns/orderReceipt"${declarations.split(' ').slice(0, 3000).join(' ')}>${'<c xmlns:q="urn:q"/>'.repeat(8000)}</receipt>`;
    expect(small.length).toBeLessThan(256 * 1024);

    for (const body of [hostile, small]) {
      const started = Date.now();
      const answer = post(one.url, body);
      const healthTimes: number[] = [];
      for (let i = 0; i < 5; i++) {
        const t = Date.now();
        const health = await fetch(`${one.url}/health`, { signal: AbortSignal.timeout(1000) });
        expect(health.status).toBe(200);
        healthTimes.push(Date.now() - t);
      }
      // Past the reader's limits (or the 256 KiB of a receipt): a SOAP 1.1 Fault, not a receiptResponse.
      const refused = await answer;
      expect(refused.http).toBe(body === hostile ? 413 : 400);
      expect(refused.text).toContain('<faultcode>soapenv:Client</faultcode>');
      expect(Math.max(...healthTimes)).toBeLessThan(1000);
      expect(Date.now() - started).toBeLessThan(5000);
    }
  });

  it('item 1: more elements, deeper nesting or more attributes than a receipt could have are refused, each named', async () => {
    const good = buildScenario('minimal', params()).xml;
    const manyElements = good.replace('</orderReceipt>', `${'<x/>'.repeat(6000)}</orderReceipt>`);
    const deep = good.replace('</orderReceipt>', `${'<x>'.repeat(40)}${'</x>'.repeat(40)}</orderReceipt>`);
    const manyAttributes = good.replace('<orderReceipt>', `<orderReceipt ${Array.from({ length: 80 }, (_, i) => `a${i}="1"`).join(' ')}>`);
    // Past the reader's limits the message cannot be read: a SOAP 1.1 Fault naming the limit.
    const faultString = async (xml: string) => {
      const answer = await post(one.url, xml);
      expect(answer.http).toBe(400);
      return /<faultstring>([^<]*)</.exec(answer.text)?.[1];
    };
    expect(await faultString(manyElements)).toBe('The message cannot be read: the XML has more than 5000 elements');
    expect(await faultString(deep)).toBe('The message cannot be read: the XML is nested more than 32 elements deep');
    expect(await faultString(manyAttributes)).toBe('The message cannot be read: an element of the XML has more than 64 attributes');
    // A real receipt still goes through.
    expect(await post(one.url, buildScenario('full', params()).xml, '127.0.0.9')).toMatchObject({ status: 'ok' });
  });

  it('item 5: an unknown requester and a wrong password get the very same answer', async () => {
    const wrongPassword = await post(one.url, buildScenario('minimal', params('not-the-password')).xml, '127.0.1.1');
    const unknownRequester = await post(one.url, buildScenario('minimal', params(PASSWORD, 'DK-899999')).xml, '127.0.1.1');
    expect(wrongPassword).toMatchObject({ http: 200, status: 'fatal_internal_error', message: 'authentication failed' });
    expect(unknownRequester.text).toBe(wrongPassword.text);
  });

  it(`item 5: after ${PER_ADDRESS} failed attempts from one address, that address is not checked any more, on every instance`, async () => {
    const from = '127.0.2.1';
    for (let i = 0; i < PER_ADDRESS; i++) {
      // Alternating instances: the count lives in Redis, shared.
      const answer = await post(i % 2 ? two.url : one.url, buildScenario('minimal', params(`guess-${i}`, `DK-8${String(i).padStart(5, '0')}`)).xml, from);
      expect(answer.message).toBe('authentication failed');
    }
    const right = buildScenario('minimal', params()).xml;
    for (const url of [one.url, two.url]) {
      const blocked = await post(url, right, from);
      // Never a hint about the password: the receipt is not looked at, and DBC resends later.
      expect(blocked).toMatchObject({ http: 200, status: 'temporary_error_please_resend', message: 'Too many failed authentications; please resend later' });
    }
    // Another address with the right password is served.
    expect(await post(two.url, buildScenario('minimal', params()).xml, '127.0.2.2')).toMatchObject({ status: 'ok' });
    const stored = await pg.query(`SELECT count(*)::int AS n FROM netpunkt_receipt WHERE receipt_uuid = $1`, [/<orderReceiptUuid>([^<]+)</.exec(right)![1]]);
    expect(stored.rows[0].n).toBe(0);
  });

  it(`item 5: after ${PER_REQUESTER} failed attempts for one requester from several addresses, that requester is not checked any more`, async () => {
    const requester = 'DK-820077';
    await jsonClient(one.url, TEST_ADMIN_KEY)('POST', '/api/integration-profiles', {
      code: 'NETPUNKT2', name: 'Netpunkt 2', integrationType: 'RESOURCE_SHARING', system: 'NETPUNKT', libraryCode: requester,
      resourceSharingLibraryCode: 'MAIN', authentication: { enabled: true, password: PASSWORD },
    });
    for (let i = 0; i < PER_REQUESTER; i++) {
      const answer = await post(one.url, buildScenario('minimal', params(`guess-${i}`, requester)).xml, `127.0.3.${i + 1}`);
      expect(answer.message).toBe('authentication failed');
    }
    // Lower-case or without "DK-": the same requester.
    const right = buildScenario('minimal', { ...params(PASSWORD, 'dk-820077'), pickUpAgencyId: requester }).xml;
    expect(await post(two.url, right, '127.0.3.200')).toMatchObject({ status: 'temporary_error_please_resend', message: 'Too many failed authentications; please resend later' });
    // The requester of the first profile is not affected.
    expect(await post(two.url, buildScenario('minimal', params()).xml, '127.0.3.201')).toMatchObject({ status: 'ok' });
  });

  it('item 5: with its Redis down the endpoint answers as before: a wrong password is refused, a right one asked to resend; guessing stays throttled', async () => {
    await relay.cut();
    const wrong = await post(down.url, buildScenario('minimal', params('wrong-password')).xml, '127.0.4.1');
    expect(wrong).toMatchObject({ http: 200, status: 'fatal_internal_error', message: 'authentication failed' });
    const right = await post(down.url, buildScenario('minimal', params()).xml, '127.0.4.2');
    expect(right).toMatchObject({ http: 200, status: 'temporary_error_please_resend', message: 'A passing fault; please resend' });
    for (let i = 1; i < PER_ADDRESS; i++) await post(down.url, buildScenario('minimal', params(`wrong-${i}`)).xml, '127.0.4.1');
    expect(await post(down.url, buildScenario('minimal', params()).xml, '127.0.4.1')).toMatchObject({ message: 'Too many failed authentications; please resend later' });
    expect((await fetch(`${down.url}/health`)).status).toBe(503);
  });

  it('item 5: a Netpunkt profile needs a password of at least 12 characters (create and update)', async () => {
    const api = jsonClient(one.url, TEST_ADMIN_KEY);
    const created = await api('POST', '/api/integration-profiles', {
      code: 'NETPUNKT_SHORT', name: 'Short', integrationType: 'RESOURCE_SHARING', system: 'NETPUNKT', libraryCode: 'DK-820099',
      resourceSharingLibraryCode: 'MAIN', authentication: { enabled: true, password: 'x' },
    });
    expect(created.status).toBe(400);
    expect(created.body).toMatchObject({ code: 'VALIDATION_FAILED', message: ['authentication.password must be at least 12 characters long for NETPUNKT profiles'] });
    const patched = await api('PATCH', `/api/integration-profiles/${profileId}`, { authentication: { enabled: true, password: '12345678901' } });
    expect(patched.status).toBe(400);
    expect(patched.body.message).toEqual(['authentication.password must be at least 12 characters long for NETPUNKT profiles']);
    expect((await api('PATCH', `/api/integration-profiles/${profileId}`, { authentication: { enabled: true, password: PASSWORD } })).status).toBe(200);
  });

  it('item 8: a receipt written with a non-ASCII namespace prefix keeps neither the password nor the CPR number in the stored raw XML', async () => {
    const cpr = '0101901234';
    const receipt = buildScenario('minimal', params());
    const xml = receipt.xml
      .replace('<receipt xmlns="http://oss.dbc.dk/ns/orderReceipt">', '<ø:receipt xmlns:ø="http://oss.dbc.dk/ns/orderReceipt">')
      .replace('</receipt>', '</ø:receipt>')
      .replace(/<(\/?)(receiptRequest|authenticationPassword|orderReceipt|orderReceiptUuid|orderId|requesterId|requesterIdType|pickUpAgencyId|pickUpAgencyIdType|responderId|responderIdType|title)>/g, '<$1ø:$2>')
      .replace('</ø:orderReceipt>', `<ø:userId>${cpr}</ø:userId><ø:userIdType>cpr</ø:userIdType></ø:orderReceipt>`);
    expect(xml).toContain(`<ø:authenticationPassword>${PASSWORD}</ø:authenticationPassword>`);
    expect(await post(one.url, xml, '127.0.5.1')).toMatchObject({ status: 'ok' });
    const { rows } = await pg.query(`SELECT raw_xml, receipt::text AS receipt FROM netpunkt_receipt WHERE receipt_uuid = $1`, [receipt.orderReceiptUuid]);
    expect(rows).toHaveLength(1);
    for (const stored of [rows[0].raw_xml, rows[0].receipt]) {
      expect(stored).not.toContain(PASSWORD);
      expect(stored).not.toContain(cpr);
      expect(stored).not.toContain('010190');
    }
    // Still the receipt as sent, prefix and all, with the values replaced.
    expect(rows[0].raw_xml).toContain('<ø:authenticationPassword>[redacted]</ø:authenticationPassword>');
    expect(rows[0].raw_xml).toContain('<ø:userId>cpr:******1234</ø:userId>');
    expect(rows[0].raw_xml).toContain(`<ø:orderId>${receipt.orderId}</ø:orderId>`);
  });
});
