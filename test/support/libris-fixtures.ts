import { Stack, StackOptions, startStack, expectStatus } from './stack';

/** Shared set-up of the Libris end-to-end tests: the services of `startStack`, the simulator's Libris knowing our
 *  sigel and its API key, and library MAIN of ours (the one a Libris profile maps to the sigel). */

export interface LibrisProfileFields {
  code: string;
  name: string;
  harvestStartDate: string;
  /** Our sigel and its key: the world's unless given. */
  sigel?: string;
  apiKey?: string;
  /** Any other field of the profile (granularity, schedule, active, …): by day and not scheduled unless given. */
  [field: string]: unknown;
}

export interface LibrisWorld extends Stack {
  sigel: string;
  apiKey: string;
  /** The simulator's Libris accepts `apiKey` for `sigel` too. */
  addKey(sigel: string, apiKey: string): Promise<void>;
  /** A Libris profile on the simulator, MAIN mapped to its sigel: the profile as created. */
  createLibrisProfile(fields: LibrisProfileFields): Promise<any>;
  /** A request in the simulator's Libris, created on `created` (YYYY-MM-DD): the request as Libris keeps it (`lf_number`, …). */
  addRequest(created: string, record: Record<string, unknown>, sigel?: string): Promise<any>;
  /** Requests the simulator makes up: `count` between `from` and `to`, `unknownSigelShare` of them from lenders nobody knows (the simulator's default share unless given). */
  generate(options: { count: number; from: string; to: string; seed: number; unknownSigelShare?: number; sigel?: string }): Promise<void>;
  /** The Libris calls the simulator received since they were last cleared. */
  calls(): Promise<any[]>;
  clearCalls(): Promise<void>;
  /** What the calls since they were last cleared read one by one (not by window): the ids they named. */
  singleReads(): Promise<string[]>;
}

export async function startLibrisWorld(options: StackOptions & { sigel?: string; apiKey?: string } = {}): Promise<LibrisWorld> {
  const { sigel = 'Hig', apiKey = 'k', ...stackOptions } = options;
  const stack = await startStack(stackOptions);
  const { simApi } = stack;
  const calls = async () => (await simApi('GET', '/_sim/libris/calls')).body.calls as any[];
  const world: LibrisWorld = {
    ...stack,
    sigel,
    apiKey,
    async addKey(keySigel, key) {
      expectStatus(`Libris key of ${keySigel}`, await simApi('POST', '/_sim/libris/keys', { sigel: keySigel, apiKey: key }), 204);
    },
    createLibrisProfile({ sigel: profileSigel = sigel, apiKey: key = apiKey, ...fields }) {
      return stack.createProfile({
        integrationType: 'RESOURCE_SHARING',
        system: 'LIBRIS',
        baseUrl: `${stack.sim.url}/libris/api`,
        libraryCode: profileSigel,
        resourceSharingLibraryCode: 'MAIN',
        authentication: { enabled: true, apiKey: key },
        granularity: 'DAY',
        schedule: { type: 'NOT_SCHEDULED' },
        ...fields,
      });
    },
    async addRequest(created, record, requestSigel = sigel) {
      return expectStatus('Libris request', await simApi('POST', '/_sim/libris/requests', { sigel: requestSigel, created, record }), 201).body;
    },
    async generate({ sigel: generatedSigel = sigel, ...rest }) {
      expectStatus('generated Libris requests', await simApi('POST', '/_sim/libris/generate', { sigel: generatedSigel, ...rest }), 201);
    },
    calls,
    async clearCalls() {
      await simApi('DELETE', '/_sim/libris/calls');
    },
    async singleReads() {
      return (await calls())
        .map((call) => String(call.path))
        .filter((path) => !path.endsWith('/outgoing'))
        .map((path) => decodeURIComponent(path.split('/').at(-1)!));
    },
  };
  try {
    await world.addKey(sigel, apiKey);
    await world.addLibrary('MAIN', 'Huvudbiblioteket');
  } catch (error) {
    await world.close().catch(() => undefined);
    throw error;
  }
  return world;
}
