import { buildReceiptResponse, parseReceipt } from '@illbridge/connectors/netpunkt';
import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createServer, Server } from 'http';
import { AddressInfo } from 'net';
import request from 'supertest';
import { NetpunktSimModule } from './netpunkt-sim.module';

/** A small receipt endpoint: checks the password, answers like netpunkt.md §4, remembers the uuids. */
async function startReceiptEndpoint(password: string): Promise<{ url: string; uuids: string[]; server: Server }> {
  const uuids: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const parsed = parseReceipt(body);
      let answer: string;
      if (!parsed.ok) answer = buildReceiptResponse('incomplete_request', parsed.problems.join('; '));
      else if (parsed.receipt.authenticationPassword !== password) answer = buildReceiptResponse('fatal_internal_error', 'authentication failed');
      else {
        uuids.push(parsed.receipt.orderReceiptUuid);
        answer = buildReceiptResponse('ok');
      }
      res.writeHead(200, { 'Content-Type': 'text/xml; charset=utf-8' }).end(answer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/netpunkt/receipt`, uuids, server };
}

describe('POST /_sim/netpunkt/send', () => {
  let app: INestApplication;
  let endpoint: Awaited<ReturnType<typeof startReceiptEndpoint>>;
  let body: Record<string, unknown>;

  beforeAll(async () => {
    endpoint = await startReceiptEndpoint('sesam');
    app = await NestFactory.create(NetpunktSimModule, { logger: false });
    await app.init();
    body = { endpointUrl: endpoint.url, password: 'sesam', requesterId: 'DK-820010', pickUpAgencyId: 'DK-820010', responderId: 'DK-710100', baseDelayMs: 1 };
  });

  afterAll(async () => {
    await app.close();
    await new Promise((resolve) => endpoint.server.close(resolve));
  });

  it('sends the receipt of a scenario and tells the answer, the order id and the uuid', async () => {
    const response = await request(app.getHttpServer()).post('/_sim/netpunkt/send').send({ ...body, scenario: 'full', orderId: '1234567890' }).expect(200);
    expect(response.body).toEqual({ status: 'ok', message: null, attempts: 1, orderId: '1234567890', orderReceiptUuid: expect.any(String) });
    expect(endpoint.uuids).toContain(response.body.orderReceiptUuid);
  });

  it.each([
    ['wrong-password', 'fatal_internal_error', 'authentication failed'],
    ['missing-title', 'incomplete_request', 'orderReceipt/title is missing or empty'],
  ])('tells what the endpoint answered to %s', async (scenario, status, message) => {
    const response = await request(app.getHttpServer()).post('/_sim/netpunkt/send').send({ ...body, scenario }).expect(200);
    expect(response.body).toMatchObject({ status, message, attempts: 1 });
  });

  it('lists every problem of a bad request', async () => {
    const response = await request(app.getHttpServer())
      .post('/_sim/netpunkt/send')
      .send({ endpointUrl: 'ftp://example.dk', scenario: 'resend', password: 'sesam', requesterId: '', pickUpAgencyId: 'DK-820010', retries: 11 })
      .expect(400);
    expect(response.body.code).toBe('VALIDATION_FAILED');
    expect(response.body.message).toEqual(
      expect.arrayContaining([
        'endpointUrl must be a URL address',
        'requesterId should not be empty',
        'responderId must be a string',
        'orderId must name the earlier order for the resend and replacement scenarios, and may not be empty',
        'retries must not be greater than 10',
      ]),
    );
  });

  it('refuses an unknown scenario', async () => {
    const response = await request(app.getHttpServer()).post('/_sim/netpunkt/send').send({ ...body, scenario: 'teapot' }).expect(400);
    expect(response.body.message).toEqual([expect.stringMatching(/^scenario must be one of the following values: minimal, full/)]);
  });
});
