import type { Format } from '../vocabulary';
import {
  NACSIS_ACTIONS,
  NACSIS_ACTION_TABLE,
  actionContextFor,
  allowedActions,
  evaluateAction,
  isNacsisAction,
  projectState,
} from './actions';
import type { NacsisAction, NacsisActionContext } from './actions';
import { CATP_STATE_TABLE } from './state-table';
import type { NacsisCommand, NacsisRecordState } from './state-table';
import { NACSIS_STATS } from './states';
import type { NacsisSide, NacsisStat } from './states';

/** nacsis-ill.md §2, written out by hand: per side and STAT, what each allowed action sends and
 *  where it leads. `[command, toStat]` holds for both formats; `{ COPY, LOAN }` per format. A CALLBACK
 *  (or REACTIVATE by CALLBACK) is expected with our own `lastCommand` of `OWN_LAST_COMMAND`. */
type Outcome = readonly [NacsisCommand, NacsisStat];
type Expected = Partial<Record<NacsisAction, Outcome | Partial<Record<Format, Outcome>>>>;

const EXPECTED: Record<NacsisSide, Record<NacsisStat, Expected>> = {
  BORROWER: {
    '準備中': { SEND: ['ORDER', '未処理'], CANCEL: ['CANCEL', 'CANCEL'] },
    '未処理': { CALLBACK: ['CALLBACK', '準備中'] },
    '処理中': {},
    '新着照会': { ACCEPT: ['RECEIVE', '照会'] },
    '照会': { ANSWER: ['ANSWER', '回答待'], FORWARD: ['FORWARD', '未処理'], CANCEL: ['CANCEL', 'CANCEL'], REACTIVATE: ['RETRY', '準備中'] },
    '回答待': { CALLBACK: ['CALLBACK', '照会'] },
    '発送': { ACCEPT: ['RECEIVE', '到着処理中'] },
    '到着処理中': { RECEIVE: { COPY: ['OK', '確認'], LOAN: ['BORROW', '借用中'] }, CLAIM: ['CLAIM', 'クレーム未処理'] },
    'クレーム未処理': { CALLBACK: ['CALLBACK', '到着処理中'] },
    'クレーム回答待': { ACCEPT: ['RECEIVE', '到着処理中'] },
    '確認': { CALLBACK: ['CALLBACK', '到着処理中'] },
    '借用中': { RETURN: ['SENDBACK', '返送'], RENEW: ['RENEW', '更新請求'], CALLBACK: ['CALLBACK', '到着処理中'] },
    '更新請求': { CALLBACK: ['CALLBACK', '借用中'] },
    '返送': { CALLBACK: ['CALLBACK', '借用中'] },
    '返却処理中': {},
    '返却クレーム未処理': { ACCEPT: ['RECEIVE', '借用中'] },
    '返却確認': {},
    CANCEL: { REACTIVATE: ['CALLBACK', '準備中'], CALLBACK: ['CALLBACK', '準備中'] },
    '外部依頼中': {},
  },
  LENDER: {
    '準備中': {},
    '未処理': { ACCEPT: ['RECEIVE', '処理中'] },
    '処理中': { SHIP: ['SEND', '発送'], INQUIRY: ['INQUIRE', '新着照会'], REJECT: ['PARDON', '未処理'] },
    '新着照会': { CALLBACK: ['CALLBACK', '処理中'] },
    '照会': {},
    '回答待': { ACCEPT: ['RECEIVE', '処理中'] },
    '発送': { CALLBACK: ['CALLBACK', '処理中'] },
    '到着処理中': {},
    'クレーム未処理': { ACCEPT: ['RECEIVE', '処理中'] },
    'クレーム回答待': { CALLBACK: ['CALLBACK', '処理中'] },
    '確認': {},
    '借用中': {},
    '更新請求': { ACCEPT: ['RECEIVE', '返却処理中'] },
    '返送': { ACCEPT: ['RECEIVE', '返却処理中'] },
    '返却処理中': { CHECK_IN: { LOAN: ['OK', '返却確認'] }, INQUIRY: ['CLAIM', '返却クレーム未処理'] },
    '返却クレーム未処理': { CALLBACK: ['CALLBACK', '返却処理中'] },
    '返却確認': { CALLBACK: ['CALLBACK', '返却処理中'] },
    CANCEL: {},
    '外部依頼中': {},
  },
};

/** The command of ours that a CALLBACK from this STAT undoes. */
const OWN_LAST_COMMAND: Record<NacsisSide, Partial<Record<NacsisStat, NacsisCommand>>> = {
  BORROWER: { '未処理': 'ORDER', '回答待': 'ANSWER', 'クレーム未処理': 'CLAIM', '確認': 'OK', '借用中': 'BORROW', '更新請求': 'RENEW', '返送': 'SENDBACK', CANCEL: 'CANCEL' },
  LENDER: { '新着照会': 'INQUIRE', '発送': 'SEND', 'クレーム回答待': 'SEND', '返却クレーム未処理': 'CLAIM', '返却確認': 'OK' },
};

/** The order in which allowed actions are listed. */
const ORDER: Record<NacsisSide, readonly NacsisAction[]> = {
  BORROWER: ['ACCEPT', 'RECEIVE', 'RETURN', 'RENEW', 'CLAIM', 'ANSWER', 'FORWARD', 'SEND', 'CANCEL', 'REACTIVATE', 'CALLBACK'],
  LENDER: ['ACCEPT', 'SHIP', 'CHECK_IN', 'INQUIRY', 'REJECT', 'CALLBACK'],
};

const ALL_ACTIONS: readonly NacsisAction[] = ['ACCEPT', 'RECEIVE', 'RETURN', 'RENEW', 'CLAIM', 'ANSWER', 'FORWARD', 'SEND', 'CANCEL', 'REACTIVATE', 'CALLBACK', 'SHIP', 'CHECK_IN', 'INQUIRY', 'REJECT'];
const SIDES: readonly NacsisSide[] = ['BORROWER', 'LENDER'];
const FORMATS: readonly Format[] = ['COPY', 'LOAN'];

function expectedOutcome(side: NacsisSide, stat: NacsisStat, format: Format, action: NacsisAction): Outcome | undefined {
  const entry = EXPECTED[side][stat][action];
  if (entry === undefined || Array.isArray(entry)) return entry as Outcome | undefined;
  return (entry as Partial<Record<Format, Outcome>>)[format];
}

function ctxFor(side: NacsisSide, stat: NacsisStat, format: Format, extra: Partial<NacsisActionContext> = {}): NacsisActionContext {
  const own = OWN_LAST_COMMAND[side][stat];
  return {
    side,
    stat,
    format,
    ourParticipantId: 'FA012345',
    lastCommand: own && { command: own, by: 'US' },
    candidatesLeft: 2,
    ...extra,
  };
}

describe('NACSIS staff actions (nacsis-ill.md §2)', () => {
  it('covers every STAT of both sides in the expected table', () => {
    for (const side of SIDES) expect(Object.keys(EXPECTED[side]).sort()).toEqual([...NACSIS_STATS].sort());
    expect([...NACSIS_ACTIONS].sort()).toEqual([...ALL_ACTIONS].sort());
  });

  describe.each(SIDES)('%s', (side) => {
    describe.each(FORMATS)('%s', (format) => {
      const cases = NACSIS_STATS.flatMap((stat) => ALL_ACTIONS.map((action) => [stat, action] as const));

      it.each(cases)('%s × %s', (stat, action) => {
        const allowed = ORDER[side].filter((candidate) => expectedOutcome(side, stat, format, candidate) !== undefined);
        const expected = expectedOutcome(side, stat, format, action);
        const result = evaluateAction(ctxFor(side, stat, format), action);
        if (expected) {
          expect(result).toEqual({ allowed: true, action, command: expected[0], toStat: expected[1], noteRequired: action === 'CLAIM' || action === 'REJECT', passedOn: action === 'REJECT' });
        } else {
          expect(result).toEqual({
            allowed: false,
            message: `NACSIS Action Not Allowed: ${action} is not allowed while the request is ${stat} (allowed: ${allowed.join(', ') || 'none'})`,
            allowedActions: allowed,
          });
        }
      });

      it.each([...NACSIS_STATS])('allowedActions from %s', (stat) => {
        const expected = ORDER[side].filter((action) => expectedOutcome(side, stat, format, action) !== undefined);
        expect(allowedActions(ctxFor(side, stat, format))).toEqual(expected);
      });
    });
  });

  it('words a refusal exactly as the product says', () => {
    expect(evaluateAction(ctxFor('LENDER', '未処理', 'COPY'), 'SHIP')).toMatchObject({
      allowed: false,
      message: 'NACSIS Action Not Allowed: SHIP is not allowed while the request is 未処理 (allowed: ACCEPT)',
    });
  });

  it('sends only commands the CATP state table accepts from that side and STAT', () => {
    for (const rule of NACSIS_ACTION_TABLE) {
      const rows = CATP_STATE_TABLE.filter((row) => row.side === rule.side && row.from === rule.from && row.command === rule.command);
      expect(rows.length).toBeGreaterThan(0);
    }
  });

  it('recognises action names', () => {
    expect(isNacsisAction('CHECK_IN')).toBe(true);
    expect(isNacsisAction('check_in')).toBe(false);
    expect(isNacsisAction('COMPLETE')).toBe(false);
  });

  describe('CALLBACK', () => {
    it('is refused when the last command is the partner’s', () => {
      const ctx = ctxFor('BORROWER', '未処理', 'COPY', { lastCommand: { command: 'PARDON', by: 'PARTNER' } });
      expect(evaluateAction(ctx, 'CALLBACK')).toMatchObject({ allowed: false });
      expect(allowedActions(ctx)).toEqual([]);
    });

    it('is refused when the last command is unknown', () => {
      expect(evaluateAction(ctxFor('LENDER', '発送', 'COPY', { lastCommand: undefined }), 'CALLBACK')).toMatchObject({ allowed: false });
    });

    it('from 借用中 undoes only a BORROW, not our RECEIVE of a return claim', () => {
      const afterReceive = ctxFor('BORROWER', '借用中', 'LOAN', { lastCommand: { command: 'RECEIVE', by: 'US' } });
      expect(allowedActions(afterReceive)).toEqual(['RETURN', 'RENEW']);
      const afterBorrow = ctxFor('BORROWER', '借用中', 'LOAN', { lastCommand: { command: 'BORROW', by: 'US' } });
      expect(allowedActions(afterBorrow)).toEqual(['RETURN', 'RENEW', 'CALLBACK']);
    });

    it('cannot call back a CALLBACK', () => {
      const ctx = ctxFor('BORROWER', '借用中', 'LOAN', { lastCommand: { command: 'CALLBACK', by: 'US' } });
      expect(evaluateAction(ctx, 'CALLBACK')).toMatchObject({ allowed: false });
    });

    it('of a lender’s terminal PARDON is allowed while the borrower has not acted', () => {
      const ctx = ctxFor('LENDER', '新着照会', 'COPY', { lastCommand: { command: 'PARDON', by: 'US' } });
      expect(evaluateAction(ctx, 'CALLBACK')).toMatchObject({ allowed: true, command: 'CALLBACK', toStat: '処理中' });
    });
  });

  describe('candidates', () => {
    it('SEND needs a candidate lender', () => {
      const result = evaluateAction(ctxFor('BORROWER', '準備中', 'COPY', { candidatesLeft: 0 }), 'SEND');
      expect(result).toEqual({
        allowed: false,
        message: 'NACSIS Action Not Allowed: SEND is not allowed while the request is 準備中 (allowed: CANCEL)',
        allowedActions: ['CANCEL'],
      });
    });

    it('FORWARD is refused with no candidate left', () => {
      const ctx = ctxFor('BORROWER', '照会', 'LOAN', { candidatesLeft: 0 });
      expect(evaluateAction(ctx, 'FORWARD')).toMatchObject({ allowed: false });
      expect(allowedActions(ctx)).toEqual(['ANSWER', 'CANCEL', 'REACTIVATE']);
    });

    it('FORWARD and SEND are allowed when the candidates are unknown', () => {
      expect(evaluateAction(ctxFor('BORROWER', '照会', 'LOAN', { candidatesLeft: undefined }), 'FORWARD')).toMatchObject({ allowed: true });
      expect(evaluateAction(ctxFor('BORROWER', '準備中', 'LOAN', { candidatesLeft: undefined }), 'SEND')).toMatchObject({ allowed: true });
    });

    it('REJECT by the last candidate sends the record back to the borrower as 新着照会', () => {
      expect(evaluateAction(ctxFor('LENDER', '処理中', 'COPY', { candidatesLeft: 0 }), 'REJECT')).toEqual({
        allowed: true,
        action: 'REJECT',
        command: 'PARDON',
        toStat: '新着照会',
        noteRequired: true,
        passedOn: false,
      });
    });

    it('nothing is allowed on a record our REJECT passed on', () => {
      const ctx = ctxFor('LENDER', '未処理', 'COPY', { passedOn: true });
      expect(allowedActions(ctx)).toEqual([]);
      expect(evaluateAction(ctx, 'ACCEPT')).toMatchObject({
        allowed: false,
        message: 'NACSIS Action Not Allowed: ACCEPT is not allowed while the request is 未処理 (allowed: none)',
      });
    });
  });

  it('nothing is allowed once the history holds 50 entries', () => {
    expect(allowedActions(ctxFor('BORROWER', '発送', 'COPY', { historyLength: 49 }))).toEqual(['ACCEPT']);
    expect(allowedActions(ctxFor('BORROWER', '発送', 'COPY', { historyLength: 50 }))).toEqual([]);
  });

  it('SHIP answers a claim with クレーム回答待 in a claim cycle', () => {
    expect(evaluateAction(ctxFor('LENDER', '処理中', 'COPY', { claimCycle: true }), 'SHIP')).toMatchObject({ command: 'SEND', toStat: 'クレーム回答待' });
  });
});

describe('projectState', () => {
  const base = (extra: Partial<NacsisActionContext>): NacsisActionContext => ({ side: 'BORROWER', stat: '発送', format: 'COPY', ourParticipantId: 'FA012345', ...extra });

  it('lets a borrower ACCEPT a shipment and RECEIVE it back to back', () => {
    const ctx = base({ lastCommand: { command: 'SEND', by: 'PARTNER' } });
    expect(evaluateAction(ctx, 'RECEIVE')).toMatchObject({ allowed: false });
    const projected = projectState(ctx, ['ACCEPT']);
    expect(projected).toMatchObject({ stat: '到着処理中', lastCommand: { command: 'RECEIVE', by: 'US' } });
    expect(evaluateAction(projected, 'RECEIVE')).toMatchObject({ allowed: true, command: 'OK', toStat: '確認' });
    expect(projectState(ctx, ['ACCEPT', 'RECEIVE'])).toMatchObject({ stat: '確認', lastCommand: { command: 'OK', by: 'US' } });
  });

  it('allows CALLBACK of our own pending action', () => {
    const ctx = base({ side: 'LENDER', stat: '未処理', lastCommand: { command: 'ORDER', by: 'PARTNER' } });
    const projected = projectState(ctx, ['ACCEPT', 'SHIP']);
    expect(projected.stat).toBe('発送');
    expect(evaluateAction(projected, 'CALLBACK')).toMatchObject({ allowed: true, toStat: '処理中' });
    expect(projectState(ctx, ['ACCEPT', 'SHIP', 'CALLBACK']).stat).toBe('処理中');
  });

  it('refuses CALLBACK once the partner has acted', () => {
    // We shipped and pushed; the sync shows the borrower has received it since.
    const ctx = base({ side: 'LENDER', stat: '発送', lastCommand: { command: 'SEND', by: 'US' } });
    expect(evaluateAction(ctx, 'CALLBACK')).toMatchObject({ allowed: true });
    const afterPartner = base({ side: 'LENDER', stat: '到着処理中', lastCommand: { command: 'RECEIVE', by: 'PARTNER' } });
    expect(evaluateAction(afterPartner, 'CALLBACK')).toMatchObject({ allowed: false, allowedActions: [] });
  });

  it('stops at the first pending action that would be refused', () => {
    const ctx = base({ lastCommand: { command: 'SEND', by: 'PARTNER' } });
    expect(projectState(ctx, ['RECEIVE', 'ACCEPT'])).toEqual(ctx);
    expect(projectState(ctx, ['ACCEPT', 'RETURN', 'RECEIVE'])).toMatchObject({ stat: '到着処理中' });
  });

  it('counts candidates down as the record moves along them', () => {
    const draft = base({ stat: '準備中', candidatesLeft: 2 });
    const ordered = projectState(draft, ['SEND']);
    expect(ordered).toMatchObject({ stat: '未処理', candidatesLeft: 1 });
    // Called back to a draft, the candidates may be edited: unknown until the next sync.
    expect(projectState(draft, ['SEND', 'CALLBACK'])).toMatchObject({ stat: '準備中', candidatesLeft: undefined });
  });

  it('a REJECT that passes the record on leaves nothing to do', () => {
    const ctx = base({ side: 'LENDER', stat: '処理中', candidatesLeft: 1, lastCommand: { command: 'RECEIVE', by: 'US' } });
    const projected = projectState(ctx, ['REJECT']);
    expect(projected).toMatchObject({ stat: '未処理', passedOn: true, candidatesLeft: 0 });
    expect(allowedActions(projected)).toEqual([]);
    // By the last candidate, it comes back to the borrower and can be called back.
    const last = projectState({ ...ctx, candidatesLeft: 0 }, ['REJECT']);
    expect(last).toMatchObject({ stat: '新着照会', passedOn: false });
    expect(allowedActions(last)).toEqual(['CALLBACK']);
  });

  it('counts the history entries our pending actions add', () => {
    const ctx = base({ lastCommand: { command: 'SEND', by: 'PARTNER' }, historyLength: 48 });
    const projected = projectState(ctx, ['ACCEPT', 'RECEIVE']);
    expect(projected).toMatchObject({ stat: '確認', historyLength: 50 });
    expect(allowedActions(projected)).toEqual([]);
  });

  it('returns the context unchanged with nothing pending', () => {
    const ctx = base({});
    expect(projectState(ctx, [])).toBe(ctx);
  });
});

describe('actionContextFor', () => {
  const record: NacsisRecordState = {
    stat: '処理中',
    service: 'COPY',
    borrowerId: 'FA054321',
    candidates: ['FA067890', 'FA012345', 'FA099999'],
    currentLenderIndex: 1,
    history: [
      { command: 'ORDER', participantId: 'FA054321' },
      { command: 'PARDON', participantId: 'FA067890', comment: '所蔵なし' },
      { command: 'RECEIVE', participantId: 'FA012345' },
    ],
  };

  it('reads the last command, the candidates left and the claim cycle from the record', () => {
    expect(actionContextFor(record, 'LENDER', 'FA012345')).toEqual({
      side: 'LENDER',
      stat: '処理中',
      format: 'COPY',
      ourParticipantId: 'FA012345',
      lastCommand: { command: 'RECEIVE', by: 'US' },
      candidatesLeft: 1,
      claimCycle: false,
      passedOn: false,
      historyLength: 3,
    });
    expect(actionContextFor(record, 'BORROWER', 'FA054321')).toMatchObject({ lastCommand: { command: 'RECEIVE', by: 'PARTNER' }, passedOn: false });
  });

  it('counts every candidate of a draft', () => {
    expect(actionContextFor({ ...record, stat: '準備中', currentLenderIndex: null, history: [] }, 'BORROWER', 'FA054321')).toMatchObject({
      candidatesLeft: 3,
      lastCommand: undefined,
    });
  });

  it('sees that a record passed on is no longer ours to act on', () => {
    expect(actionContextFor(record, 'LENDER', 'FA067890')).toMatchObject({ passedOn: true });
  });

  it('sees a claim cycle', () => {
    const claimed: NacsisRecordState = {
      ...record,
      history: [...record.history, { command: 'SEND', participantId: 'FA012345' }, { command: 'RECEIVE', participantId: 'FA054321' }, { command: 'CLAIM', participantId: 'FA054321' }, { command: 'RECEIVE', participantId: 'FA012345' }],
    };
    const ctx = actionContextFor(claimed, 'LENDER', 'FA012345');
    expect(ctx.claimCycle).toBe(true);
    expect(evaluateAction(ctx, 'SHIP')).toMatchObject({ toStat: 'クレーム回答待' });
  });
});
