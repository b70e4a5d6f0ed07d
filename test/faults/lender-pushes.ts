import { eventually, jsonClient, TEST_ADMIN_KEY } from '@illbridge/testing';
import type { RunningService } from '../../scripts/lib/services';
import { NacsisWorld, Seeded, spcCallsOf } from '../support/nacsis-fixtures';

/** The push workload of the fault tests: lending copy requests (the partner's ORDER on the record), each
 *  taking ACCEPT → RECEIVE, SHIP → SEND, CALLBACK → CALLBACK, and the checks that every action was pushed
 *  once and in order. */
export const LENDER_COPY_STEPS = [
  { body: { action: 'ACCEPT' }, command: 'RECEIVE' },
  { body: { action: 'SHIP', fields: { charges: [{ item: 'A4', quantity: 2, unitPrice: 30 }], postage: 84 } }, command: 'SEND' },
  { body: { action: 'CALLBACK' }, command: 'CALLBACK' },
];

/** action-push for the fault tests: a few drains at a time, short leases and backoff, a frequent sweep. */
export const PUSH_FAULT_ENV = {
  PUSH_CONCURRENCY: '4',
  PUSH_LEASE_MS: '3000',
  PUSH_LOCK_MS: '5000',
  PUSH_BACKOFF_MS: '200',
  PUSH_BACKOFF_CAP_MS: '2000',
  PUSH_HTTP_TIMEOUT_MS: '3000',
  PUSH_SWEEP_MS: '1000',
};

export interface LenderPushes {
  seeded: Seeded[];
  total: number;
  /** Outbound actions of these requests by state. */
  states(): Promise<Record<string, number>>;
  /** Waits until a quarter of the actions are SENT and others are still on their way; answers the counts. */
  underWay(): Promise<Record<string, number>>;
  /** Waits until every action is SENT. */
  allSent(timeoutMs: number): Promise<Record<string, number>>;
  /** Takes every request's actions over the API (requests at once, each one's actions in turn); with several
   *  API URLs (several action-push processes) the actions go to them in turn. */
  takeAll(apiUrl: string | string[], apiKey: string): Promise<void>;
  /** Each record's history is the partner's ORDER then our commands in order, each command reached NACSIS
   *  exactly once (the simulator's call log), every action SENT, every request IN_SYNC, one ACTION_PUSHED
   *  event per action. */
  expectPushedOnceInOrder(): Promise<void>;
}

export async function seedLenderPushes(world: NacsisWorld, requests: number): Promise<LenderPushes> {
  const seeded: Seeded[] = [];
  for (let i = 0; i < requests; i++) seeded.push(await world.seed('LENDING', '未処理', 'COPY'));
  const ids = seeded.map((s) => s.requestId);
  const total = requests * LENDER_COPY_STEPS.length;
  const states = async (): Promise<Record<string, number>> => {
    const { rows } = await world.pg.query(`SELECT state, count(*)::int AS n FROM outbound_action WHERE request_id = ANY($1) GROUP BY state`, [ids]);
    return Object.fromEntries(rows.map((r) => [r.state, r.n]));
  };
  return {
    seeded,
    total,
    states,
    underWay: () =>
      eventually(
        async () => {
          const counts = await states();
          return (counts.SENT ?? 0) >= total / 4 && (counts.SENDING ?? 0) + (counts.PENDING ?? 0) > 0 ? counts : null;
        },
        60_000,
        'a quarter of the actions SENT, others on their way',
      ),
    allSent: (timeoutMs) =>
      eventually(
        async () => {
          const counts = await states();
          return counts.SENT === total && Object.keys(counts).length === 1 ? counts : null;
        },
        timeoutMs,
        `all ${total} actions to be SENT`,
      ),
    async takeAll(apiUrl, apiKey) {
      const apis = [apiUrl].flat().map((url) => jsonClient(url, apiKey));
      await Promise.all(
        seeded.map(async (s, i) => {
          for (const [j, step] of LENDER_COPY_STEPS.entries()) {
            const taken = await apis[(i + j) % apis.length]('POST', `/api/requests/${s.requestId}/actions`, step.body);
            if (taken.status !== 202) throw new Error(`${s.requestId} ${step.body.action}: HTTP ${taken.status} ${JSON.stringify(taken.body)}`);
          }
        }),
      );
    },
    async expectPushedOnceInOrder() {
      const calls = await world.calls();
      const mismatches = [];
      for (const s of seeded) {
        const history = await world.history(s.recordId);
        const applied = spcCallsOf(calls, s.recordId)
          .filter((c) => c.endsWith(':200'))
          .map((c) => c.slice(0, -4));
        const actions = (await world.actionsOf(s.requestId)).map((a) => [a.seq, a.nacsis_command, a.state]);
        const request = await world.requestRow(s.requestId);
        const got = { history, applied, actions, sync: request.sync_state };
        const want = {
          history: ['ORDER:P', ...LENDER_COPY_STEPS.map((st) => `${st.command}:US`)],
          applied: LENDER_COPY_STEPS.map((st) => st.command),
          actions: LENDER_COPY_STEPS.map((st, i) => [i + 1, st.command, 'SENT']),
          sync: 'IN_SYNC',
        };
        if (JSON.stringify(got) !== JSON.stringify(want)) mismatches.push({ requestId: s.requestId, got, want });
      }
      expect(mismatches).toEqual([]);
      const pushed = await world.pg.query(`SELECT count(*)::int AS n FROM request_event WHERE type = 'ACTION_PUSHED' AND request_id = ANY($1)`, [ids]);
      expect(pushed.rows[0].n).toBe(total);
    },
  };
}

/** The push fault tests' common course: `requests` lending requests seeded, every CATP call slowed to 150 ms, action-push
 *  started (`startPush` with PUSH_FAULT_ENV), every action taken, and a quarter of them SENT with others on their way,
 *  ready for the fault. `finish` then waits for every action to be SENT and checks each was pushed once and in order. */
export async function pushesUnderWay(world: NacsisWorld, requests: number, startPush: (env: Record<string, string>) => Promise<RunningService>) {
  const work = await seedLenderPushes(world, requests);
  expect((await world.simApi('POST', '/_sim/faults/nacsis', { latencyMs: 150 })).status).toBe(200);
  await world.simApi('DELETE', '/_sim/nacsis/calls');
  const push = await startPush(PUSH_FAULT_ENV);
  await work.takeAll(push.url, TEST_ADMIN_KEY);
  const atFault = await work.underWay();
  expect(atFault.SENT).toBeLessThan(work.total);
  return {
    work,
    push,
    async finish() {
      expect(await work.allSent(120_000)).toEqual({ SENT: work.total });
      expect(push.process.exitCode).toBeNull(); // the service lived through the fault
      await world.simApi('DELETE', '/_sim/faults/nacsis');
      await work.expectPushedOnceInOrder();
    },
  };
}
