import { Client } from 'pg';
import { AppConfig, SecretBox } from '@illbridge/common';
import { CatpClient, nacsisDatabaseOf } from '@illbridge/connectors/nacsis';
import type { CatpHandle } from '@illbridge/connectors/nacsis';
import { mapNacsisStatus } from '@illbridge/workflow';
import { createTestDatabase, jsonClient, TestDatabase, testConfig, wipeQueuePrefix } from '@illbridge/testing';
import { RunningSimulator, startSimulator } from '../../apps/ill-simulator/src/simulator';
import { expectStatus, Stack, StackOptions, startStack } from './stack';

/** Shared set-up of the action-push end-to-end tests: a test database and queue prefix, the NACSIS-ILL
 *  simulator with two participants (us and a partner), a NACSIS profile pointing at it, and requests
 *  seeded the way the import leaves them (the record's ID as external_id, its STAT as
 *  externalSystemStatus, the record as raw). */
export const US = 'FA100001';
export const PARTNER = 'FA200002';
export const US_LOGIN = { userId: 'us-user', password: 'us-password' };
export const TODAY = '2026-11-22';

export type Direction = 'BORROWING' | 'LENDING';
export type Service = 'COPY' | 'LOAN';

export interface Seeded {
  requestId: string;
  recordId: string;
  direction: Direction;
  service: Service;
}

export interface SimCall {
  /** When the simulator received it (ISO text). */
  at: string;
  method: string | null;
  id: string | null;
  illCommand: string | null;
  catpStatus: number | null;
  httpStatus: number | null;
}

export interface NacsisWorld {
  db: TestDatabase;
  config: AppConfig;
  /** The simulator: in this process, or a process of its own (`options.simulator`). */
  sim: Pick<RunningSimulator, 'url' | 'close'>;
  simApi: ReturnType<typeof jsonClient>;
  pg: Client;
  profileId: string;
  catp: CatpClient;
  catpHandle: CatpHandle;
  /** A NACSIS record in the simulator and the request the import would have made of it. */
  seed(direction: Direction, stat: string, service?: Service, options?: { candidates?: string[] }): Promise<Seeded>;
  simRecord(recordId: string): Promise<any>;
  /** The record's history (SENDG) as `COMMAND:US` / `COMMAND:P`. */
  history(recordId: string): Promise<string[]>;
  /** Every call the simulator's CATP endpoint received. */
  calls(): Promise<SimCall[]>;
  actionsOf(requestId: string): Promise<any[]>;
  requestRow(requestId: string): Promise<any>;
  /** A new connection for `pg` (after the fault tests restarted Postgres). */
  reconnect(): Promise<void>;
  close(): Promise<void>;
}

/** SERVERPROCEDURECALLs on `recordId` as `COMMAND:<CATP status or HTTP status>` (`HTTP null`: never answered). */
export function spcCallsOf(calls: SimCall[], recordId: string): string[] {
  return calls.filter((c) => c.method === 'SERVERPROCEDURECALL' && c.id === recordId).map((c) => `${c.illCommand}:${c.catpStatus ?? `HTTP ${c.httpStatus}`}`);
}

/** By default the world lives in a test database cloned from the template on the shared Postgres and
 *  Redis; `options.database` puts it elsewhere (the fault tests' private servers). The simulator is started in
 *  this process unless `options.simulator` is one already running (closed with the world). */
export async function startNacsisWorld(
  options: { database?: TestDatabase; redisUrl?: string; simulator?: Pick<RunningSimulator, 'url' | 'close'> } = {},
): Promise<NacsisWorld> {
  const db = options.database ?? (await createTestDatabase());
  const config = testConfig(db.url, options.redisUrl ? { redisUrl: options.redisUrl } : {});
  const sim = options.simulator ?? (await startSimulator({ logLevels: false }));
  const simApi = jsonClient(sim.url);
  let pg = new Client({ connectionString: db.url });
  pg.on('error', () => undefined); // a fault test may stop the server under it; queries fail instead
  await pg.connect();
  const ok = expectStatus;
  ok('participant US', await simApi('POST', '/_sim/nacsis/participants', { participantId: US, name: '架空大学附属図書館', ...US_LOGIN }), 201);
  ok('participant PARTNER', await simApi('POST', '/_sim/nacsis/participants', { participantId: PARTNER, name: '相手大学図書館' }), 201);
  ok('settings', await simApi('POST', '/_sim/nacsis/settings', { today: TODAY.replaceAll('-', '') }), 200);
  const secret = new SecretBox(config.secretsKey).encrypt(US_LOGIN.password);
  const { rows } = await pg.query(
    `INSERT INTO integration_profile (code, name, system, base_url, library_code, resource_sharing_library_code, auth_enabled, auth_user_id, secret_enc, version)
     VALUES ('NACSIS_E2E', 'NACSIS e2e', 'NACSIS', $1, $2, 'MAIN', true, $3, $4, 1) RETURNING id`,
    [`${sim.url}/nacsis/catp`, US, US_LOGIN.userId, secret],
  );
  const profileId: string = rows[0].id;
  const catp = new CatpClient({ baseUrl: `${sim.url}/nacsis/catp`, timeoutMs: 5000 });
  const catpHandle = await catp.getHandle(US_LOGIN.userId, US_LOGIN.password);

  const simRecord = async (recordId: string) => (await simApi('GET', `/_sim/nacsis/records/${recordId}`)).body;
  return {
    db,
    config,
    sim,
    simApi,
    get pg() {
      return pg;
    },
    profileId,
    catp,
    catpHandle,
    async seed(direction, stat, service = 'COPY', options = {}) {
      const borrower = direction === 'BORROWING' ? US : PARTNER;
      const lender = direction === 'BORROWING' ? PARTNER : US;
      const candidates = options.candidates ?? [lender];
      const created = ok('record', await simApi('POST', '/_sim/nacsis/records', { as: borrower, candidates, service, stat }), 201);
      const recordId: string = created.body.id;
      const page = await catp.retrieve(catpHandle, nacsisDatabaseOf(direction, service), [recordId], 1, 1);
      if (page.records.length !== 1) throw new Error(`record ${recordId} not found over CATP`);
      const status = mapNacsisStatus(stat, direction) ?? (direction === 'BORROWING' ? 'REQUEST_SENT_TO_PARTNER' : 'BEING_PROCESSED');
      const inserted = await pg.query(
        `INSERT INTO rs_request (profile_id, system, direction, external_id, status, external_system_status, partner_code, owner_library_code, format, title, raw)
         VALUES ($1, 'NACSIS', $2, $3, $4, $5, $6, 'MAIN', $7, 'Seeded', $8) RETURNING id`,
        [profileId, direction, recordId, status, stat, PARTNER, service, JSON.stringify(page.records[0])],
      );
      return { requestId: inserted.rows[0].id, recordId, direction, service };
    },
    simRecord,
    async history(recordId) {
      return (await simRecord(recordId)).history.map((h: any) => `${h.command}:${h.participantId === US ? 'US' : 'P'}`);
    },
    async calls() {
      return (await simApi('GET', '/_sim/nacsis/calls')).body.calls as SimCall[];
    },
    async actionsOf(requestId) {
      return (await pg.query('SELECT * FROM outbound_action WHERE request_id = $1 ORDER BY seq', [requestId])).rows;
    },
    async requestRow(requestId) {
      return (await pg.query('SELECT * FROM rs_request WHERE id = $1', [requestId])).rows[0];
    },
    async reconnect() {
      await pg.end().catch(() => undefined);
      pg = new Client({ connectionString: db.url });
      pg.on('error', () => undefined);
      await pg.connect();
    },
    async close() {
      await simApi('DELETE', '/_sim/faults/nacsis').catch(() => undefined);
      await catp.releaseHandle(catpHandle).catch(() => undefined);
      await sim.close();
      await pg.end();
      await wipeQueuePrefix(config.redisUrl, config.queuePrefix);
      await db.drop();
    },
  };
}

/** The libraries of the NACSIS-ILL import tests (profile-config and the import worker against the simulator): us,
 *  with the CATP login of our profile, and two partner libraries. */
export const NACSIS_LIBRARIES = {
  US: { participantId: 'FA012345', userId: 'USER0001', password: 'us-secret', name: '架空大学図書館' },
  TOKYO: { participantId: 'FA000001', userId: 'USER0002', password: 'tokyo', name: '東京大学' },
  KYOTO: { participantId: 'FA000002', userId: 'USER0003', password: 'kyoto', name: '京都大学' },
} as const;

export interface NacsisParticipant {
  participantId: string;
  name: string;
  userId?: string;
  password?: string;
}

export interface NacsisProfileFields {
  code: string;
  name: string;
  harvestStartDate: string;
  /** Where the profile reaches CATP: the simulator unless given (a relay in front of it). */
  baseUrl?: string;
  /** Any other field of the profile: by day and not scheduled unless given. */
  [field: string]: unknown;
}

/** The services of an import test (`startStack`), the simulator's NACSIS-ILL knowing us and `participants`, and
 *  library MAIN of ours (the one a NACSIS profile maps to our participant id). */
export interface NacsisSyncWorld extends Stack {
  /** A NACSIS profile with our login, MAIN mapped to our participant id: the profile as created. */
  createNacsisProfile(fields: NacsisProfileFields): Promise<any>;
  /** A record in the simulator's NACSIS-ILL (`POST /_sim/nacsis/records`): the record as created (its `id`, …). */
  addRecord(body: Record<string, unknown>): Promise<any>;
}

export async function startNacsisSyncWorld(options: StackOptions & { participants: NacsisParticipant[] }): Promise<NacsisSyncWorld> {
  const { participants, ...stackOptions } = options;
  const { US: OURS } = NACSIS_LIBRARIES;
  const stack = await startStack(stackOptions);
  const world: NacsisSyncWorld = {
    ...stack,
    createNacsisProfile({ baseUrl = `${stack.sim.url}/nacsis/catp`, ...fields }) {
      return stack.createProfile({
        integrationType: 'RESOURCE_SHARING',
        system: 'NACSIS',
        baseUrl,
        libraryCode: OURS.participantId,
        resourceSharingLibraryCode: 'MAIN',
        authentication: { enabled: true, userId: OURS.userId, password: OURS.password },
        granularity: 'DAY',
        schedule: { type: 'NOT_SCHEDULED' },
        ...fields,
      });
    },
    async addRecord(body) {
      return expectStatus('NACSIS record', await stack.simApi('POST', '/_sim/nacsis/records', body), 201).body;
    },
  };
  try {
    for (const participant of [OURS, ...participants]) {
      expectStatus(`participant ${participant.participantId}`, await stack.simApi('POST', '/_sim/nacsis/participants', participant), 201);
    }
    await stack.addLibrary('MAIN', '本館');
  } catch (error) {
    await stack.close().catch(() => undefined);
    throw error;
  }
  return world;
}
