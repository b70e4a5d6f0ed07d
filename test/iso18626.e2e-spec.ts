import { Client } from 'pg';
import { conformanceProblems } from '@illbridge/connectors/iso18626';
import { eventually, jsonClient } from '@illbridge/testing';
import { PushSettings } from '../apps/action-push/src/push-settings';
import { buildScenario } from '../apps/ill-simulator/src/netpunkt/netpunkt-scenarios';
import { faultScale } from './faults/scale';
import { NETPUNKT, seedNetpunkt } from './support/netpunkt-fixtures';
import { JsonClient, Stack, startStack, urlOf } from './support/stack';

/** ISO 18626 end to end: a Netpunkt receipt creates a borrowing request, the simulated lender moves it with
 *  supplyingAgencyMessages to POST /iso18626 (profile-config), staff actions go to the lender as
 *  requestingAgencyMessages through action-push's push queue, and the simulated peer confirms them. */
describe('ISO 18626 (end to end)', () => {
  const { PASSWORD, OUR_ISIL, LENDER } = NETPUNKT;
  const SECRET = 'iso18626-shared-secret';
  let world: Stack;
  let pg: Client;
  let base: string;
  let endpoint: string;
  let api: JsonClient;
  let actions: JsonClient;
  let simApi: JsonClient;

  const params = () => ({ password: PASSWORD, requesterId: OUR_ISIL, pickUpAgencyId: OUR_ISIL, responderId: LENDER });
  const requestOf = async (orderId: string) => (await pg.query(`SELECT * FROM rs_request WHERE split_part(external_id, '@', 1) = $1`, [orderId])).rows[0];
  const count = async (sql: string, args: unknown[] = []) => (await pg.query(`SELECT count(*)::int AS n FROM ${sql}`, args)).rows[0].n as number;

  /** A Netpunkt receipt posted as DBC sends it; answers the order id once its request exists. */
  async function newRequest(): Promise<string> {
    const receipt = buildScenario('minimal', params());
    const res = await fetch(`${base}/netpunkt/receipt`, { method: 'POST', headers: { 'Content-Type': 'text/xml; charset=utf-8' }, body: receipt.xml });
    expect(await res.text()).toContain('<receiptStatus>ok</receiptStatus>');
    await eventually(() => requestOf(receipt.orderId), 30_000, `the request of order ${receipt.orderId}`);
    return receipt.orderId;
  }

  /** The simulated lender sends a message about order `orderId` to our endpoint (through the simulator's control API). */
  async function lender(message: string, orderId: string, extra: Record<string, unknown> = {}) {
    const sent = await simApi('POST', '/_sim/iso18626/send', {
      endpointUrl: endpoint, message, requestingAgencyRequestId: orderId, supplyingAgencyId: LENDER, requestingAgencyId: OUR_ISIL, securityCode: SECRET, ...extra,
    });
    expect(sent.status).toBe(200);
    return sent.body as { httpStatus: number; messageStatus: string; errorType: string | null; errorValue: string | null; timestamp: string; attempts: number };
  }

  async function take(orderId: string, action: string) {
    const request = await requestOf(orderId);
    const taken = await actions('POST', `/api/requests/${request.id}/actions`, { action });
    expect(taken.status).toBe(202);
    return taken.body;
  }
  const outbound = async (orderId: string) => (await actions('GET', `/api/requests/${(await requestOf(orderId)).id}/outbound-actions`)).body as any[];
  const allSent = (orderId: string, n: number) =>
    eventually(async () => {
      const list = await outbound(orderId);
      return list.length === n && list.every((a) => a.state === 'SENT') ? list : null;
    }, 60_000, `${n} actions of ${orderId} SENT`);
  /** What the peer applied for the order: its actions, repeats left out. */
  const peerApplied = async (orderId: string) =>
    ((await simApi('GET', '/_sim/iso18626/received')).body as any[]).filter((m) => m.requestingAgencyRequestId === orderId && !m.repeat).map((m) => m.action);

  beforeAll(async () => {
    world = await startStack({ push: new PushSettings({ backoffBaseMs: 20, backoffCapMs: 300, httpTimeoutMs: 1000, leaseMs: 10_000, lockDurationMs: 10_000, sweepIntervalMs: 500, concurrency: 8 }) });
    ({ pg, api, actions, simApi } = world);
    base = await urlOf(world.admin);
    endpoint = `${base}/iso18626`;
    const iso18626 = { endpointUrl: `${world.sim.url}/iso18626/peer`, agencyId: OUR_ISIL, sharedSecret: SECRET };
    const profile = await seedNetpunkt(api, { iso18626 });
    expect(profile.iso18626).toEqual({ endpointUrl: `${world.sim.url}/iso18626/peer`, agencyId: OUR_ISIL, peerAgencyId: null, sharedSecretSet: true });
    expect(JSON.stringify(profile)).not.toContain(SECRET);
    await api('PUT', `/api/integration-profiles/${profile.id}/library-mappings`, [{ libraryCode: 'MAIN', externalLibraryCode: OUR_ISIL }]);
    await simApi('POST', '/_sim/iso18626/peer', { securityCode: SECRET });
  });

  afterAll(() => world?.close());

  it('follows a loan from WillSupply to LoanCompleted, sending Received and ShippedReturn; a Renew answered no leaves the due date, one answered yes moves it', async () => {
    const orderId = await newRequest();
    expect(await requestOf(orderId)).toMatchObject({ status: 'REQUEST_SENT_TO_PARTNER', partner_code: LENDER });

    expect(await lender('WillSupply', orderId)).toMatchObject({ httpStatus: 200, messageStatus: 'OK', errorType: null, errorValue: null });
    expect(await requestOf(orderId)).toMatchObject({ status: 'REQUEST_ACCEPTED', external_system_status: 'WillSupply' });

    expect(await lender('Loaned', orderId, { dueDate: '2027-01-15' })).toMatchObject({ messageStatus: 'OK' });
    const shipped = await requestOf(orderId);
    expect(shipped).toMatchObject({ status: 'SHIPPED_PHYSICALLY', external_system_status: 'Loaned', due_date: '2027-01-15' });
    expect(shipped.iso18626.deliveryInfo).toMatchObject({ sentVia: 'Mail' });

    const received = await take(orderId, 'RECEIVE');
    expect(received.request.status).toBe('PHYSICALLY_RECEIVED_BY_LIBRARY');
    expect(received.action).toMatchObject({ action: 'RECEIVE', nacsisCommand: null, fields: { iso18626Action: 'Received' } });
    await allSent(orderId, 1);
    expect(await peerApplied(orderId)).toEqual(['Received']);

    await take(orderId, 'RENEW');
    await allSent(orderId, 2);
    expect((await requestOf(orderId)).status).toBe('PHYSICALLY_RECEIVED_BY_LIBRARY'); // waits for the lender's answer
    expect(await lender('RenewResponse', orderId, { answerYesNo: 'N', dueDate: '2027-02-15' })).toMatchObject({ messageStatus: 'OK' });
    expect(await requestOf(orderId)).toMatchObject({ status: 'PHYSICALLY_RECEIVED_BY_LIBRARY', due_date: '2027-01-15' });
    expect((await requestOf(orderId)).iso18626.renewAnswer).toBe('N');

    await take(orderId, 'RENEW');
    await allSent(orderId, 3);
    expect(await lender('RenewResponse', orderId, { answerYesNo: 'Y', dueDate: '2027-02-15' })).toMatchObject({ messageStatus: 'OK' });
    expect(await requestOf(orderId)).toMatchObject({ status: 'PHYSICALLY_RECEIVED_BY_LIBRARY', due_date: '2027-02-15' });

    const check = await actions('POST', `/api/requests/${(await requestOf(orderId)).id}/iso18626/status-request`);
    expect(check.status).toBe(202);
    expect(check.body.action).toMatchObject({ action: 'STATUS_REQUEST', fields: { iso18626Action: 'StatusRequest' } });
    await allSent(orderId, 4);

    await take(orderId, 'RETURN');
    await allSent(orderId, 5);
    expect((await requestOf(orderId)).status).toBe('RETURNED_ITEM_TO_PARTNER');
    expect(await peerApplied(orderId)).toEqual(['Received', 'Renew', 'Renew', 'StatusRequest', 'ShippedReturn']);

    expect(await lender('LoanCompleted', orderId)).toMatchObject({ messageStatus: 'OK' });
    expect(await requestOf(orderId)).toMatchObject({ status: 'REQUEST_COMPLETED', closed: true, external_system_status: 'LoanCompleted' });
    // Every message kept raw with its confirmation, the security code redacted.
    const kept = (await pg.query(`SELECT direction, reason, status, raw, confirmation, applied FROM iso18626_message WHERE request_id = $1 ORDER BY created_at`, [(await requestOf(orderId)).id])).rows;
    expect(kept.map((m) => `${m.direction}:${m.reason}:${m.status ?? ''}:${m.applied}`)).toEqual([
      'IN:RequestResponse:WillSupply:true', 'IN:StatusChange:Loaned:true', 'OUT:Received::true', 'OUT:Renew::true', 'IN:RenewResponse:Loaned:true',
      'OUT:Renew::true', 'IN:RenewResponse:Loaned:true', 'OUT:StatusRequest::true', 'OUT:ShippedReturn::true', 'IN:StatusChange:LoanCompleted:true',
    ]);
    for (const m of kept) {
      expect(m.raw).not.toContain(SECRET);
      expect(m.confirmation).toContain('<messageStatus>OK</messageStatus>');
      expect([m.reason, conformanceProblems(m.raw), conformanceProblems(m.confirmation)]).toEqual([m.reason, [], []]);
    }
  });

  it('shows the reason of an Unfilled (NotOnShelf)', async () => {
    const orderId = await newRequest();
    await lender('Unfilled', orderId, { reasonUnfilled: 'NotOnShelf', note: 'Not on the shelf today' });
    const request = await requestOf(orderId);
    expect(request).toMatchObject({ status: 'REJECTED_BY_PARTNER', external_system_status: 'Unfilled' });
    expect(request.iso18626).toMatchObject({ reasonUnfilled: 'NotOnShelf', note: 'Not on the shelf today' });
    const event = (await pg.query(`SELECT message FROM request_event WHERE request_id = $1 ORDER BY id DESC LIMIT 1`, [request.id])).rows[0];
    expect(event.message).toContain('NotOnShelf');
  });

  it('changes the status only when the lender accepts a Cancel', async () => {
    const orderId = await newRequest();
    await lender('WillSupply', orderId);
    await take(orderId, 'CANCEL');
    await allSent(orderId, 1);
    expect((await requestOf(orderId)).status).toBe('REQUEST_ACCEPTED');
    expect(await peerApplied(orderId)).toEqual(['Cancel']);
    await lender('CancelResponse', orderId, { answerYesNo: 'Y' });
    expect(await requestOf(orderId)).toMatchObject({ status: 'CANCELED_BY_STAFF', closed: true, external_system_status: 'Cancelled' });
  });

  it('changes nothing for a repeat of a message', async () => {
    const orderId = await newRequest();
    const first = await lender('WillSupply', orderId);
    const { id } = await requestOf(orderId);
    const before = { events: await count('request_event WHERE request_id = $1', [id]), messages: await count('iso18626_message'), updated: (await requestOf(orderId)).updated_at };
    const again = await lender('WillSupply', orderId, { timestamp: first.timestamp });
    expect(again).toMatchObject({ messageStatus: 'OK' });
    expect({ events: await count('request_event WHERE request_id = $1', [id]), messages: await count('iso18626_message'), updated: (await requestOf(orderId)).updated_at }).toEqual(before);
  });

  it('answers a message for an unknown request ERROR UnableToFindRequest and lists it for operators to re-apply', async () => {
    const answer = await lender('WillSupply', 'NO-SUCH-ORDER');
    expect(answer).toMatchObject({ httpStatus: 200, messageStatus: 'ERROR', errorType: 'UnrecognisedDataValue' });
    expect(answer.errorValue).toMatch(/^UnableToFindRequest: /);
    const listed = await api('GET', '/api/iso18626/messages?unmatched=true');
    expect(listed.status).toBe(200);
    expect(listed.body.items).toEqual([expect.objectContaining({ requestingAgencyRequestId: 'NO-SUCH-ORDER', applied: false, requestId: null, status: 'WillSupply' })]);
    // The request is still unknown: the re-apply says so.
    const early = await api('POST', `/api/iso18626/messages/${listed.body.items[0].id}/reapply`);
    expect(early.status).toBe(409);
    // Once the order's request exists (here: re-pointed at a real order), the operator re-applies it.
    const orderId = await newRequest();
    await pg.query(`UPDATE iso18626_message SET raw = replace(raw, 'NO-SUCH-ORDER', $1) WHERE id = $2`, [orderId, listed.body.items[0].id]);
    const reapplied = await api('POST', `/api/iso18626/messages/${listed.body.items[0].id}/reapply`);
    expect(reapplied.status).toBe(200);
    expect(reapplied.body).toMatchObject({ applied: true, requestId: (await requestOf(orderId)).id });
    expect((await requestOf(orderId)).status).toBe('REQUEST_ACCEPTED');
    expect((await api('GET', '/api/iso18626/messages?unmatched=true')).body.items).toEqual([]);
    const viewer = await api('POST', '/api/api-keys', { name: 'viewer', role: 'viewer' });
    expect((await jsonClient(base, viewer.body.key)('GET', '/api/iso18626/messages')).status).toBe(403);
  });

  it('refuses a wrong secret, malformed XML, a DTD and a request message, changing nothing', async () => {
    const orderId = await newRequest();
    const before = await count('iso18626_message');
    expect(await lender('WillSupply', orderId, { securityCode: 'a-wrong-shared-secret' })).toMatchObject({ messageStatus: 'ERROR', errorType: 'UnrecognisedDataValue', errorValue: 'authentication failed' });
    const post = async (body: string) => (await fetch(endpoint, { method: 'POST', headers: { 'Content-Type': 'application/xml' }, body })).text();
    expect(await post('<not-xml')).toMatch(/<messageStatus>ERROR<\/messageStatus>.*<errorType>BadlyFormedMessage<\/errorType>/s);
    expect(await post('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>')).toContain('<errorType>BadlyFormedMessage</errorType>');
    const request = `<ISO18626Message xmlns="http://illtransactions.org/2013/iso18626" version="1.2"><request><header><supplyingAgencyId><agencyIdType>ISIL</agencyIdType><agencyIdValue>${LENDER}</agencyIdValue></supplyingAgencyId><requestingAgencyId><agencyIdType>ISIL</agencyIdType><agencyIdValue>${OUR_ISIL}</agencyIdValue></requestingAgencyId><multipleItemRequestId></multipleItemRequestId><timestamp>2026-12-03T10:00:00Z</timestamp><requestingAgencyRequestId>R1</requestingAgencyRequestId><requestingAgencyAuthentication><accountId>${LENDER}</accountId><securityCode>${SECRET}</securityCode></requestingAgencyAuthentication></header></request></ISO18626Message>`;
    const refused = await post(request);
    expect(refused).toContain('<requestConfirmation>');
    expect(refused).toContain('<errorType>UnsupportedActionType</errorType>');
    expect(conformanceProblems(refused)).toEqual([]);
    expect(conformanceProblems(await post('<not-xml'))).toEqual([]);
    expect((await requestOf(orderId)).status).toBe('REQUEST_SENT_TO_PARTNER');
    expect(await count('iso18626_message')).toBe(before + 1); // only the authenticated request message is kept
  });

  it('ends an action FAILED with the error when the peer confirms it ERROR', async () => {
    const orderId = await newRequest();
    await lender('Loaned', orderId, { dueDate: '2027-03-01' });
    await simApi('POST', '/_sim/iso18626/peer', { errorNext: 1 });
    await take(orderId, 'RECEIVE');
    const failed = await eventually(async () => (await outbound(orderId)).find((a) => a.state === 'FAILED'), 30_000, 'the action FAILED');
    expect(failed.lastError).toContain('UnrecognisedDataValue: UnableToFindRequest (simulated)');
    expect((await requestOf(orderId)).sync_state).toBe('PUSH_FAILED');
  });

  it('sets up an ISO18626 peer profile (a ReShare library): every problem listed at once, the secret never answered', async () => {
    const profile = { code: 'RESHARE', name: 'ReShare peer', integrationType: 'RESOURCE_SHARING', system: 'ISO18626', libraryCode: 'DK-820099', resourceSharingLibraryCode: 'MAIN' };
    const bad = await api('POST', '/api/integration-profiles', { ...profile, baseUrl: 'https://x.example', iso18626: { endpointUrl: 'ftp://x.example', agencyId: 'DK-820099', sharedSecret: 'short' } });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toEqual(
      expect.arrayContaining([
        'baseUrl is not used by ISO18626 profiles: the peer endpoint is iso18626.endpointUrl',
        'iso18626.peerAgencyId is required for ISO18626 profiles',
        'iso18626.endpointUrl must be an http(s) URL',
        'iso18626.sharedSecret must be at least 12 characters long',
      ]),
    );
    const peerSecret = 'reshare-peer-secret';
    const created = await api('POST', '/api/integration-profiles', { ...profile, iso18626: { endpointUrl: `${world.sim.url}/iso18626/peer`, agencyId: 'dk-820099', peerAgencyId: 'US-RS0001', sharedSecret: peerSecret } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ system: 'ISO18626', baseUrl: null, iso18626: { agencyId: 'DK-820099', peerAgencyId: 'US-RS0001', sharedSecretSet: true } });
    expect(JSON.stringify(created.body)).not.toContain(peerSecret);
    expect((await api('POST', `/api/integration-profiles/${created.body.id}/run`)).status).toBe(409);
    const moved = await api('PATCH', `/api/integration-profiles/${created.body.id}`, { iso18626: { endpointUrl: 'http://127.0.0.2:9/iso18626' } });
    expect(moved.status).toBe(400);
    expect(moved.body.message[0]).toContain('iso18626.sharedSecret must be sent again');
    // The peer's messages are authenticated against this profile: only its agency id and secret pass.
    const from = (supplyingAgencyId: string, securityCode: string) =>
      simApi('POST', '/_sim/iso18626/send', { endpointUrl: endpoint, message: 'WillSupply', requestingAgencyRequestId: 'RS-1', supplyingAgencyId, requestingAgencyId: 'DK-820099', securityCode });
    expect((await from('US-RS0001', peerSecret)).body.errorValue).toMatch(/^UnableToFindRequest: no request of profile RESHARE/);
    expect((await from('US-RS0002', peerSecret)).body.errorValue).toBe('authentication failed');
  });

  it('under 30% faults (500s, timeouts, dropped confirmations, duplicate lender messages) loses nothing and applies each action once', async () => {
    const n = faultScale(3, 12);
    const orders: string[] = [];
    for (let i = 0; i < n; i++) orders.push(await newRequest());
    await simApi('DELETE', '/_sim/iso18626/received');
    expect((await simApi('POST', '/_sim/faults/iso18626', { failShare: 0.15, failStatus: 500, hangShare: 0.05, seed: 7 })).status).toBe(200);
    await simApi('POST', '/_sim/iso18626/peer', { dropShare: 0.1, seed: 7 });
    /** Each lender message twice (a duplicate delivery): the second changes nothing. */
    const twice = async (message: string, orderId: string, extra: Record<string, unknown> = {}) => {
      const first = await lender(message, orderId, { ...extra, retries: 5, baseDelayMs: 50 });
      expect(first.messageStatus).toBe('OK');
      expect((await lender(message, orderId, { ...extra, timestamp: first.timestamp })).messageStatus).toBe('OK');
    };
    await Promise.all(
      orders.map(async (orderId) => {
        await twice('WillSupply', orderId);
        await twice('Loaned', orderId, { dueDate: '2027-04-01' });
        await take(orderId, 'RECEIVE');
        await take(orderId, 'RETURN');
        await allSent(orderId, 2);
        await twice('LoanCompleted', orderId);
      }),
    );
    const faults = (await simApi('GET', '/_sim/faults/iso18626')).body.counts;
    const dropped = ((await simApi('GET', '/_sim/iso18626/received')).body as any[]).filter((m) => m.dropped).length;
    expect(faults.failed + faults.hung + dropped).toBeGreaterThan(0);
    for (const orderId of orders) {
      expect(await requestOf(orderId)).toMatchObject({ status: 'REQUEST_COMPLETED', due_date: '2027-04-01', sync_state: 'IN_SYNC' });
      expect((await peerApplied(orderId)).filter((a) => a !== 'StatusRequest')).toEqual(['Received', 'ShippedReturn']);
      const { id } = await requestOf(orderId);
      expect(await count(`request_event WHERE request_id = $1 AND type = 'ACTION_PUSHED'`, [id])).toBe(2);
      expect(await count(`iso18626_message WHERE request_id = $1 AND direction = 'IN'`, [id])).toBe(3);
    }
    await simApi('DELETE', '/_sim/faults/iso18626');
    await simApi('POST', '/_sim/iso18626/peer', { dropShare: 0 });
  });
});
