import { INestApplication } from '@nestjs/common';
import express from 'express';
import { createServer } from 'http';
import { AddressInfo } from 'net';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { Client } from 'pg';
import request from 'supertest';
import { AppConfig, sha256 } from '@illbridge/common';
import { createTestDatabase, TEST_ADMIN_KEY, TestDatabase, testConfig, wipeQueuePrefix } from '@illbridge/testing';
import { freePort } from '../../../../scripts/lib/services';
import { createProfileConfigApp } from '../../../profile-config/src/main';
import { createReportingApp } from '../main';
import { consoleProxy } from './console-server';
import { consoleSettings } from './console-settings';

/** What reporting adds for the staff console: GET /api/me, sorting and the syncState facet of the request lists,
 *  the console's files at /console/ (deep links answered with index.html) and the same-origin proxy to
 *  profile-config and action-push (a service that is down answers 503). Real Postgres and Redis. */
describe('reporting for the staff console (Postgres + Redis)', () => {
  let db: TestDatabase;
  let config: AppConfig;
  let app: INestApplication;
  let profileConfig: INestApplication;
  let pg: Client;
  let dir: string;
  const admin = { Authorization: `Bearer ${TEST_ADMIN_KEY}` };
  const viewerKey = 'console-viewer-key-0123456789';
  const operatorKey = 'console-operator-key-0123456789';
  const http = () => request(app.getHttpServer());

  beforeAll(async () => {
    db = await createTestDatabase();
    config = testConfig(db.url);
    pg = new Client({ connectionString: db.url });
    await pg.connect();
    dir = mkdtempSync(join(tmpdir(), 'illbridge-console-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>console</title><div id="root"></div>');
    writeFileSync(join(dir, 'assets', 'index-abc123.js'), 'console.log("console")');
    profileConfig = await createProfileConfigApp(config);
    await profileConfig.listen(0, '127.0.0.1');
    const down = await freePort(); // nothing listens here: action-push is "down"
    app = await createReportingApp(
      config,
      consoleSettings({ CONSOLE_DIR: dir, PROFILE_CONFIG_URL: (await profileConfig.getUrl()).replace('[::1]', '127.0.0.1'), ACTION_PUSH_URL: `http://127.0.0.1:${down}`, CONSOLE_PROXY_TIMEOUT_MS: '3000' }),
    );
    await app.init();
    for (const [name, role, key] of [
      ['day desk', 'viewer', viewerKey],
      ['night shift', 'operator', operatorKey],
    ]) {
      await pg.query('INSERT INTO api_key (name, role, key_hash, key_prefix) VALUES ($1, $2, $3, $4)', [name, role, sha256(key), key.slice(0, 8)]);
    }
    const { rows } = await pg.query(
      `INSERT INTO integration_profile (code, name, system, library_code, resource_sharing_library_code, version) VALUES ('LIBRIS_MAIN', 'Libris main', 'LIBRIS', 'Hig', 'MAIN', 1) RETURNING id`,
    );
    const requests: [string, string, string | null, string][] = [
      ['Hig-1', 'Bamse och tjuvarna', 'Levererad', 'IN_SYNC'],
      ['Hig-2', 'Astrid Lindgren', 'Levererad', 'PUSH_FAILED'],
      ['Hig-3', 'Chalmers årsbok', null, 'PUSH_PENDING'],
      ['Hig-4', null as any, 'Uteliggande', 'IN_SYNC'],
    ];
    for (const [externalId, title, external, sync] of requests) {
      await pg.query(
        `INSERT INTO rs_request (profile_id, system, direction, external_id, status, external_system_status, owner_library_code, title, sync_state)
         VALUES ($1, 'LIBRIS', 'BORROWING', $2, 'REQUEST_SENT_TO_PARTNER', $3, 'MAIN', $4, $5)`,
        [rows[0].id, externalId, external, title, sync],
      );
    }
  });

  afterAll(async () => {
    await app?.close();
    await profileConfig?.close();
    await pg?.end();
    if (config) await wipeQueuePrefix(config.redisUrl, config.queuePrefix);
    await db?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  describe('GET /api/me', () => {
    it('answers the key’s id, name and role for every role', async () => {
      const viewer = await http().get('/api/me').set({ Authorization: `Bearer ${viewerKey}` }).expect(200);
      expect(viewer.body).toEqual({ id: expect.any(String), name: 'day desk', role: 'viewer' });
      const operator = await http().get('/api/me').set({ Authorization: `Bearer ${operatorKey}` }).expect(200);
      expect(operator.body).toMatchObject({ name: 'night shift', role: 'operator' });
      const bootstrap = await http().get('/api/me').set(admin).expect(200);
      expect(bootstrap.body).toMatchObject({ name: 'bootstrap admin', role: 'admin' });
    });

    it('refuses a missing or unknown key with 401', async () => {
      expect((await http().get('/api/me').expect(401)).body.code).toBe('UNAUTHENTICATED');
      expect((await http().get('/api/me').set({ Authorization: 'Bearer not-a-key-at-all' }).expect(401)).body.code).toBe('UNAUTHENTICATED');
    });

    it('is in the OpenAPI document with its response schema', async () => {
      const doc = (await http().get('/docs-json').expect(200)).body;
      expect(doc.paths['/api/me'].get.responses['200'].content['application/json'].schema.$ref).toBe('#/components/schemas/MeView');
      expect(Object.keys(doc.components.schemas.MeView.properties).sort()).toEqual(['id', 'name', 'role']);
      const sort = doc.paths['/api/borrowing-requests'].get.parameters.find((p: any) => p.name === 'sort');
      expect(sort.schema.enum).toContain('externalSystemStatus');
    });
  });

  describe('request lists', () => {
    const list = (query: Record<string, string>) => http().get('/api/borrowing-requests').query(query).set(admin);

    it('sorts by a field both ways, empty values last, and pages the sorted list', async () => {
      const asc = await list({ sort: 'title', order: 'asc' }).expect(200);
      expect(asc.body.items.map((r: any) => r.externalId)).toEqual(['Hig-2', 'Hig-1', 'Hig-3', 'Hig-4']);
      const desc = await list({ sort: 'title', order: 'desc' }).expect(200);
      expect(desc.body.items.map((r: any) => r.externalId)).toEqual(['Hig-3', 'Hig-1', 'Hig-2', 'Hig-4']);
      const page2 = await list({ sort: 'externalId', order: 'asc', limit: '2', offset: '2' }).expect(200);
      expect(page2.body.items.map((r: any) => r.externalId)).toEqual(['Hig-3', 'Hig-4']);
      expect(page2.body.total).toBe(4);
    });

    it('refuses an unknown sort field or order, listing both problems', async () => {
      const res = await list({ sort: 'raw', order: 'up' }).expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.message).toEqual(expect.arrayContaining([expect.stringMatching(/^sort must be one of: updatedAt, /), 'order must be asc or desc']));
    });

    it('counts the syncState facet over the filtered set', async () => {
      const all = await list({}).expect(200);
      expect(all.body.facets.syncState).toEqual([
        { value: 'IN_SYNC', count: 2 },
        { value: 'PUSH_FAILED', count: 1 },
        { value: 'PUSH_PENDING', count: 1 },
      ]);
      const delivered = await list({ externalSystemStatus: 'Levererad' }).expect(200);
      expect(delivered.body.facets.syncState).toEqual([
        { value: 'IN_SYNC', count: 1 },
        { value: 'PUSH_FAILED', count: 1 },
      ]);
      const searched = await list({ q: 'chalmers' }).expect(200);
      expect(searched.body.facets.syncState).toEqual([{ value: 'PUSH_PENDING', count: 1 }]);
    });
  });

  describe('the console’s files', () => {
    it('serves index.html at /console/ and for deep links, without a key; assets as files', async () => {
      expect((await http().get('/console').expect(301)).headers.location).toBe('/console/');
      const index = await http().get('/console/').expect(200);
      expect(index.text).toContain('<div id="root"></div>');
      expect(index.headers['cache-control']).toBe('no-cache');
      const deep = await http().get('/console/requests/lending?externalSystemStatus=%E7%99%BA%E9%80%81').expect(200);
      expect(deep.text).toContain('<div id="root"></div>');
      const asset = await http().get('/console/assets/index-abc123.js').expect(200);
      expect(asset.text).toBe('console.log("console")');
      expect(asset.headers['cache-control']).toMatch(/immutable/);
      await http().get('/console/assets/missing.js').expect(404);
    });
  });

  describe('settings', () => {
    it('refuses URLs that are not http(s) and a too short timeout, listing every problem', () => {
      expect(() => consoleSettings({ PROFILE_CONFIG_URL: 'profile-config:3001', ACTION_PUSH_URL: 'ftp://x', CONSOLE_PROXY_TIMEOUT_MS: '5' })).toThrow(
        /PROFILE_CONFIG_URL must be an http\(s\) URL[\s\S]*ACTION_PUSH_URL must be an http\(s\) URL[\s\S]*CONSOLE_PROXY_TIMEOUT_MS must be/,
      );
      expect(consoleSettings({ PROFILE_CONFIG_URL: 'http://profile-config:3001/' }).upstreams).toEqual({ 'profile-config': 'http://profile-config:3001', 'action-push': 'http://127.0.0.1:3002' });
    });
  });

  describe('the same-origin proxy', () => {
    it('forwards calls with their key to profile-config and answers what it answers', async () => {
      const created = await http().post('/proxy/profile-config/api/libraries').set(admin).send({ code: 'MAIN', name: 'Main', resourceSharing: true }).expect(201);
      expect(created.body).toMatchObject({ code: 'MAIN', name: 'Main', resourceSharing: true });
      const listed = await http().get('/proxy/profile-config/api/libraries').set({ Authorization: `Bearer ${viewerKey}` }).expect(200);
      expect(listed.body.items.map((l: any) => l.code)).toContain('MAIN');
      // profile-config's own answers pass through: its 400 with every problem, its 403, its 401.
      const invalid = await http().post('/proxy/profile-config/api/libraries').set(admin).send({ code: '', name: 7, extra: true }).expect(400);
      expect(invalid.body.code).toBe('VALIDATION_FAILED');
      expect(invalid.body.message.length).toBeGreaterThanOrEqual(3);
      expect((await http().post('/proxy/profile-config/api/libraries').set({ Authorization: `Bearer ${viewerKey}` }).send({ code: 'X', name: 'X', resourceSharing: false }).expect(403)).body.code).toBe('FORBIDDEN');
      await http().get('/proxy/profile-config/api/libraries').expect(401);
    });

    it('answers 503 SERVICE_UNAVAILABLE when the service behind is down, and 404 outside /api', async () => {
      const down = await http().get('/proxy/action-push/api/requests/00000000-0000-0000-0000-000000000000/actions').set(admin).expect(503);
      expect(down.body).toMatchObject({ statusCode: 503, code: 'SERVICE_UNAVAILABLE' });
      expect(down.body.message[0]).toMatch(/action-push is not reachable/);
      await http().get('/proxy/profile-config/health').expect(404);
      await http().get('/proxy/elsewhere/api/x').expect(404);
    });

    it('answers 503 when the service behind takes the call but never answers, instead of hanging', async () => {
      const silent = createServer(() => undefined); // accepts, reads, never answers
      await new Promise<void>((done) => silent.listen(0, '127.0.0.1', done));
      const port = (silent.address() as AddressInfo).port;
      try {
        const proxy = express();
        proxy.use(express.json());
        proxy.use('/proxy', consoleProxy({ dir, upstreams: { 'profile-config': `http://127.0.0.1:${port}`, 'action-push': `http://127.0.0.1:${port}` }, proxyTimeoutMs: 300 }));
        const started = Date.now();
        const res = await request(proxy).post('/proxy/action-push/api/requests/x/actions').set(admin).send({ action: 'ACCEPT' }).expect(503);
        expect(res.body).toMatchObject({ code: 'SERVICE_UNAVAILABLE', message: ['action-push did not answer within 300 ms; try again shortly'] });
        expect(res.headers['retry-after']).toBe('5');
        expect(Date.now() - started).toBeLessThan(3000);
      } finally {
        silent.closeAllConnections();
        await new Promise<void>((done) => silent.close(() => done()));
      }
    });
  });
});
