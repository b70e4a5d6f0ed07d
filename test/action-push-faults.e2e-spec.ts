import { INestApplication } from '@nestjs/common';
import { resolve } from 'path';
import { eventually, jsonClient, serviceEnv, TEST_ADMIN_KEY, wipeQueuePrefix } from '@illbridge/testing';
import { createActionPushApp } from '../apps/action-push/src/main';
import { PushSettings } from '../apps/action-push/src/push-settings';
import { freePort, RunningService, startService, waitForHealth } from '../scripts/lib/services';
import { faultScale } from './faults/scale';
import { Direction, NacsisWorld, Seeded, Service, SimCall, spcCallsOf, startNacsisWorld } from './support/nacsis-fixtures';
import { urlOf } from './support/stack';

/** action-push under faults, end to end: many actions pushed while NACSIS fails and hangs, and a
 *  worker killed (SIGKILL) in the middle of a drain with Redis wiped afterwards. In both, every action
 *  ends SENT, each record's history (SENDG) holds exactly our commands in order, and no command reaches
 *  NACSIS twice (the simulator's call log: one successful SERVERPROCEDURECALL per action). */
describe('action-push under faults (end to end)', () => {
  let world: NacsisWorld;
  let app: INestApplication | undefined;
  let worker: RunningService | undefined;
  const logDir = resolve(__dirname, '..', 'test-artifacts', 'action-push-faults');

  /** A staff action and the NACSIS command (with who sends it) it must lead to. */
  interface Step {
    body: Record<string, unknown>;
    command: string;
  }
  interface Plan {
    direction: Direction;
    service: Service;
    stat: string;
    /** The record's history as seeded: `COMMAND:US|P`. */
    seededHistory: string[];
    steps: Step[];
    finalStat: string;
  }
  interface Case {
    seeded: Seeded;
    plan: Plan;
  }

  const ship = (postage: number) => ({ action: 'SHIP', fields: { charges: [{ item: 'A4', quantity: 2, unitPrice: 30 }], postage } });
  /** Lender, copy: ACCEPT, SHIP, CALLBACK (of the shipment), SHIP again: 4 actions. */
  const LENDING_COPY_4: Plan = {
    direction: 'LENDING',
    service: 'COPY',
    stat: '未処理',
    seededHistory: ['ORDER:P'],
    steps: [
      { body: { action: 'ACCEPT' }, command: 'RECEIVE' },
      { body: ship(84), command: 'SEND' },
      { body: { action: 'CALLBACK' }, command: 'CALLBACK' },
      { body: ship(100), command: 'SEND' },
    ],
    finalStat: '発送',
  };
  /** Borrower, loan: ACCEPT, RECEIVE (BORROW), RENEW, CALLBACK (of the renewal): 4 actions. */
  const BORROWING_LOAN_4: Plan = {
    direction: 'BORROWING',
    service: 'LOAN',
    stat: '発送',
    seededHistory: ['ORDER:US', 'RECEIVE:P', 'SEND:P'],
    steps: [
      { body: { action: 'ACCEPT' }, command: 'RECEIVE' },
      { body: { action: 'RECEIVE' }, command: 'BORROW' },
      { body: { action: 'RENEW' }, command: 'RENEW' },
      { body: { action: 'CALLBACK' }, command: 'CALLBACK' },
    ],
    finalStat: '借用中',
  };
  /** Borrower, copy: ACCEPT, RECEIVE (OK), CALLBACK (of the OK), RECEIVE (OK) again: 4 actions. */
  const BORROWING_COPY_4: Plan = {
    direction: 'BORROWING',
    service: 'COPY',
    stat: '発送',
    seededHistory: ['ORDER:US', 'RECEIVE:P', 'SEND:P'],
    steps: [
      { body: { action: 'ACCEPT' }, command: 'RECEIVE' },
      { body: { action: 'RECEIVE' }, command: 'OK' },
      { body: { action: 'CALLBACK' }, command: 'CALLBACK' },
      { body: { action: 'RECEIVE' }, command: 'OK' },
    ],
    finalStat: '確認',
  };
  /** Lender, copy: ACCEPT, SHIP, CALLBACK: 3 actions. */
  const LENDING_COPY_3: Plan = { ...LENDING_COPY_4, steps: LENDING_COPY_4.steps.slice(0, 3), finalStat: '処理中' };
  /** Borrower, loan: ACCEPT, RECEIVE (BORROW), RETURN (SENDBACK): 3 actions. */
  const BORROWING_LOAN_3: Plan = {
    ...BORROWING_LOAN_4,
    steps: [...BORROWING_LOAN_4.steps.slice(0, 2), { body: { action: 'RETURN' }, command: 'SENDBACK' }],
    finalStat: '返送',
  };

  const seedAll = async (plans: Plan[]): Promise<Case[]> => {
    const cases: Case[] = [];
    for (const plan of plans) cases.push({ seeded: await world.seed(plan.direction, plan.stat, plan.service), plan });
    return cases;
  };
  /** Takes every case's actions: the cases at once, each case's actions one after the other. */
  const takeAll = (api: ReturnType<typeof jsonClient>, cases: Case[]) =>
    Promise.all(
      cases.map(async ({ seeded, plan }) => {
        for (const [index, step] of plan.steps.entries()) {
          const taken = await api('POST', `/api/requests/${seeded.requestId}/actions`, step.body);
          if (taken.status !== 202) throw new Error(`${plan.direction} ${plan.service} #${index + 1} ${JSON.stringify(step.body)}: HTTP ${taken.status} ${JSON.stringify(taken.body)}`);
        }
      }),
    );
  const states = async (cases: Case[]): Promise<Record<string, number>> => {
    const { rows } = await world.pg.query(`SELECT state, count(*)::int AS n FROM outbound_action WHERE request_id = ANY($1) GROUP BY state`, [cases.map((c) => c.seeded.requestId)]);
    return Object.fromEntries(rows.map((r) => [r.state, r.n]));
  };
  const allSent = (cases: Case[], total: number, timeoutMs: number) =>
    eventually(
      async () => {
        const counts = await states(cases);
        return counts.SENT === total && Object.keys(counts).length === 1 ? counts : null;
      },
      timeoutMs,
      `all ${total} actions to be SENT`,
    );
  /** Each record: its history is the seeded one followed by our commands in order, each command was
   *  carried out by exactly one successful SERVERPROCEDURECALL, the request is IN_SYNC at the final STAT. */
  const expectExactlyOnceInOrder = async (cases: Case[], calls: SimCall[]) => {
    const mismatches: unknown[] = [];
    for (const { seeded, plan } of cases) {
      const expectedCommands = plan.steps.map((s) => s.command);
      const history = await world.history(seeded.recordId);
      const applied = spcCallsOf(calls, seeded.recordId)
        .filter((c) => c.endsWith(':200'))
        .map((c) => c.slice(0, -4));
      const actions = await world.actionsOf(seeded.requestId);
      const request = await world.requestRow(seeded.requestId);
      const got = {
        history,
        applied,
        actions: actions.map((a) => [a.seq, a.nacsis_command, a.state]),
        request: { sync_state: request.sync_state, external_system_status: request.external_system_status },
      };
      const want = {
        history: [...plan.seededHistory, ...expectedCommands.map((c) => `${c}:US`)],
        applied: expectedCommands,
        actions: expectedCommands.map((c, i) => [i + 1, c, 'SENT']),
        request: { sync_state: 'IN_SYNC', external_system_status: plan.finalStat },
      };
      if (JSON.stringify(got) !== JSON.stringify(want)) mismatches.push({ recordId: seeded.recordId, requestId: seeded.requestId, got, want });
    }
    expect(mismatches).toEqual([]);
  };

  beforeAll(async () => {
    world = await startNacsisWorld();
  });

  afterAll(async () => {
    await worker?.stop('SIGKILL');
    await app?.close();
    await world?.close();
  });

  it(`${200 * faultScale(1, 5)} actions over ${50 * faultScale(1, 5)} requests, with 30% of NACSIS calls failing and others timing out, all end SENT, each request in order, none twice`, async () => {
    const scale = faultScale(1, 5); // npm run test:faults: 1,000 actions over 250 requests
    const plans = [
      ...Array.from({ length: 25 * scale }, () => LENDING_COPY_4),
      ...Array.from({ length: 20 * scale }, () => BORROWING_LOAN_4),
      ...Array.from({ length: 5 * scale }, () => BORROWING_COPY_4),
    ];
    const cases = await seedAll(plans);
    const total = cases.reduce((n, c) => n + c.plan.steps.length, 0);
    expect([cases.length, total]).toEqual([50 * scale, 200 * scale]);

    app = await createActionPushApp(
      world.config,
      new PushSettings({ httpTimeoutMs: 800, backoffBaseMs: 20, backoffCapMs: 200, leaseMs: 10_000, lockDurationMs: 10_000, sweepIntervalMs: 500, concurrency: 8 }),
    );
    await app.listen(0, '127.0.0.1');
    const api = jsonClient(await urlOf(app), TEST_ADMIN_KEY);
    await world.simApi('DELETE', '/_sim/nacsis/calls');
    // Every CATP call (GETHANDLE, SEARCH, RETRIEVE, SPC): 5% never answered (the client gives up after 800 ms), 30% answer 503.
    expect((await world.simApi('POST', '/_sim/faults/nacsis', { failShare: 0.3, failStatus: 503, hangShare: 0.05, seed: 11, latencyMs: 10 })).status).toBe(200);
    let faults: any;
    try {
      await takeAll(api, cases);
      // Generous under CPU load: with 800 ms timeouts, a starved machine turns answers into timeouts and more retries.
      await allSent(cases, total, faultScale(150_000, 300_000));
    } finally {
      faults = (await world.simApi('GET', '/_sim/faults/nacsis')).body;
      await world.simApi('DELETE', '/_sim/faults/nacsis');
      await app.close();
      app = undefined;
    }
    // The faults did happen: failures, hangs, and actions that needed more than one attempt.
    const counts = faults.counts;
    expect(counts.failed).toBeGreaterThan(50);
    expect(counts.hung).toBeGreaterThan(3);
    const calls = await world.calls();
    const retried = await world.pg.query(
      `SELECT count(*) FILTER (WHERE attempts > 1)::int AS retried, count(*) FILTER (WHERE last_error LIKE '%timeout%')::int AS timed_out
         FROM outbound_action WHERE request_id = ANY($1)`,
      [cases.map((c) => c.seeded.requestId)],
    );
    expect(retried.rows[0].retried).toBeGreaterThan(20);
    expect(retried.rows[0].timed_out).toBeGreaterThan(0);

    await expectExactlyOnceInOrder(cases, calls);
  }, faultScale(180_000, 400_000));

  it('a worker killed (SIGKILL) mid-drain, with Redis wiped, loses no action and applies none twice', async () => {
    const plans = [...Array.from({ length: 10 }, () => LENDING_COPY_3), ...Array.from({ length: 10 }, () => BORROWING_LOAN_3)];
    const cases = await seedAll(plans);
    const total = cases.reduce((n, c) => n + c.plan.steps.length, 0);
    expect([cases.length, total]).toEqual([20, 60]);
    const { config } = world;
    const spawnWorker = async () =>
      startService(
        'action-push',
        serviceEnv(config, {
          PUSH_CONCURRENCY: '3',
          PUSH_LEASE_MS: '2000',
          PUSH_LOCK_MS: '5000',
          PUSH_BACKOFF_MS: '20',
          PUSH_BACKOFF_CAP_MS: '200',
          PUSH_HTTP_TIMEOUT_MS: '3000',
          PUSH_SWEEP_MS: '500',
        }),
        { port: await freePort(), logDir },
      );
    // Every CATP call takes 200 ms, so that the drain is slow and the kill lands in the middle of a call.
    const latencyMs = 200;
    expect((await world.simApi('POST', '/_sim/faults/nacsis', { latencyMs })).status).toBe(200);
    const recordIds = new Set(cases.map((c) => c.seeded.recordId));
    // A command of ours that the simulator (in this process) has received and will carry out when its latency is over:
    // received less than half the latency ago, so that it is still waiting when the worker is killed a moment later.
    const commandInSimulator = (calls: SimCall[]) =>
      calls.some((c) => c.method === 'SERVERPROCEDURECALL' && c.httpStatus === null && recordIds.has(c.id ?? '') && Date.now() - Date.parse(c.at) < latencyMs / 2);
    try {
      worker = await spawnWorker();
      await waitForHealth(worker);
      await takeAll(jsonClient(worker.url, TEST_ADMIN_KEY), cases);
      await eventually(
        async () => {
          const counts = await states(cases);
          return (counts.SENT ?? 0) >= 15 && (counts.SENDING ?? 0) > 0 && commandInSimulator(await world.calls()) ? counts : null;
        },
        30_000,
        'a third of the actions SENT and a command in the simulator',
      );
      worker.process.kill('SIGKILL');
      await worker.stop();
      worker = undefined;
      const atKill = await states(cases);
      expect(atKill.SENT).toBeGreaterThanOrEqual(15);
      expect(atKill.SENT).toBeLessThan(total);
      expect(atKill.SENDING ?? 0).toBeGreaterThan(0);

      // Redis loses every job; only Postgres knows what is left. A new worker takes over.
      await wipeQueuePrefix(config.redisUrl, config.queuePrefix);
      worker = await spawnWorker();
      await waitForHealth(worker);
      await allSent(cases, total, 45_000);
    } finally {
      await world.simApi('DELETE', '/_sim/faults/nacsis');
      await worker?.stop('SIGKILL');
      worker = undefined;
    }
    // The command in the simulator at the kill was carried out: the new worker found it on the record instead of sending it again.
    const recovered = await world.pg.query(
      `SELECT count(*)::int AS n FROM request_event WHERE type = 'ACTION_PUSHED' AND (data->>'recovered')::boolean AND request_id = ANY($1)`,
      [cases.map((c) => c.seeded.requestId)],
    );
    expect(recovered.rows[0].n).toBeGreaterThan(0);
    const pushed = await world.pg.query(`SELECT count(*)::int AS n FROM request_event WHERE type = 'ACTION_PUSHED' AND request_id = ANY($1)`, [cases.map((c) => c.seeded.requestId)]);
    expect(pushed.rows[0].n).toBe(total);

    await expectExactlyOnceInOrder(cases, await world.calls());
  }, 90_000);
});
