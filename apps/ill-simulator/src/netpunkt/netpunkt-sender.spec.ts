import { buildReceiptResponse } from '@illbridge/connectors/netpunkt';
import { createServer, IncomingHttpHeaders, Server } from 'http';
import { AddressInfo } from 'net';
import { sendReceipt } from './netpunkt-sender';

interface Answer {
  status: number;
  body: string;
}

interface ReceivedRequest {
  method: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A receipt endpoint that gives the answers in turn (the last one again when they run out). */
async function startEndpoint(answers: Answer[]): Promise<{ url: string; received: ReceivedRequest[]; close: () => Promise<void> }> {
  const received: ReceivedRequest[] = [];
  const server: Server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      received.push({ method: request.method!, headers: request.headers, body });
      const answer = answers[Math.min(received.length, answers.length) - 1];
      response.writeHead(answer.status, { 'Content-Type': 'text/xml; charset=utf-8' }).end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/netpunkt/receipt`, received, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

const ok = (message?: string): Answer => ({ status: 200, body: buildReceiptResponse('ok', message) });
const temporary: Answer = { status: 200, body: buildReceiptResponse('temporary_error_please_resend', 'database unavailable') };
const XML = '<receipt xmlns="http://oss.dbc.dk/ns/orderReceipt"/>';
const FAST = { retries: 5, baseDelayMs: 1 };

describe('sendReceipt', () => {
  let endpoint: Awaited<ReturnType<typeof startEndpoint>> | undefined;
  afterEach(async () => {
    await endpoint?.close();
    endpoint = undefined;
  });

  it('resends after temporary_error_please_resend until the endpoint answers ok: 3 attempts', async () => {
    endpoint = await startEndpoint([temporary, temporary, ok('queued')]);
    expect(await sendReceipt(endpoint.url, XML, FAST)).toEqual({ status: 'ok', message: 'queued', attempts: 3 });
    expect(endpoint.received).toHaveLength(3);
  });

  it('posts the receipt as text/xml with the SOAPAction of the receipt operation', async () => {
    endpoint = await startEndpoint([ok()]);
    await sendReceipt(endpoint.url, XML, FAST);
    expect(endpoint.received).toEqual([
      expect.objectContaining({
        method: 'POST',
        body: XML,
        headers: expect.objectContaining({ 'content-type': 'text/xml; charset=utf-8', soapaction: '"http://oss.dbc.dk/ns/orderReceipt/Receipt"' }),
      }),
    ]);
  });

  it.each([
    ['fatal_internal_error', 'authentication failed'],
    ['incomplete_request', 'orderReceipt/title is missing or empty'],
  ] as const)('stops at once on %s', async (status, message) => {
    endpoint = await startEndpoint([{ status: 200, body: buildReceiptResponse(status, message) }, ok()]);
    expect(await sendReceipt(endpoint.url, XML, FAST)).toEqual({ status, message, attempts: 1 });
    expect(endpoint.received).toHaveLength(1);
  });

  it('gives up after the retries, with the last answer', async () => {
    endpoint = await startEndpoint([temporary]);
    expect(await sendReceipt(endpoint.url, XML, { retries: 2, baseDelayMs: 1 })).toEqual({
      status: 'temporary_error_please_resend',
      message: 'database unavailable',
      attempts: 3,
    });
  });

  it('retries an HTTP 5xx without a receipt answer', async () => {
    endpoint = await startEndpoint([{ status: 503, body: 'Service Unavailable' }, ok()]);
    expect(await sendReceipt(endpoint.url, XML, FAST)).toEqual({ status: 'ok', message: null, attempts: 2 });
  });

  it('does not retry another HTTP error', async () => {
    endpoint = await startEndpoint([{ status: 404, body: 'Not Found' }, ok()]);
    expect(await sendReceipt(endpoint.url, XML, FAST)).toEqual({ status: 'http_error', message: 'HTTP 404', attempts: 1 });
  });

  it('does not retry a 200 that holds no receiptResponse', async () => {
    endpoint = await startEndpoint([{ status: 200, body: '<html>hello</html>' }, ok()]);
    expect(await sendReceipt(endpoint.url, XML, FAST)).toEqual({ status: 'unreadable_answer', message: 'the answer holds no receiptResponse', attempts: 1 });
  });

  it('retries when nothing listens, then reports the connection error', async () => {
    const closed = await startEndpoint([ok()]);
    await closed.close();
    const result = await sendReceipt(closed.url, XML, { retries: 2, baseDelayMs: 1 });
    expect(result).toEqual({ status: 'connection_error', message: expect.stringContaining('ECONNREFUSED'), attempts: 3 });
  });

  it('waits longer before each retry', async () => {
    endpoint = await startEndpoint([temporary, temporary, ok()]);
    const started = Date.now();
    await sendReceipt(endpoint.url, XML, { retries: 2, baseDelayMs: 100 });
    // 100 ms before the second attempt, 200 ms before the third.
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });
});
