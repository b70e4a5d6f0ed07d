import axios, { AxiosInstance } from 'axios';
import { createServer, Server } from 'http';
import type { AddressInfo } from 'net';
import { RunningSimulator, startSimulator } from '../../../../apps/ill-simulator/src/simulator';
import { ExternalSystemError } from '../types';
import { LibrisClient, LibrisClientOptions } from './libris-client';

const SIGEL = 'Hig';
const API_KEY = 'hig-test-key';
const FAST_RETRY = { attempts: 4, baseDelayMs: 1, maxDelayMs: 10 };

let simulator: RunningSimulator;
let control: AxiosInstance;
let requestedUrls: string[];

function client(options: Partial<LibrisClientOptions> = {}): LibrisClient {
  return new LibrisClient({
    baseUrl: `${simulator.url}/libris/api`,
    sigel: SIGEL,
    apiKey: API_KEY,
    timeoutMs: 1000,
    retry: FAST_RETRY,
    onRequest: (url) => requestedUrls.push(url),
    maxRequestsPerSecond: Infinity,
    ...options,
  });
}

async function failure(call: Promise<unknown>): Promise<ExternalSystemError> {
  const error = await call.then(
    () => undefined,
    (caught) => caught,
  );
  expect(error).toBeInstanceOf(ExternalSystemError);
  return error;
}

async function injectFaults(settings: Record<string, unknown>): Promise<void> {
  expect((await control.post('/_sim/faults/libris', settings)).status).toBe(200);
}

/** A server answering every call with the given body, for answers the simulator never gives. */
async function serveBody(body: string): Promise<{ url: string; server: Server }> {
  const server = createServer((_request, response) => response.writeHead(200, { 'content-type': 'application/json' }).end(body));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

beforeAll(async () => {
  simulator = await startSimulator({ logLevels: false });
  control = axios.create({ baseURL: simulator.url, validateStatus: () => true });
});

afterAll(() => simulator.close());

beforeEach(async () => {
  requestedUrls = [];
  await control.delete('/_sim/libris');
  await control.delete('/_sim/faults/libris');
  await control.post('/_sim/libris/keys', { sigel: SIGEL, apiKey: API_KEY });
});

describe('listOutgoing', () => {
  it('returns the requests of the window, as Libris sent them', async () => {
    const generated = (await control.post('/_sim/libris/generate', { sigel: SIGEL, count: 60, from: '2025-10-01', to: '2025-11-30', seed: 3 })).data.requests;
    const november = generated.filter((request: { lf_number: string }) => request.lf_number.startsWith('Hig-2511'));
    expect(november.length).toBeGreaterThan(0);
    await expect(client().listOutgoing('2025-11-01', '2025-11-30')).resolves.toEqual(november);
    expect(requestedUrls).toEqual([`${simulator.url}/libris/api/illrequests/Hig/outgoing?start_date=2025-11-01&end_date=2025-11-30`]);
  });

  it('returns an empty list for a window without requests', async () => {
    await expect(client().listOutgoing('2020-01-01', '2020-01-31')).resolves.toEqual([]);
  });

  it('encodes the sigel in the path', async () => {
    const sigel = 'Gä 1/2';
    await control.post('/_sim/libris/keys', { sigel, apiKey: API_KEY });
    await control.post('/_sim/libris/requests', { sigel, created: '2025-11-20', record: { title: 'Hemsöborna' } });
    const requests = await client({ sigel }).listOutgoing('2025-11-20', '2025-11-20');
    expect(requests).toMatchObject([{ title: 'Hemsöborna', requesting_library: sigel }]);
    expect(requestedUrls[0]).toContain('/illrequests/G%C3%A4%201%2F2/outgoing?');
  });

  it('reports a 40-day window, which Libris refuses with 400, as PERMANENT without retrying', async () => {
    const error = await failure(client().listOutgoing('2025-01-01', '2025-02-09'));
    expect(error).toMatchObject({ kind: 'PERMANENT', status: 400, message: 'Libris refused the call (HTTP 400: date interval too long)' });
    expect(requestedUrls).toHaveLength(1);
  });
});

describe('getByLfNumber', () => {
  it('reads one request at illrequests/<sigel>/<lf_number>', async () => {
    const added = (await control.post('/_sim/libris/requests', { sigel: SIGEL, created: '2025-11-20', record: { title: 'Röda rummet' } })).data;
    await expect(client().getByLfNumber(added.lf_number)).resolves.toEqual(added);
    expect(requestedUrls).toEqual([`${simulator.url}/libris/api/illrequests/Hig/${added.lf_number}`]);
  });

  it('returns null for an id Libris does not know (an empty envelope)', async () => {
    await expect(client().getByLfNumber('Hig-251120-9999')).resolves.toBeNull();
  });

  it.each([400, 404])('returns null when Libris answers an unknown id with %s', async (status) => {
    await injectFaults({ failNext: 1, failStatus: status });
    await expect(client().getByLfNumber('Hig-251120-9999')).resolves.toBeNull();
    expect(requestedUrls).toHaveLength(1);
  });
});

describe('failures', () => {
  it('reports a wrong key as AUTHENTICATION after one call, never retried', async () => {
    const error = await failure(client({ apiKey: 'fel-nyckel' }).listOutgoing('2025-11-01', '2025-11-30'));
    expect(error).toMatchObject({ kind: 'AUTHENTICATION', status: 401, message: 'Libris refused the credentials (HTTP 401: invalid api-key for library Hig)' });
    expect(requestedUrls).toHaveLength(1);
    expect((await control.get('/_sim/libris/calls')).data.count).toBe(1);
  });

  it('sends no api-key header when the profile has no key', async () => {
    const error = await failure(client({ apiKey: undefined }).getByLfNumber('Hig-251120-0001'));
    expect(error).toMatchObject({ kind: 'AUTHENTICATION', message: 'Libris refused the credentials (HTTP 401: api-key header is missing)' });
  });

  it('retries 503 answers and succeeds on the third call', async () => {
    await injectFaults({ failNext: 2, failStatus: 503 });
    await expect(client().listOutgoing('2025-11-01', '2025-11-30')).resolves.toEqual([]);
    expect(requestedUrls).toHaveLength(3);
    expect((await control.get('/_sim/faults/libris')).data.counts).toMatchObject({ calls: 3, failed: 2, passed: 1 });
  });

  it('retries a 429 after the pause Retry-After asks for', async () => {
    await injectFaults({ failNext: 1, failStatus: 429, retryAfterSeconds: 0 });
    await expect(client().getByLfNumber('Hig-251120-0001')).resolves.toBeNull();
    expect(requestedUrls).toHaveLength(2);
  });

  it('gives up after 4 attempts with a TRANSIENT error that says why', async () => {
    await injectFaults({ failShare: 1, failStatus: 500 });
    const error = await failure(client().listOutgoing('2025-11-01', '2025-11-30'));
    expect(error).toMatchObject({ kind: 'TRANSIENT', status: 500, message: 'Libris unreachable after 4 attempts: HTTP 500: simulated failure (HTTP 500)' });
    expect(requestedUrls).toHaveLength(4);
  });

  it('retries calls that time out', async () => {
    await injectFaults({ hangNext: 2 });
    await expect(client({ timeoutMs: 150 }).listOutgoing('2025-11-01', '2025-11-30')).resolves.toEqual([]);
    expect(requestedUrls).toHaveLength(3);
    expect((await control.get('/_sim/faults/libris')).data.counts).toMatchObject({ hung: 2, passed: 1 });
  });

  it('reports a Libris that never answers as TRANSIENT after the last attempt', async () => {
    await injectFaults({ hangShare: 1 });
    const error = await failure(client({ timeoutMs: 100, retry: { ...FAST_RETRY, attempts: 2 } }).getByLfNumber('Hig-251120-0001'));
    expect(error.kind).toBe('TRANSIENT');
    expect(error.message).toMatch(/^Libris unreachable after 2 attempts: timeout of 100ms exceeded/);
  });

  it('reports a refused connection as TRANSIENT after retrying', async () => {
    const { url, server } = await serveBody('{}');
    await new Promise((resolve) => server.close(resolve));
    const error = await failure(client({ baseUrl: url }).listOutgoing('2025-11-01', '2025-11-30'));
    expect(error.kind).toBe('TRANSIENT');
    expect(error.message).toMatch(/^Libris unreachable after 4 attempts: .*ECONNREFUSED/);
    expect(requestedUrls).toHaveLength(4);
  });

  it('reports a body that is not JSON as UNEXPECTED_RESPONSE with its first characters, not retried', async () => {
    await injectFaults({ malformedNext: 1 });
    const error = await failure(client().listOutgoing('2025-11-01', '2025-11-30'));
    expect(error).toMatchObject({
      kind: 'UNEXPECTED_RESPONSE',
      status: 200,
      message: 'Libris answered something other than the expected JSON (the body is not JSON; HTTP 200, application/json; charset=utf-8), starting "{\\"ill_requests\\": [{\\"request_id\\": \\""',
    });
    expect(requestedUrls).toHaveLength(1);
  });

  it('reports an HTML login page answered with 200 as UNEXPECTED_RESPONSE', async () => {
    await injectFaults({ htmlNext: 1 });
    const error = await failure(client().getByLfNumber('Hig-251120-0001'));
    expect(error.kind).toBe('UNEXPECTED_RESPONSE');
    expect(error.message).toMatch(/^Libris answered something other than the expected JSON \(the body is not JSON; HTTP 200, text\/html; charset=utf-8\), starting "<!DOCTYPE html>\\n<html lang=\\"sv\\"><head><title>Logga in<\/title>/);
    expect(requestedUrls).toHaveLength(1);
  });

  it('shows the first 200 characters of a long unexpected answer', async () => {
    const { url, server } = await serveBody(`Service temporarily unavailable ${'x'.repeat(1000)}`);
    try {
      const error = await failure(client({ baseUrl: url }).listOutgoing('2025-11-01', '2025-11-30'));
      expect(error.message).toMatch(new RegExp(`starting "Service temporarily unavailable x{168}…"$`));
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it.each([
    ['{"data_source": "illse", "count": 0}'],
    ['{"ill_requests": {"0": {}}}'],
    ['{"error": "Tjänsten är tillfälligt stängd"}'],
    ['[]'],
    ['null'],
  ])('reports JSON that is not a list envelope (%s) as UNEXPECTED_RESPONSE', async (body) => {
    const { url, server } = await serveBody(body);
    try {
      const error = await failure(client({ baseUrl: url }).listOutgoing('2025-11-01', '2025-11-30'));
      expect(error).toMatchObject({
        kind: 'UNEXPECTED_RESPONSE',
        message: `Libris answered something other than the expected JSON (no "ill_requests" array; HTTP 200, application/json), starting ${JSON.stringify(body)}`,
      });
      expect(requestedUrls).toHaveLength(1);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('pace', () => {
  it('makes at most maxRequestsPerSecond calls a second, however many are asked for at once', async () => {
    const paced = client({ maxRequestsPerSecond: 8 });
    await control.delete('/_sim/libris/calls');
    const pacedStart = Date.now();
    await Promise.all(Array.from({ length: 9 }, (_, i) => paced.getByLfNumber(`Hig-251120-${String(i).padStart(4, '0')}`)));
    expect(Date.now() - pacedStart).toBeGreaterThanOrEqual(1000); // 8 intervals of 125 ms
    const log = (await control.get('/_sim/libris/calls')).data;
    expect(log.count).toBe(9);
    // Sent 125 ms apart; arrivals can bunch by the network's jitter, so the server may see one more in a second.
    expect(log.maxPerSecond).toBeLessThanOrEqual(9);
  });

  it('paces 2 calls a second by default', () => {
    expect(new LibrisClient({ baseUrl: 'http://127.0.0.1:1', sigel: SIGEL }).pacer.perSecond).toBe(2);
  });
});
