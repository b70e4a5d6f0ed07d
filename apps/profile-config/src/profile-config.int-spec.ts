import { INestApplication } from '@nestjs/common';
import { Queue } from 'bullmq';
import { Client } from 'pg';
import request from 'supertest';
import { AppConfig } from '@illbridge/common';
import { QUEUE, schedulerIdFor } from '@illbridge/queues';
import { createTestDatabase, TEST_ADMIN_KEY, TestDatabase, testConfig, wipeQueuePrefix } from '@illbridge/testing';
import { createProfileConfigApp } from './main';

/** profile-config against the real Postgres and Redis: auth, validation, secrets, schedules read back from Redis. */
describe('profile-config (Postgres + Redis)', () => {
  let db: TestDatabase;
  let config: AppConfig;
  let app: INestApplication;
  let queue: Queue;
  let pg: Client;
  const admin = { Authorization: `Bearer ${TEST_ADMIN_KEY}` };
  let operator: Record<string, string>;
  let viewer: Record<string, string>;

  const http = () => request(app.getHttpServer());
  const start = async () => {
    app = await createProfileConfigApp(config);
    await app.init();
  };
  const libris = (overrides: Record<string, unknown> = {}) => ({
    code: 'LIBRIS_MAIN',
    name: 'Libris main library',
    integrationType: 'RESOURCE_SHARING',
    description: 'Borrowing requests from Libris',
    system: 'LIBRIS',
    baseUrl: 'https://iller.libris.kb.se/librisfjarrlan/api',
    libraryCode: 'Hig',
    resourceSharingLibraryCode: 'MAIN',
    authentication: { enabled: true, apiKey: 'libris-secret-key-value' },
    active: true,
    harvestStartDate: '2026-01-01',
    granularity: 'DAY',
    schedule: { type: 'DAILY', time: '02:30', timezone: 'Europe/Stockholm' },
    ...overrides,
  });
  const schedulers = async () => (await queue.getJobSchedulers(0, -1)).map((s) => ({ id: s.id ?? s.key, name: s.name, pattern: s.pattern, tz: s.tz, every: s.every, next: s.next }));

  beforeAll(async () => {
    db = await createTestDatabase();
    config = testConfig(db.url);
    queue = new Queue(QUEUE.IMPORT, { connection: { host: '127.0.0.1', port: 6379 }, prefix: config.queuePrefix });
    pg = new Client({ connectionString: db.url });
    await pg.connect();
    await start();
    operator = { Authorization: `Bearer ${(await http().post('/api/api-keys').set(admin).send({ name: 'ops', role: 'operator' })).body.key}` };
    viewer = { Authorization: `Bearer ${(await http().post('/api/api-keys').set(admin).send({ name: 'staff', role: 'viewer' })).body.key}` };
    await http().post('/api/libraries').set(admin).send({ code: 'MAIN', name: 'Main library', resourceSharing: true }).expect(201);
    await http().post('/api/libraries').set(admin).send({ code: 'BRANCH', name: 'Branch', resourceSharing: false }).expect(201);
  });

  afterAll(async () => {
    await app?.close();
    await queue?.close();
    await pg?.end();
    await wipeQueuePrefix(config.redisUrl, config.queuePrefix);
    await db?.drop();
  });

  describe('authentication and roles', () => {
    it('refuses a missing or unknown key with 401 and a too-weak role with 403', async () => {
      const missing = await http().get('/api/libraries').expect(401);
      expect(missing.body).toMatchObject({ statusCode: 401, code: 'UNAUTHENTICATED' });
      await http().get('/api/libraries').set({ Authorization: 'Bearer nope-not-a-key' }).expect(401);
      await http().get('/api/libraries').set(viewer).expect(200);
      const weak = await http().post('/api/libraries').set(viewer).send({ code: 'X', name: 'X' }).expect(403);
      expect(weak.body.code).toBe('FORBIDDEN');
      await http().post('/api/libraries').set(operator).send({ code: 'X', name: 'X' }).expect(403);
      await http().get('/api/api-keys').set(operator).expect(403);
    });

    it('shows a new key once and stores only its hash', async () => {
      const created = await http().post('/api/api-keys').set(admin).send({ name: 'script', role: 'viewer' }).expect(201);
      expect(created.body.key).toMatch(/^ilb_/);
      const listed = await http().get('/api/api-keys').set(admin).expect(200);
      expect(JSON.stringify(listed.body)).not.toContain(created.body.key);
      const stored = await pg.query('SELECT key_hash FROM api_key WHERE id = $1', [created.body.id]);
      expect(stored.rows[0].key_hash).not.toContain(created.body.key);
      await http().delete(`/api/api-keys/${created.body.id}`).set(admin).expect(204);
      await http().get('/api/libraries').set({ Authorization: `Bearer ${created.body.key}` }).expect(401);
    });

    it('answers health without a key', async () => {
      const health = await http().get('/health').expect(200);
      expect(health.body).toMatchObject({ status: 'ok', info: { database: { status: 'up' }, redis: { status: 'up' } } });
      const docs = await http().get('/docs-json').expect(200);
      expect(Object.keys(docs.body.paths)).toEqual(expect.arrayContaining(['/api/integration-profiles', '/api/integration-profiles/{id}/run', '/api/partners/{code}']));
      const metrics = await http().get('/metrics').expect(200);
      expect(metrics.text).toContain('illbridge_http_request_duration_seconds');
    });
  });

  describe('libraries and partners', () => {
    it('finds partners by code ignoring case and refuses a duplicate in another case', async () => {
      await http().post('/api/partners').set(admin).send({ code: 'Hig', name: 'Högskolan i Gävle', system: 'LIBRIS', active: true }).expect(201);
      const dup = await http().post('/api/partners').set(admin).send({ code: 'HIG', name: 'Other', system: 'LIBRIS' }).expect(409);
      expect(dup.body.code).toBe('CONFLICT');
      const found = await http().get('/api/partners/hig').set(viewer).expect(200);
      expect(found.body).toMatchObject({ code: 'Hig', name: 'Högskolan i Gävle' });
      await http().patch('/api/partners/HIG').set(admin).send({ active: false }).expect(200);
      const list = await http().get('/api/partners?system=LIBRIS').set(viewer).expect(200);
      expect(list.body).toMatchObject({ total: 1, limit: 50, offset: 0 });
      expect(list.body.items[0]).toMatchObject({ code: 'Hig', active: false });
    });

    it('lists every problem of a bad library and refuses unknown properties', async () => {
      const bad = await http().post('/api/libraries').set(admin).send({ code: '', name: 7, color: 'red' }).expect(400);
      expect(bad.body.code).toBe('VALIDATION_FAILED');
      expect(bad.body.message).toEqual(expect.arrayContaining([expect.stringContaining('code'), expect.stringContaining('name'), expect.stringContaining('color')]));
      const json = await http().post('/api/libraries').set(admin).set('Content-Type', 'application/json').send('{"code": ').expect(400);
      expect(json.body.code).toBe('VALIDATION_FAILED');
    });
  });

  describe('integration profiles', () => {
    it('lists every problem of an invalid profile at once', async () => {
      const res = await http()
        .post('/api/integration-profiles')
        .set(admin)
        .send({
          code: 'BAD',
          system: 'LIBRIS',
          baseUrl: 'ftp://example.org',
          resourceSharingLibraryCode: 'BRANCH',
          harvestStartDate: '2026-01-01T00:00:00Z',
          authentication: { enabled: true, token: 'x' },
          schedule: { type: 'WEEKLY', time: '25:00', timezone: 'Mars/Olympus' },
          surprise: true,
        })
        .expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      const text = res.body.message.join('\n');
      for (const expected of [
        'property surprise should not exist',
        'authentication.token should not exist',
        'schedule.time must be HH:mm',
        'name is required',
        'libraryCode is required',
        'baseUrl must be an http(s) URL',
        'harvestStartDate must match granularity DAY',
        'schedule.dayOfWeek is required',
        'schedule.timezone "Mars/Olympus" is not an IANA time zone',
        'resourceSharingLibraryCode BRANCH is not a resource sharing library',
      ]) {
        expect(text).toContain(expected);
      }
    });

    it('refuses a future harvest start date and a schedule on a Netpunkt profile', async () => {
      const future = await http().post('/api/integration-profiles').set(admin).send(libris({ code: 'F', harvestStartDate: '2999-01-01' })).expect(400);
      expect(future.body.message).toContain('harvestStartDate must not lie in the future');
      const netpunkt = await http()
        .post('/api/integration-profiles')
        .set(admin)
        .send({ code: 'NP', name: 'Netpunkt', integrationType: 'RESOURCE_SHARING', system: 'NETPUNKT', libraryCode: 'DK-820010', resourceSharingLibraryCode: 'MAIN', authentication: { enabled: true }, schedule: { type: 'DAILY', time: '01:00' } })
        .expect(400);
      expect(netpunkt.body.message).toEqual(expect.arrayContaining([expect.stringContaining('NOT_SCHEDULED'), expect.stringContaining('authentication.password is required')]));
    });

    it('never returns a secret and stores it encrypted', async () => {
      const created = await http().post('/api/integration-profiles').set(admin).send(libris({ code: 'SECRET', name: 'Secret test' })).expect(201);
      expect(JSON.stringify(created.body)).not.toContain('libris-secret-key-value');
      expect(created.body.authentication).toEqual({ enabled: true, apiKeySet: true });
      const got = await http().get(`/api/integration-profiles/${created.body.id}`).set(viewer).expect(200);
      expect(JSON.stringify(got.body)).not.toContain('libris-secret-key-value');
      const dump = await pg.query('SELECT row_to_json(p)::text AS row FROM integration_profile p WHERE id = $1', [created.body.id]);
      expect(dump.rows[0].row).not.toContain('libris-secret-key-value');
      // a PATCH that does not touch the secret keeps it
      const patched = await http().patch(`/api/integration-profiles/${created.body.id}`).set(admin).send({ description: 'changed' }).expect(200);
      expect(patched.body.authentication.apiKeySet).toBe(true);
      await http().delete(`/api/integration-profiles/${created.body.id}`).set(admin).expect(204);
    });

    it('keeps exactly the schedulers the profiles want, read back from Redis', async () => {
      const created = await http().post('/api/integration-profiles').set(admin).send(libris()).expect(201);
      const id = created.body.id;
      expect(created.body.jobName).toBe('Import resource sharing requests using profile Libris main library');
      let live = await schedulers();
      expect(live).toEqual([expect.objectContaining({ id: schedulerIdFor(id), name: 'Import resource sharing requests using profile Libris main library', pattern: '30 2 * * *', tz: 'Europe/Stockholm' })]);
      expect(new Date(created.body.nextRunAt).getTime()).toBe(live[0].next);

      await http().patch(`/api/integration-profiles/${id}`).set(admin).send({ name: 'Libris renamed', schedule: { type: 'WEEKLY', dayOfWeek: 'MON', time: '06:15' } }).expect(200);
      live = await schedulers();
      expect(live).toEqual([expect.objectContaining({ id: schedulerIdFor(id), name: 'Import resource sharing requests using profile Libris renamed', pattern: '15 6 * * 1', tz: 'Europe/Stockholm' })]);

      const inactive = await http().patch(`/api/integration-profiles/${id}`).set(admin).send({ active: false }).expect(200);
      expect(inactive.body.nextRunAt).toBeNull();
      expect(await schedulers()).toEqual([]);

      await http().patch(`/api/integration-profiles/${id}`).set(admin).send({ active: true, schedule: { type: 'INTERVAL', everyMinutes: 15 } }).expect(200);
      expect(await schedulers()).toEqual([expect.objectContaining({ id: schedulerIdFor(id), every: 15 * 60_000 })]);

      await http().patch(`/api/integration-profiles/${id}`).set(admin).send({ schedule: { type: 'NOT_SCHEDULED' } }).expect(200);
      expect(await schedulers()).toEqual([]);

      await http().patch(`/api/integration-profiles/${id}`).set(admin).send({ schedule: { type: 'DAILY', time: '02:30' } }).expect(200);
      expect(await schedulers()).toHaveLength(1);
      await http().delete(`/api/integration-profiles/${id}`).set(admin).expect(204);
      expect(await schedulers()).toEqual([]);
      await http().get(`/api/integration-profiles/${id}`).set(viewer).expect(404);
    });

    it('rebuilds schedulers from the database after the queue store is wiped, and removes orphans', async () => {
      const a = await http().post('/api/integration-profiles').set(admin).send(libris({ code: 'A', name: 'Profile A' })).expect(201);
      const b = await http().post('/api/integration-profiles').set(admin).send(libris({ code: 'B', name: 'Profile B', schedule: { type: 'INTERVAL', everyMinutes: 30 } })).expect(201);
      await http().post('/api/integration-profiles').set(admin).send(libris({ code: 'C', name: 'Profile C', active: false })).expect(201);
      await app.close();
      await wipeQueuePrefix(config.redisUrl, config.queuePrefix);
      await queue.upsertJobScheduler(schedulerIdFor('00000000-0000-0000-0000-000000000000'), { every: 600_000 }, { name: 'orphan' });
      expect(await schedulers()).toHaveLength(1);
      await start();
      const ids = (await schedulers()).map((s) => s.id).sort();
      expect(ids).toEqual([schedulerIdFor(a.body.id), schedulerIdFor(b.body.id)].sort());
      await http().delete(`/api/integration-profiles/${a.body.id}`).set(admin).expect(204);
      await http().delete(`/api/integration-profiles/${b.body.id}`).set(admin).expect(204);
    });

    it('never deletes a profile with history: 409 PROFILE_IN_USE, runs and requests kept; deactivation is the way', async () => {
      const used = await http().post('/api/integration-profiles').set(admin).send(libris({ code: 'USED', name: 'Used', schedule: { type: 'NOT_SCHEDULED' } })).expect(201);
      const run = await http().post(`/api/integration-profiles/${used.body.id}/run`).set(operator).expect(202);
      await pg.query(
        `INSERT INTO rs_request (profile_id, system, direction, external_id, status, owner_library_code, title) VALUES ($1, 'LIBRIS', 'BORROWING', 'Hig-1', 'CREATED_BORROWING_REQUEST', 'MAIN', 'Kept')`,
        [used.body.id],
      );
      const refused = await http().delete(`/api/integration-profiles/${used.body.id}`).set(admin).expect(409);
      expect(refused.body.code).toBe('PROFILE_IN_USE');
      expect(String(refused.body.message)).toContain('1 request(s), 1 job run(s)');
      await http().get(`/api/integration-profiles/${used.body.id}`).set(viewer).expect(200);
      const kept = await pg.query('SELECT (SELECT count(*) FROM job_run WHERE id = $1)::int AS runs, (SELECT count(*) FROM rs_request WHERE profile_id = $2)::int AS requests', [run.body.jobRunId, used.body.id]);
      expect(kept.rows[0]).toEqual({ runs: 1, requests: 1 });
      // The database refuses it too, whatever writes it: no cascade, no orphaned request.
      await expect(pg.query('DELETE FROM integration_profile WHERE id = $1', [used.body.id])).rejects.toThrow(/foreign key/);
      const inactive = await http().patch(`/api/integration-profiles/${used.body.id}`).set(admin).send({ active: false }).expect(200);
      expect(inactive.body.active).toBe(false);
      // The same code cannot be created again beside it, so its requests are never imported twice under a new profile.
      const again = await http().post('/api/integration-profiles').set(admin).send(libris({ code: 'USED', name: 'Used again' })).expect(409);
      expect(again.body.code).toBe('CONFLICT');
      await http().patch(`/api/integration-profiles/${used.body.id}`).set(admin).send({ active: true }).expect(200);
    });

    it('runs an active profile now, once at a time', async () => {
      const profile = await http().post('/api/integration-profiles').set(admin).send(libris({ code: 'RUN', name: 'Run now', schedule: { type: 'NOT_SCHEDULED' } })).expect(201);
      await http().post(`/api/integration-profiles/${profile.body.id}/run`).set(viewer).expect(403);
      const run = await http().post(`/api/integration-profiles/${profile.body.id}/run`).set(operator).expect(202);
      expect(run.body).toEqual({ jobRunId: expect.any(String), state: 'PENDING' });
      const job = await queue.getJob(`run-${run.body.jobRunId}`);
      expect(job?.name).toBe('Import resource sharing requests using profile Run now');
      expect(job?.data).toEqual({ profileId: profile.body.id, jobRunId: run.body.jobRunId, trigger: 'MANUAL' });
      const again = await http().post(`/api/integration-profiles/${profile.body.id}/run`).set(operator).expect(409);
      expect(again.body.code).toBe('JOB_ALREADY_RUNNING');
      const shown = await http().get(`/api/integration-profiles/${profile.body.id}`).set(viewer).expect(200);
      expect(shown.body.lastRun).toMatchObject({ id: run.body.jobRunId, state: 'PENDING' });

      const idle = await http().post('/api/integration-profiles').set(admin).send(libris({ code: 'IDLE', name: 'Idle', active: false })).expect(201);
      const refused = await http().post(`/api/integration-profiles/${idle.body.id}/run`).set(operator).expect(409);
      expect(refused.body.code).toBe('PROFILE_INACTIVE');
      await http().post('/api/integration-profiles/not-a-uuid/run').set(operator).expect(404);
    });

    it('filters profiles and refuses a duplicate code', async () => {
      await http().post('/api/integration-profiles').set(admin).send(libris({ code: 'RUN' })).expect(409);
      const list = await http().get('/api/integration-profiles?system=LIBRIS&active=false').set(viewer).expect(200);
      expect(list.body.items.map((p: any) => p.code)).toEqual(['C', 'IDLE']);
      await http().get('/api/integration-profiles?active=maybe').set(viewer).expect(400);
    });
  });

  describe('library-code mappings', () => {
    it('replaces, adds and removes mappings, reporting every problem', async () => {
      const profile = await http().post('/api/integration-profiles').set(admin).send(libris({ code: 'MAP', name: 'Mapping', schedule: { type: 'NOT_SCHEDULED' } })).expect(201);
      const base = `/api/integration-profiles/${profile.body.id}/library-mappings`;
      const bad = await http()
        .put(base)
        .set(admin)
        .send([{ libraryCode: 'NOPE', externalLibraryCode: 'Hig' }, { libraryCode: 'MAIN' }, { libraryCode: 'MAIN', externalLibraryCode: 'Hig', extra: 1 }])
        .expect(400);
      expect(bad.body.message).toEqual(
        expect.arrayContaining(['[1].externalLibraryCode must be a string', '[2].property extra should not exist', 'libraryCode NOPE names no library']),
      );
      const put = await http().put(base).set(admin).send([{ libraryCode: 'MAIN', externalLibraryCode: 'Hig' }]).expect(200);
      expect(put.body).toEqual([{ libraryCode: 'MAIN', externalLibraryCode: 'Hig' }]);
      await http().post(base).set(admin).send({ libraryCode: 'MAIN', externalLibraryCode: 'Gk' }).expect(409);
      await http().post(base).set(admin).send({ libraryCode: 'BRANCH', externalLibraryCode: 'Gk' }).expect(201);
      expect((await http().get(base).set(viewer).expect(200)).body).toEqual([
        { libraryCode: 'BRANCH', externalLibraryCode: 'Gk' },
        { libraryCode: 'MAIN', externalLibraryCode: 'Hig' },
      ]);
      await http().delete(`${base}/hig`).set(admin).expect(404); // sigels are case-sensitive
      await http().delete(`${base}/Hig`).set(admin).expect(204);
      const del = await http().delete('/api/libraries/BRANCH').set(admin).expect(409);
      expect(del.body.message[0]).toContain('in use');
    });
  });
});
