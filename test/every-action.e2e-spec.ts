import { INestApplication } from '@nestjs/common';
import { eventually, jsonClient, TEST_ADMIN_KEY } from '@illbridge/testing';
import { NACSIS_SIDE_ACTIONS } from '@illbridge/workflow';
import { createActionPushApp } from '../apps/action-push/src/main';
import { PushSettings } from '../apps/action-push/src/push-settings';
import { Direction, NacsisWorld, PARTNER, Service, startNacsisWorld, US } from './support/nacsis-fixtures';

/** Every staff action of both sides pushed end to end to the NACSIS-ILL simulator at least once: each course
 *  starts from a record in a given STAT, takes its actions through the API, waits until the push worker has sent
 *  them, and checks the simulator's record (STAT, its history of commands, the CATP fields the command carries). */
describe('every staff action, pushed to NACSIS-ILL (end to end)', () => {
  const THIRD = 'FA300003';
  let world: NacsisWorld;
  let app: INestApplication;
  let api: ReturnType<typeof jsonClient>;
  const taken = new Set<string>();

  interface Step {
    action: string;
    note?: string;
    fields?: Record<string, unknown>;
    /** The command NACSIS receives, and the STAT the simulator's record is in after it. */
    command: string;
    stat: string;
  }
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
      steps: [
        { action: 'ACCEPT', command: 'RECEIVE', stat: '到着処理中' },
        { action: 'RECEIVE', command: 'OK', stat: '確認' },
        { action: 'CALLBACK', command: 'CALLBACK', stat: '到着処理中' },
      ],
    },
    {
      name: 'borrower, loan: ACCEPT, RECEIVE (borrow), RENEW',
      direction: 'BORROWING',
      from: '発送',
      service: 'LOAN',
      steps: [
        { action: 'ACCEPT', command: 'RECEIVE', stat: '到着処理中' },
        { action: 'RECEIVE', command: 'BORROW', stat: '借用中' },
        { action: 'RENEW', command: 'RENEW', stat: '更新請求' },
      ],
    },
    {
      name: 'borrower, loan: RETURN what we borrowed',
      direction: 'BORROWING',
      from: '借用中',
      service: 'LOAN',
      steps: [{ action: 'RETURN', command: 'SENDBACK', stat: '返送' }],
    },
    {
      name: 'borrower: CLAIM with a note (CMMNT)',
      direction: 'BORROWING',
      from: '到着処理中',
      steps: [{ action: 'CLAIM', note: '2 pages are missing', command: 'CLAIM', stat: 'クレーム未処理' }],
      check: (record) => expect(record.history.at(-1)).toMatchObject({ command: 'CLAIM', participantId: US, comment: '2 pages are missing' }),
    },
    {
      name: "borrower: ACCEPT the lender's inquiry, ANSWER it",
      direction: 'BORROWING',
      from: '新着照会',
      steps: [
        { action: 'ACCEPT', command: 'RECEIVE', stat: '照会' },
        { action: 'ANSWER', note: 'Any edition will do', command: 'ANSWER', stat: '回答待' },
      ],
    },
    {
      name: 'borrower: FORWARD to the next candidate',
      direction: 'BORROWING',
      from: '照会',
      candidates: [PARTNER, THIRD],
      steps: [{ action: 'FORWARD', command: 'FORWARD', stat: '未処理' }],
      check: (record) => expect(record.lenderId).toBe(THIRD),
    },
    {
      name: 'borrower: CANCEL, REACTIVATE, SEND (order again)',
      direction: 'BORROWING',
      from: '照会',
      steps: [
        { action: 'CANCEL', command: 'CANCEL', stat: 'CANCEL' },
        { action: 'REACTIVATE', command: 'CALLBACK', stat: '準備中' },
        { action: 'SEND', command: 'ORDER', stat: '未処理' },
      ],
    },
    {
      name: 'lender: ACCEPT, SHIP with charges (SUM computed), CALLBACK the shipment',
      direction: 'LENDING',
      from: '未処理',
      steps: [
        { action: 'ACCEPT', command: 'RECEIVE', stat: '処理中' },
        { action: 'SHIP', fields: { charges: [{ item: 'A4', quantity: 8, unitPrice: 35 }], fee: 100, postage: 84 }, command: 'SEND', stat: '発送' },
        { action: 'CALLBACK', command: 'CALLBACK', stat: '処理中' },
      ],
      check: (record) => expect(record.fields.SUM).toBe('464'),
    },
    {
      name: 'lender: REJECT with a note (CMMNT); no next candidate, so back to the borrower',
      direction: 'LENDING',
      from: '処理中',
      steps: [{ action: 'REJECT', note: 'Not on shelf', command: 'PARDON', stat: '新着照会' }],
      check: (record) => expect(record.history.at(-1)).toMatchObject({ command: 'PARDON', participantId: US, comment: 'Not on shelf' }),
    },
    {
      name: 'lender: INQUIRY while processing',
      direction: 'LENDING',
      from: '処理中',
      steps: [{ action: 'INQUIRY', note: 'Which volume?', command: 'INQUIRE', stat: '新着照会' }],
    },
    {
      name: 'lender, loan: ACCEPT the return, CHECK_IN',
      direction: 'LENDING',
      from: '返送',
      service: 'LOAN',
      steps: [
        { action: 'ACCEPT', command: 'RECEIVE', stat: '返却処理中' },
        { action: 'CHECK_IN', command: 'OK', stat: '返却確認' },
      ],
    },
    {
      name: 'lender, loan: INQUIRY about a return (CLAIM)',
      direction: 'LENDING',
      from: '返却処理中',
      service: 'LOAN',
      steps: [{ action: 'INQUIRY', note: 'The cover is torn', command: 'CLAIM', stat: '返却クレーム未処理' }],
    },
  ];

  beforeAll(async () => {
    world = await startNacsisWorld();
    expect((await world.simApi('POST', '/_sim/nacsis/participants', { participantId: THIRD, name: '第三大学図書館' })).status).toBe(201);
    app = await createActionPushApp(world.config, new PushSettings({ backoffBaseMs: 20, backoffCapMs: 200, httpTimeoutMs: 3000, sweepIntervalMs: 500 }));
    await app.listen(0, '127.0.0.1');
    api = jsonClient((await app.getUrl()).replace('[::1]', '127.0.0.1'), TEST_ADMIN_KEY);
  });

  afterAll(async () => {
    await app?.close();
    await world?.close();
  });

  it.each(courses.map((course) => [course.name, course] as const))('%s', async (_name, course) => {
    const seeded = await world.seed(course.direction, course.from, course.service ?? 'COPY', { candidates: course.candidates });
    const before = (await world.simRecord(seeded.recordId)).history.length;
    for (const step of course.steps) {
      const answer = await api('POST', `/api/requests/${seeded.requestId}/actions`, { action: step.action, ...(step.note ? { note: step.note } : {}), ...(step.fields ? { fields: step.fields } : {}) });
      expect({ step: step.action, status: answer.status, body: answer.status === 202 ? null : answer.body }).toEqual({ step: step.action, status: 202, body: null });
      expect(answer.body.action).toMatchObject({ action: step.action, nacsisCommand: step.command });
      taken.add(`${course.direction === 'BORROWING' ? 'BORROWER' : 'LENDER'}:${step.action}`);
      // Each step waits for its push, so the next one is judged on what NACSIS has.
      const record = await eventually(
        async () => {
          const actions = await world.actionsOf(seeded.requestId);
          const current = actions.at(-1);
          if (current?.state === 'FAILED') throw new Error(`${step.action} failed: ${current.last_error}`);
          return current?.state === 'SENT' ? world.simRecord(seeded.recordId) : null;
        },
        20_000,
        `${step.action} to be pushed`,
      );
      expect({ step: step.action, stat: record.stat }).toEqual({ step: step.action, stat: step.stat });
      const request = await world.requestRow(seeded.requestId);
      expect(request.external_system_status).toBe(step.stat);
    }
    const record = await world.simRecord(seeded.recordId);
    // Our commands reached NACSIS once each, in order, as ours.
    expect(record.history.slice(before).map((h: any) => `${h.command}:${h.participantId}`)).toEqual(course.steps.map((s) => `${s.command}:${US}`));
    expect((await world.actionsOf(seeded.requestId)).map((a) => a.state)).toEqual(course.steps.map(() => 'SENT'));
    course.check?.(record);
  });

  it('covered every staff action of both sides', () => {
    const all = [...NACSIS_SIDE_ACTIONS.BORROWER.map((a) => `BORROWER:${a}`), ...NACSIS_SIDE_ACTIONS.LENDER.map((a) => `LENDER:${a}`)];
    expect(all.filter((a) => !taken.has(a))).toEqual([]);
  });
});
