import { INestApplication } from '@nestjs/common';
import { eventually, jsonClient, TEST_ADMIN_KEY } from '@illbridge/testing';
import { NACSIS_SIDE_ACTIONS } from '@illbridge/workflow';
import { createActionPushApp } from '../apps/action-push/src/main';
import { PushSettings } from '../apps/action-push/src/push-settings';
import { Direction, NacsisWorld, PARTNER, Service, startNacsisWorld, US } from './support/nacsis-fixtures';
import { urlOf } from './support/stack';

/** Every staff action of both sides pushed end to end to the NACSIS-ILL simulator at least once: each course
 *  starts from a record in a given STAT, takes its actions through the API, waits until the push worker has sent
 *  them, and checks the simulator's record (STAT, its history of commands, the CATP fields the command carries). */
describe('every staff action, pushed to NACSIS-ILL (end to end)', () => {
  const THIRD = 'FA300003';
  let world: NacsisWorld;
  let app: INestApplication;
  let api: ReturnType<typeof jsonClient>;
  const taken = new Set<string>();

  /** A staff action taken, the command NACSIS receives for it and the STAT the simulator's record is in after it;
   *  with the action's note or fields when it has any. */
  type Step = [action: string, command: string, stat: string, extra?: { note?: string; fields?: Record<string, unknown> }];
  interface Course {
    name: string;
    direction: Direction;
    from: string;
    service?: Service;
    candidates?: string[];
    steps: Step[];
    /** What else the simulator's record must show afterwards. */
    check?: (record: any) => void;
  }

  const courses: Course[] = [
    {
      name: 'borrower, copy: ACCEPT the shipment, RECEIVE it, CALLBACK the receipt',
      direction: 'BORROWING',
      from: '発送',
      steps: [['ACCEPT', 'RECEIVE', '到着処理中'], ['RECEIVE', 'OK', '確認'], ['CALLBACK', 'CALLBACK', '到着処理中']],
    },
    {
      name: 'borrower, loan: ACCEPT, RECEIVE (borrow), RENEW',
      direction: 'BORROWING',
      from: '発送',
      service: 'LOAN',
      steps: [['ACCEPT', 'RECEIVE', '到着処理中'], ['RECEIVE', 'BORROW', '借用中'], ['RENEW', 'RENEW', '更新請求']],
    },
    { name: 'borrower, loan: RETURN what we borrowed', direction: 'BORROWING', from: '借用中', service: 'LOAN', steps: [['RETURN', 'SENDBACK', '返送']] },
    {
      name: 'borrower: CLAIM with a note (CMMNT)',
      direction: 'BORROWING',
      from: '到着処理中',
      steps: [['CLAIM', 'CLAIM', 'クレーム未処理', { note: '2 pages are missing' }]],
      check: (record) => expect(record.history.at(-1)).toMatchObject({ command: 'CLAIM', participantId: US, comment: '2 pages are missing' }),
    },
    {
      name: "borrower: ACCEPT the lender's inquiry, ANSWER it",
      direction: 'BORROWING',
      from: '新着照会',
      steps: [['ACCEPT', 'RECEIVE', '照会'], ['ANSWER', 'ANSWER', '回答待', { note: 'Any edition will do' }]],
    },
    {
      name: 'borrower: FORWARD to the next candidate',
      direction: 'BORROWING',
      from: '照会',
      candidates: [PARTNER, THIRD],
      steps: [['FORWARD', 'FORWARD', '未処理']],
      check: (record) => expect(record.lenderId).toBe(THIRD),
    },
    {
      name: 'borrower: CANCEL, REACTIVATE, SEND (order again)',
      direction: 'BORROWING',
      from: '照会',
      steps: [['CANCEL', 'CANCEL', 'CANCEL'], ['REACTIVATE', 'CALLBACK', '準備中'], ['SEND', 'ORDER', '未処理']],
    },
    {
      name: 'lender: ACCEPT, SHIP with charges (SUM computed), CALLBACK the shipment',
      direction: 'LENDING',
      from: '未処理',
      steps: [
        ['ACCEPT', 'RECEIVE', '処理中'],
        ['SHIP', 'SEND', '発送', { fields: { charges: [{ item: 'A4', quantity: 8, unitPrice: 35 }], fee: 100, postage: 84 } }],
        ['CALLBACK', 'CALLBACK', '処理中'],
      ],
      check: (record) => expect(record.fields.SUM).toBe('464'),
    },
    {
      name: 'lender: REJECT with a note (CMMNT); no next candidate, so back to the borrower',
      direction: 'LENDING',
      from: '処理中',
      steps: [['REJECT', 'PARDON', '新着照会', { note: 'Not on shelf' }]],
      check: (record) => expect(record.history.at(-1)).toMatchObject({ command: 'PARDON', participantId: US, comment: 'Not on shelf' }),
    },
    { name: 'lender: INQUIRY while processing', direction: 'LENDING', from: '処理中', steps: [['INQUIRY', 'INQUIRE', '新着照会', { note: 'Which volume?' }]] },
    {
      name: 'lender, loan: ACCEPT the return, CHECK_IN',
      direction: 'LENDING',
      from: '返送',
      service: 'LOAN',
      steps: [['ACCEPT', 'RECEIVE', '返却処理中'], ['CHECK_IN', 'OK', '返却確認']],
    },
    {
      name: 'lender, loan: INQUIRY about a return (CLAIM)',
      direction: 'LENDING',
      from: '返却処理中',
      service: 'LOAN',
      steps: [['INQUIRY', 'CLAIM', '返却クレーム未処理', { note: 'The cover is torn' }]],
    },
  ];

  beforeAll(async () => {
    world = await startNacsisWorld();
    expect((await world.simApi('POST', '/_sim/nacsis/participants', { participantId: THIRD, name: '第三大学図書館' })).status).toBe(201);
    app = await createActionPushApp(world.config, new PushSettings({ backoffBaseMs: 20, backoffCapMs: 200, httpTimeoutMs: 3000, sweepIntervalMs: 500 }));
    await app.listen(0, '127.0.0.1');
    api = jsonClient(await urlOf(app), TEST_ADMIN_KEY);
  });

  afterAll(async () => {
    await app?.close();
    await world?.close();
  });

  it.each(courses.map((course) => [course.name, course] as const))('%s', async (_name, course) => {
    const seeded = await world.seed(course.direction, course.from, course.service ?? 'COPY', { candidates: course.candidates });
    const before = (await world.simRecord(seeded.recordId)).history.length;
    for (const [action, command, stat, extra = {}] of course.steps) {
      const answer = await api('POST', `/api/requests/${seeded.requestId}/actions`, { action, ...extra });
      expect({ step: action, status: answer.status, body: answer.status === 202 ? null : answer.body }).toEqual({ step: action, status: 202, body: null });
      expect(answer.body.action).toMatchObject({ action, nacsisCommand: command });
      taken.add(`${course.direction === 'BORROWING' ? 'BORROWER' : 'LENDER'}:${action}`);
      // Each step waits for its push, so the next one is judged on what NACSIS has.
      const record = await eventually(
        async () => {
          const actions = await world.actionsOf(seeded.requestId);
          const current = actions.at(-1);
          if (current?.state === 'FAILED') throw new Error(`${action} failed: ${current.last_error}`);
          return current?.state === 'SENT' ? world.simRecord(seeded.recordId) : null;
        },
        20_000,
        `${action} to be pushed`,
      );
      expect({ step: action, stat: record.stat }).toEqual({ step: action, stat });
      const request = await world.requestRow(seeded.requestId);
      expect(request.external_system_status).toBe(stat);
    }
    const record = await world.simRecord(seeded.recordId);
    // Our commands reached NACSIS once each, in order, as ours.
    expect(record.history.slice(before).map((h: any) => `${h.command}:${h.participantId}`)).toEqual(course.steps.map(([, command]) => `${command}:${US}`));
    expect((await world.actionsOf(seeded.requestId)).map((a) => a.state)).toEqual(course.steps.map(() => 'SENT'));
    course.check?.(record);
  });

  it('covered every staff action of both sides', () => {
    const all = [...NACSIS_SIDE_ACTIONS.BORROWER.map((a) => `BORROWER:${a}`), ...NACSIS_SIDE_ACTIONS.LENDER.map((a) => `LENDER:${a}`)];
    expect(all.filter((a) => !taken.has(a))).toEqual([]);
  });
});
