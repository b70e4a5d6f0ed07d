import axios, { AxiosInstance } from 'axios';
import { LIBRIS_STATUSES } from '@illbridge/workflow/libris-status';
import { RunningSimulator, startSimulator } from '../simulator';

const SIGEL = 'Hig';
const API_KEY = 'nyckel-för-hig';

/** Every field of a request object (libris-ill-api.md §4). */
const REQUEST_FIELDS = [
  'request_id', 'lf_number', 'request_type', 'status', 'status_code', 'xstatus', 'xstatus_code', 'local_status', 'local_status_code',
  'last_modified', 'external_id', 'arrival_date', 'sign_date', 'due_date', 'renewal_date', 'renewal_count', 'return_date', 'sendback_date',
  'delivery_type', 'delivery_type_code', 'processing_time', 'processing_time_code', 'media_type', 'media_type_code', 'recipient_count',
  'bib_id', 'isbn_issn', 'author', 'title', 'place_of_publication', 'publisher', 'year', 'imprint', 'author_of_article', 'title_of_article',
  'volume_designation', 'pages', 'journal_article', 'message', 'user', 'user_id', 'operator', 'active_library', 'requesting_library',
  'receiving_library', 'libris_enduser_request_id', 'enduser_id', 'end_user', 'recipients',
].sort();

type Row = Record<string, any>;

let simulator: RunningSimulator;
let http: AxiosInstance;

const libris = (path: string, apiKey: string | null = API_KEY, params?: Record<string, string>) =>
  http.get(`/libris/api/illrequests/${path}`, { params, headers: apiKey === null ? {} : { 'api-key': apiKey } });
const outgoing = (start_date: string, end_date: string, sigel = SIGEL) => libris(`${encodeURIComponent(sigel)}/outgoing`, API_KEY, { start_date, end_date });
const addRequest = async (created: string, record: Row = {}): Promise<Row> => {
  const response = await http.post('/_sim/libris/requests', { sigel: SIGEL, created, record });
  expect(response.status).toBe(201);
  return response.data;
};
const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const postAction = (id: string, fields: Record<string, string>) =>
  http.post(`/libris/api/illrequests/${SIGEL}/${id}`, form(fields), { headers: { 'api-key': API_KEY, 'content-type': 'application/x-www-form-urlencoded' } });

beforeAll(async () => {
  simulator = await startSimulator({ logLevels: false });
  http = axios.create({ baseURL: simulator.url, validateStatus: () => true, timeout: 5000 });
});

afterAll(() => simulator.close());

beforeEach(async () => {
  expect((await http.delete('/_sim/libris')).status).toBe(204);
  expect((await http.delete('/_sim/faults/libris')).status).toBe(200);
  expect((await http.post('/_sim/libris/keys', { sigel: SIGEL, apiKey: API_KEY })).status).toBe(204);
});

it('answers GET /health', async () => {
  const response = await http.get('/health');
  expect(response.status).toBe(200);
  expect(response.data).toEqual({ status: 'ok' });
});

describe('api-key', () => {
  it.each([
    ['missing', null, 'api-key header is missing'],
    ['wrong', 'fel-nyckel', 'invalid api-key for library Hig'],
  ])('refuses a %s key with 401 and a Libris error body', async (_case, apiKey, error) => {
    const response = await libris(`${SIGEL}/outgoing`, apiKey, { start_date: '2025-03-01', end_date: '2025-03-31' });
    expect(response.status).toBe(401);
    expect(response.data).toEqual({ error });
  });

  it('holds one key per sigel, case-sensitive', async () => {
    await http.post('/_sim/libris/keys', { sigel: 'Gk', apiKey: 'gk-key' });
    expect((await libris('Gk/incoming', API_KEY)).status).toBe(401);
    expect((await libris('Gk/incoming', 'gk-key')).status).toBe(200);
    expect((await libris('hig/incoming', API_KEY)).status).toBe(401);
  });

  it('refuses a bad body on the key route with every problem listed', async () => {
    const response = await http.post('/_sim/libris/keys', { sigel: '' });
    expect(response.status).toBe(400);
    expect(response.data).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.arrayContaining(['sigel should not be empty', 'apiKey must be a string']) });
  });
});

describe('outgoing', () => {
  it('serves the requests created in the window, both ends included, in the list envelope', async () => {
    const before = await addRequest('2025-02-28');
    const first = await addRequest('2025-03-01', { title: 'Röda rummet' });
    const middle = await addRequest('2025-03-15');
    const last = await addRequest('2025-03-31');
    const after = await addRequest('2025-04-01');
    const response = await outgoing('2025-03-01', '2025-03-31');
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.data).toEqual({
      data_source: 'illse', data_type: 'ill_requests', result_type: 'outgoing', library_code: SIGEL, count: 3, ill_requests: [first, middle, last],
    });
    expect(response.data.ill_requests.map((request: Row) => request.lf_number)).not.toContain(before.lf_number);
    expect(response.data.ill_requests.map((request: Row) => request.lf_number)).not.toContain(after.lf_number);
  });

  it('takes a window of exactly 31 days and refuses 32 with 400 "date interval too long"', async () => {
    expect((await outgoing('2025-01-01', '2025-01-31')).status).toBe(200);
    const response = await outgoing('2025-01-01', '2025-02-01');
    expect(response.status).toBe(400);
    expect(response.data).toEqual({ error: 'date interval too long' });
  });

  it.each([
    ['2025-02-30', '2025-03-01', 'start_date and end_date must be dates (YYYY-MM-DD)'],
    ['2025-03-01', '', 'start_date and end_date must be dates (YYYY-MM-DD)'],
    ['2025-03-02', '2025-03-01', 'end_date is before start_date'],
  ])('refuses the window %s – %s', async (start, end, error) => {
    const response = await outgoing(start, end);
    expect(response.status).toBe(400);
    expect(response.data).toEqual({ error });
  });

  it('serves only the requests of the sigel asked for', async () => {
    await addRequest('2025-03-01');
    await http.post('/_sim/libris/keys', { sigel: 'Gk', apiKey: API_KEY });
    expect((await outgoing('2025-03-01', '2025-03-01', 'Gk')).data).toMatchObject({ library_code: 'Gk', count: 0, ill_requests: [] });
  });

  it('serves incoming as an empty list', async () => {
    await addRequest('2025-03-01');
    expect((await libris(`${SIGEL}/incoming`)).data).toMatchObject({ result_type: 'incoming', count: 0, ill_requests: [] });
  });
});

describe('one request', () => {
  it('is found by LF number', async () => {
    const request = await addRequest('2025-11-20', { title: 'Gösta Berlings saga' });
    const response = await libris(`${SIGEL}/${encodeURIComponent(request.lf_number)}`);
    expect(response.status).toBe(200);
    expect(response.data).toMatchObject({ count: 1, ill_requests: [request] });
  });

  it('refuses a read by request_id (as public clients never make one), and logs the refusal', async () => {
    const request = await addRequest('2025-11-20');
    await http.delete('/_sim/libris/calls');
    const response = await libris(`${SIGEL}/${request.request_id}`);
    expect(response.status).toBe(400);
    expect(response.data).toEqual({ error: `a request is read by its LF number, not by request_id (${request.request_id})` });
    expect((await http.get('/_sim/libris/calls')).data.calls).toMatchObject([{ method: 'GET', path: `/libris/api/illrequests/${SIGEL}/${request.request_id}`, status: 400 }]);
  });

  it('gives an empty envelope for an unknown id', async () => {
    const response = await libris(`${SIGEL}/Hig-251120-9999`);
    expect(response.status).toBe(200);
    expect(response.data).toMatchObject({ count: 0, ill_requests: [] });
  });
});

describe('form actions', () => {
  const chain = [
    { library_code: 'Gk', is_active_library: true },
    { library_code: 'L', is_active_library: false },
  ];

  it('marks a request read when the timestamp is current, and moves last_modified on', async () => {
    const request = await addRequest('2025-11-20', { last_modified: '1763634000' });
    const response = await postAction(request.lf_number, { action: 'read', timestamp: '1763634000' });
    expect(response.status).toBe(200);
    expect(response.data).toMatchObject({ update_action: 'read', update_success: true, count: 1 });
    expect(response.data.ill_requests[0]).toMatchObject({ xstatus: 'Läst', xstatus_code: '2' });
    expect(Number(response.data.ill_requests[0].last_modified)).toBeGreaterThan(1763634000);
  });

  it('refuses a stale timestamp and changes nothing', async () => {
    const request = await addRequest('2025-11-20', { last_modified: '1763634000' });
    const response = await postAction(request.lf_number, { action: 'read', timestamp: '1763630000' });
    expect(response.status).toBe(200);
    expect(response.data).toMatchObject({ update_success: false, update_message: expect.stringContaining('1763634000') });
    expect((await libris(`${SIGEL}/${request.lf_number}`)).data.ill_requests[0]).toEqual(request);
  });

  it('records a delivery by the active lender', async () => {
    const request = await addRequest('2025-11-20', { recipients: chain, active_library: 'Gk' });
    const response = await postAction(request.request_id, { action: 'response', response_id: '9', added_response: 'Skickad med post', may_reserve: '0', timestamp: request.last_modified });
    expect(response.data.update_success).toBe(true);
    const updated = response.data.ill_requests[0];
    expect(updated).toMatchObject({ status: 'Levererad', status_code: '10', active_library: 'Gk' });
    expect(updated.recipients[0]).toMatchObject({ response_id: '9', response: 'Levererad: Skickad med post', response_date: expect.stringMatching(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/) });
  });

  it('passes a refused request on to the next lender, and answers "Negativt svar" after the last', async () => {
    const request = await addRequest('2025-11-20', { recipients: chain, active_library: 'Gk' });
    const forwarded = (await postAction(request.lf_number, { action: 'response', response_id: '4', timestamp: request.last_modified })).data.ill_requests[0];
    expect(forwarded).toMatchObject({ status: 'Remitterad', status_code: '2', active_library: 'L' });
    expect(forwarded.recipients.map((lender: Row) => lender.is_active_library)).toEqual([false, true]);
    const refused = (await postAction(request.lf_number, { action: 'response', response_id: '3', timestamp: forwarded.last_modified })).data.ill_requests[0];
    expect(refused).toMatchObject({ status: 'Negativt svar', status_code: '6', active_library: 'L' });
  });

  it('refuses an unknown action with 400', async () => {
    const request = await addRequest('2025-11-20');
    const response = await postAction(request.lf_number, { action: 'delete', timestamp: request.last_modified });
    expect(response.status).toBe(400);
    expect(response.data).toEqual({ error: 'action must be one of: read, response' });
  });
});

describe('generated data', () => {
  const generate = (body: Row) => http.post('/_sim/libris/generate', { sigel: SIGEL, count: 400, from: '2025-01-01', to: '2025-06-30', seed: 7, ...body });

  it('creates realistic Swedish requests of the full shape, spread over the range', async () => {
    const response = await generate({ unknownSigelShare: 0.2 });
    expect(response.status).toBe(201);
    const requests: Row[] = response.data.requests;
    expect(requests).toHaveLength(400);
    for (const request of requests) {
      expect(Object.keys(request).sort()).toEqual(REQUEST_FIELDS);
      expect(request.lf_number).toMatch(/^Hig-25(0[1-6])\d{2}-\d{4}$/);
      expect(request.request_id).toMatch(/^\d+$/);
      expect(request.last_modified).toMatch(/^\d{10}$/);
      expect(request.requesting_library).toBe(SIGEL);
      expect(request.status_code).toMatch(/^\d+$/);
      expect(request.recipient_count).toBe(String(request.recipients.length));
    }
    expect(new Set(requests.map((request) => request.lf_number)).size).toBe(400);
    expect(new Set(requests.map((request) => request.status))).toEqual(new Set(LIBRIS_STATUSES));
    expect(new Set(requests.filter((request) => request.status === 'Levererad').map((request) => request.media_type))).toEqual(new Set(['Lån', 'Kopia']));
    const text = JSON.stringify(requests);
    for (const letter of ['å', 'ä', 'ö', 'Å', 'Ä', 'Ö']) expect(text).toContain(letter);
    expect(requests.filter((request) => request.title === '').length).toBeGreaterThan(0);
    expect(requests.filter((request) => request.author === '' || request.user === '').length).toBeGreaterThan(0);
    const lenders = requests.flatMap((request) => request.recipients.map((lender: Row) => lender.library_code));
    expect(lenders.filter((code) => ['Qxa', 'Ykk', 'Zzq'].includes(code)).length).toBeGreaterThan(40);
  });

  it('keeps status_code and the LF number consistent with the status and the creation day', async () => {
    const requests: Row[] = (await generate({})).data.requests;
    const codes = new Map(requests.map((request) => [request.status, request.status_code]));
    expect(codes.get('Levererad')).toBe('10');
    expect(codes.get('Negativt svar')).toBe('6');
    expect(codes.get('Kan reserveras')).toBe('7');
    expect(new Set(codes.values()).size).toBe(codes.size);
    const windowed = (await outgoing('2025-02-01', '2025-02-28')).data.ill_requests as Row[];
    expect(windowed.length).toBeGreaterThan(0);
    expect(windowed.every((request) => /^Hig-2502\d{2}-\d{4}$/.test(request.lf_number))).toBe(true);
    expect(windowed).toHaveLength(requests.filter((request) => request.lf_number.startsWith('Hig-2502')).length);
  });

  it('repeats exactly for the same seed and differs for another', async () => {
    const first = (await generate({ count: 50 })).data.requests as Row[];
    await http.delete('/_sim/libris');
    const again = (await generate({ count: 50 })).data.requests as Row[];
    await http.delete('/_sim/libris');
    const other = (await generate({ count: 50, seed: 8 })).data.requests as Row[];
    expect(again).toEqual(first);
    expect(other).not.toEqual(first);
  });

  it('can name another requesting library, whose sigel then prefixes the LF numbers', async () => {
    const requests = (await generate({ count: 5, requestingLibrary: 'Okänt' })).data.requests as Row[];
    expect(requests.every((request) => request.requesting_library === 'Okänt' && request.lf_number.startsWith('Okänt-'))).toBe(true);
    expect((await http.get(`/_sim/libris/requests/${SIGEL}`)).data.count).toBe(5);
  });

  it('refuses a range that ends before it starts', async () => {
    const response = await generate({ from: '2025-06-30', to: '2025-01-01' });
    expect(response.status).toBe(400);
    expect(response.data.message).toEqual(['from must not be after to']);
  });
});

describe('control routes', () => {
  it('fills in the defaults of a partial record', async () => {
    const request = await addRequest('2025-11-20', { title: 'Doktor Glas', status: 'Levererad', media_type: 'Kopia' });
    expect(Object.keys(request).sort()).toEqual(REQUEST_FIELDS);
    expect(request).toMatchObject({
      lf_number: 'Hig-251120-0001', requesting_library: SIGEL, title: 'Doktor Glas', status: 'Levererad', status_code: '10',
      media_type: 'Kopia', media_type_code: '2', bib_id: `BIB${request.request_id}`, recipients: [], recipient_count: '0',
    });
    expect((await addRequest('2025-11-20')).lf_number).toBe('Hig-251120-0002');
  });

  it('completes partial lenders and takes the first as active', async () => {
    const request = await addRequest('2025-11-20', { recipients: [{ library_code: 'Gk' }, { library_code: 'Um' }], receiving_library: { name: 'Högskolan i Gävle' } });
    expect(request).toMatchObject({ active_library: 'Gk', recipient_count: '2', receiving_library: { library_code: SIGEL, name: 'Högskolan i Gävle', city: '' } });
    expect(request.recipients[1]).toEqual({
      library_id: '', library_code: 'Um', is_active_library: false, location: '', response_id: '', response: '', response_date: '', reserve: false,
    });
  });

  it('refuses a second request with the same LF number', async () => {
    await addRequest('2025-11-20', { lf_number: 'Hig-251120-0007' });
    const response = await http.post('/_sim/libris/requests', { sigel: SIGEL, record: { lf_number: 'Hig-251120-0007' } });
    expect(response.status).toBe(409);
  });

  it('changes a request: status_code follows the status, last_modified moves on', async () => {
    const request = await addRequest('2025-11-20', { last_modified: '1763634000' });
    const response = await http.patch(`/_sim/libris/requests/${SIGEL}/${request.lf_number}`, { status: 'Levererad' });
    expect(response.status).toBe(200);
    expect(response.data).toMatchObject({ status: 'Levererad', status_code: '10' });
    expect(Number(response.data.last_modified)).toBeGreaterThan(1763634000);
    expect((await libris(`${SIGEL}/${request.lf_number}`)).data.ill_requests[0]).toEqual(response.data);
  });

  it('answers 404 for a change to an unknown request and 400 for an empty change', async () => {
    const request = await addRequest('2025-11-20');
    expect((await http.patch(`/_sim/libris/requests/${SIGEL}/Hig-000000-0000`, { status: 'Levererad' })).status).toBe(404);
    expect((await http.patch(`/_sim/libris/requests/${SIGEL}/${request.lf_number}`, {})).status).toBe(400);
  });

  it('serves a raw record exactly as given, wrong types and all', async () => {
    const raw = { lf_number: 'Hig-250301-0001', title: 12345, recipients: 'Gk' };
    expect((await http.post('/_sim/libris/raw', { sigel: SIGEL, created: '2025-03-01', record: raw })).status).toBe(204);
    expect((await outgoing('2025-03-01', '2025-03-01')).data.ill_requests).toEqual([raw]);
  });

  it('forgets keys and requests on reset', async () => {
    await addRequest('2025-03-01');
    await http.delete('/_sim/libris');
    expect((await http.get(`/_sim/libris/requests/${SIGEL}`)).data).toEqual({ sigel: SIGEL, count: 0, requests: [] });
    expect((await outgoing('2025-03-01', '2025-03-01')).status).toBe(401);
  });

  it('logs every API call with its path and query, refused ones too', async () => {
    await outgoing('2025-01-01', '2025-01-31');
    await outgoing('2025-01-01', '2025-03-31');
    await libris(`${SIGEL}/incoming`, null);
    const { data } = await http.get('/_sim/libris/calls');
    expect(data.count).toBe(3);
    expect(data.calls.map(({ method, path, query, status }: Row) => ({ method, path, query, status }))).toEqual([
      { method: 'GET', path: '/libris/api/illrequests/Hig/outgoing', query: { start_date: '2025-01-01', end_date: '2025-01-31' }, status: 200 },
      { method: 'GET', path: '/libris/api/illrequests/Hig/outgoing', query: { start_date: '2025-01-01', end_date: '2025-03-31' }, status: 400 },
      { method: 'GET', path: '/libris/api/illrequests/Hig/incoming', query: {}, status: 401 },
    ]);
    expect(data.maxPerSecond).toBe(3);
    await http.delete('/_sim/libris/calls');
    expect((await http.get('/_sim/libris/calls')).data).toEqual({ count: 0, maxPerSecond: 0, calls: [] });
  });

  it('counts the most calls received within one second', async () => {
    for (let call = 0; call < 3; call++) {
      await libris(`${SIGEL}/incoming`);
      await new Promise((resolve) => setTimeout(resolve, 400));
    }
    // Arrivals about 0, 0.4 and 0.8 s: all three within one second; then one 1.2 s later keeps the most at 3.
    await new Promise((resolve) => setTimeout(resolve, 400));
    await libris(`${SIGEL}/incoming`);
    expect((await http.get('/_sim/libris/calls')).data).toMatchObject({ count: 4, maxPerSecond: 3 });
  });
});

describe('faults', () => {
  const incoming = () => libris(`${SIGEL}/incoming`);
  const setFaults = async (settings: Row) => {
    const response = await http.post('/_sim/faults/libris', settings);
    expect(response.status).toBe(200);
    return response.data;
  };

  it('fails the next N calls with the given status, then serves again', async () => {
    await setFaults({ failNext: 2, failStatus: 503, retryAfterSeconds: 1 });
    const statuses = [];
    for (let call = 0; call < 3; call++) statuses.push(await incoming());
    expect(statuses.map((response) => response.status)).toEqual([503, 503, 200]);
    expect(statuses[0].headers['retry-after']).toBe('1');
    const { data } = await http.get('/_sim/faults/libris');
    expect(data).toMatchObject({ system: 'libris', settings: { failNext: 0 }, counts: { calls: 3, failed: 2, passed: 1 } });
  });

  it('fails a share of calls, the same ones for the same seed', async () => {
    const run = async () => {
      await http.delete('/_sim/faults/libris');
      await setFaults({ failShare: 0.5, failStatus: 500, seed: 42 });
      const statuses: number[] = [];
      for (let call = 0; call < 40; call++) statuses.push((await incoming()).status);
      return statuses;
    };
    const first = await run();
    expect(await run()).toEqual(first);
    const failures = first.filter((status) => status === 500).length;
    expect(failures).toBeGreaterThan(10);
    expect(failures).toBeLessThan(30);
    expect(first.filter((status) => status !== 500).every((status) => status === 200)).toBe(true);
  });

  it('answers the next call with a body that is not JSON', async () => {
    await setFaults({ malformedNext: 1 });
    const broken = await http.get(`/libris/api/illrequests/${SIGEL}/incoming`, { headers: { 'api-key': API_KEY }, responseType: 'text', transformResponse: (body) => body });
    expect(broken.status).toBe(200);
    expect(() => JSON.parse(broken.data)).toThrow(SyntaxError);
    expect((await incoming()).data).toMatchObject({ count: 0 });
  });

  it('answers the next call with an HTML login page (200, text/html)', async () => {
    await setFaults({ htmlNext: 1 });
    const page = await http.get(`/libris/api/illrequests/${SIGEL}/incoming`, { headers: { 'api-key': API_KEY }, responseType: 'text', transformResponse: (body) => body });
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.data).toMatch(/^<!DOCTYPE html>/);
    expect((await incoming()).data).toMatchObject({ count: 0 });
    expect((await http.get('/_sim/faults/libris')).data.counts).toMatchObject({ calls: 2, html: 1, passed: 1 });
  });

  it('hangs the next call until the client gives up', async () => {
    await setFaults({ hangNext: 1 });
    await expect(http.get(`/libris/api/illrequests/${SIGEL}/incoming`, { headers: { 'api-key': API_KEY }, timeout: 300 })).rejects.toMatchObject({ code: 'ECONNABORTED' });
    expect((await incoming()).status).toBe(200);
    expect((await http.get('/_sim/faults/libris')).data.counts).toMatchObject({ calls: 2, hung: 1, passed: 1 });
  });

  it('adds latency to every call', async () => {
    await setFaults({ latencyMs: 150 });
    const started = Date.now();
    expect((await incoming()).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('leaves the control routes alone', async () => {
    await setFaults({ failNext: 5 });
    expect((await http.get(`/_sim/libris/requests/${SIGEL}`)).status).toBe(200);
    expect((await http.get('/health')).status).toBe(200);
    expect((await http.get('/_sim/faults/libris')).data.settings.failNext).toBe(5);
  });

  it('resets to no faults and zero counts', async () => {
    await setFaults({ failNext: 3, latencyMs: 10 });
    await incoming();
    const { data } = await http.delete('/_sim/faults/libris');
    expect(data.settings).toMatchObject({ failNext: 0, latencyMs: 0, failShare: 0, hangNext: 0, malformedNext: 0 });
    expect(data.counts).toEqual({ calls: 0, passed: 0, failed: 0, hung: 0, malformed: 0, html: 0 });
    expect((await incoming()).status).toBe(200);
  });

  it('refuses unknown systems and bad settings', async () => {
    expect((await http.get('/_sim/faults/nosuchsystem')).status).toBe(404);
    const response = await http.post('/_sim/faults/libris', { failShare: 2, failStatus: 200, hangNext: -1, surprise: true });
    expect(response.status).toBe(400);
    expect(response.data.message).toEqual(
      expect.arrayContaining(['failShare must not be greater than 1', 'failStatus must not be less than 400', 'hangNext must not be less than 0', 'property surprise should not exist']),
    );
  });
});
