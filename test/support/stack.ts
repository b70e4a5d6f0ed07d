import { INestApplication } from '@nestjs/common';
import { Client } from 'pg';
import { AppConfig } from '@illbridge/common';
import { NotificationSettings } from '@illbridge/notifications';
import { createTestDatabase, jsonClient, TEST_ADMIN_KEY, TestDatabase, testConfig, wipeQueuePrefix } from '@illbridge/testing';
import { createActionPushApp } from '../../apps/action-push/src/main';
import { PushSettings } from '../../apps/action-push/src/push-settings';
import { createImportWorkerApp } from '../../apps/import-worker/src/main';
import { ImportSettings } from '../../apps/import-worker/src/import-settings';
import { createProfileConfigApp } from '../../apps/profile-config/src/main';
import { createReportingApp } from '../../apps/reporting/src/main';
import { consoleSettings } from '../../apps/reporting/src/console/console-settings';
import { RunningSimulator, startSimulator } from '../../apps/ill-simulator/src/simulator';
import { runProfileNow } from './runs';

/** The services an end-to-end test starts, in one place: a test database and queue prefix, the simulator,
 *  profile-config (always), and as asked the import worker, reporting and action-push, all in this process on
 *  free ports; a connection to the test database; HTTP clients with the admin key. */

export type JsonClient = ReturnType<typeof jsonClient>;

/** An app's URL on 127.0.0.1 (Nest answers `[::1]` for a server listening on 127.0.0.1). */
export const urlOf = async (app: INestApplication) => (await app.getUrl()).replace('[::1]', '127.0.0.1');

/** `res` when its status is `status`, else an error naming `what` and the answer. */
export function expectStatus<T extends { status: number; body: any }>(what: string, res: T, status: number): T {
  if (res.status !== status) throw new Error(`${what}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
  return res;
}

export interface StackOptions {
  /** The import worker's settings; `false`: no import worker. */
  worker?: ImportSettings | false;
  /** Start reporting (its routes as `reports`): `true`, or the settings of its notifications to deliver. */
  reporting?: boolean | { notifications: NotificationSettings };
  /** Start action-push with these settings (its routes as `actions`). */
  push?: PushSettings;
  /** What profile-config's configuration has otherwise than the test's (e.g. a Redis reached through a relay). */
  profileConfig?: Partial<AppConfig>;
}

export interface Stack {
  db: TestDatabase;
  config: AppConfig;
  sim: RunningSimulator;
  /** The simulator's control routes (`/_sim/...`). */
  simApi: JsonClient;
  pg: Client;
  admin: INestApplication;
  worker?: INestApplication;
  reporting?: INestApplication;
  push?: INestApplication;
  /** profile-config, with the admin key. */
  api: JsonClient;
  /** reporting, with the admin key (started with `reporting: true`). */
  reports: JsonClient;
  /** action-push, with the admin key (started with `push`). */
  actions: JsonClient;
  /** A library of ours (201 or an error). */
  addLibrary(code: string, name: string, resourceSharing?: boolean): Promise<void>;
  /** A partner library (201 or an error). */
  addPartner(code: string, name: string, system: string): Promise<void>;
  /** Creates a profile through profile-config and maps library MAIN to its `libraryCode`: the profile as created. */
  createProfile(body: Record<string, unknown> & { libraryCode: string }): Promise<any>;
  /** "Run now" on a profile, then its job_run row once the run has ended. */
  runNow(profileId: string, timeoutMs?: number): Promise<any>;
  /** Closes the import worker before the test ends (`close` then leaves it). */
  stopWorker(): Promise<void>;
  /** `close` first closes this, then the rest (a relay or queue the test opened over the stack). */
  onClose(close: () => Promise<unknown>): void;
  close(): Promise<void>;
}

/** `close`, run at most once however often it is called. */
function once(close: () => Promise<unknown>): () => Promise<void> {
  let closing: Promise<unknown> | undefined;
  return async () => {
    await (closing ??= close());
  };
}

const notStarted = (service: string): JsonClient => async () => {
  throw new Error(`${service} was not started in this test`);
};

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  // Closed in the reverse order of opening: the services first, the database last.
  const closers: (() => Promise<unknown>)[] = [];
  const close = async () => {
    while (closers.length) await closers.pop()!();
  };
  try {
    const db = await createTestDatabase();
    closers.push(() => db.drop());
    const config = testConfig(db.url);
    closers.push(() => wipeQueuePrefix(config.redisUrl, config.queuePrefix));
    const pg = new Client({ connectionString: db.url });
    await pg.connect();
    closers.push(() => pg.end());
    const sim = await startSimulator({ logLevels: false });
    closers.push(() => sim.close());
    const admin = await createProfileConfigApp({ ...config, ...options.profileConfig });
    closers.push(() => admin.close());
    await admin.listen(0, '127.0.0.1');
    const api = jsonClient(await urlOf(admin), TEST_ADMIN_KEY);
    const stack: Stack = {
      db,
      config,
      sim,
      simApi: jsonClient(sim.url),
      pg,
      admin,
      api,
      reports: notStarted('reporting'),
      actions: notStarted('action-push'),
      async addLibrary(code, name, resourceSharing = true) {
        expectStatus(`library ${code}`, await api('POST', '/api/libraries', { code, name, resourceSharing }), 201);
      },
      async addPartner(code, name, system) {
        expectStatus(`partner ${code}`, await api('POST', '/api/partners', { code, name, system }), 201);
      },
      async createProfile(body) {
        const created = expectStatus(`profile ${String(body.code)}`, await api('POST', '/api/integration-profiles', body), 201);
        const mapping = [{ libraryCode: 'MAIN', externalLibraryCode: body.libraryCode }];
        expectStatus(`library mapping of ${String(body.code)}`, await api('PUT', `/api/integration-profiles/${created.body.id}/library-mappings`, mapping), 200);
        return created.body;
      },
      runNow: (profileId, timeoutMs) => runProfileNow(api, pg, profileId, timeoutMs),
      stopWorker: async () => undefined,
      onClose: (closer) => void closers.push(closer),
      close,
    };
    if (options.reporting) {
      const reporting = options.reporting === true ? await createReportingApp(config) : await createReportingApp(config, consoleSettings(), options.reporting.notifications);
      closers.push(() => reporting.close());
      await reporting.listen(0, '127.0.0.1');
      stack.reporting = reporting;
      stack.reports = jsonClient(await urlOf(reporting), TEST_ADMIN_KEY);
    }
    if (options.push) {
      const push = await createActionPushApp(config, options.push);
      closers.push(() => push.close());
      await push.listen(0, '127.0.0.1');
      stack.push = push;
      stack.actions = jsonClient(await urlOf(push), TEST_ADMIN_KEY);
    }
    if (options.worker !== false) {
      const worker = await createImportWorkerApp(config, options.worker);
      const stopWorker = once(() => worker.close());
      closers.push(stopWorker);
      await worker.init();
      stack.worker = worker;
      stack.stopWorker = stopWorker;
    }
    return stack;
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
}
