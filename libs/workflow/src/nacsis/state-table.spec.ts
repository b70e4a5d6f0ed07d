import type { Format } from '../vocabulary';
import { CATP_STATE_TABLE, NACSIS_COMMANDS, applyCommand, currentLender, isClaimCycle } from './state-table';
import type { CommandInput, CommandOutcome, NacsisCommand, NacsisHistoryEntry, NacsisRecordState } from './state-table';
import { NACSIS_STATES, NACSIS_STATS } from './states';
import type { NacsisSide, NacsisStat } from './states';

const BORROWER = 'FA054321';
const [L1, L2, L3] = ['FA012345', 'FA067890', 'FA099001'];
const ALL_FIELDS: CommandInput = {
  comment: 'コメント',
  fields: ['ACCT', 'TYPE', 'BIBID', 'ODATE', 'OSTAF', 'OADRS', 'SDATE', 'SUM', 'DDATE'],
};

/** nacsis-catp.md §8 (plus the borrower's CALLBACK of a CLAIM from nacsis-ill.md §2), by hand:
 *  the commands each side may send from each STAT and where they lead, per service when it matters. */
type Target = NacsisStat | Partial<Record<Format, NacsisStat>>;
const VALID: Record<NacsisSide, Partial<Record<NacsisStat, Partial<Record<NacsisCommand, Target>>>>> = {
  BORROWER: {
    '準備中': { ORDER: '未処理', CANCEL: 'CANCEL' },
    '未処理': { CALLBACK: '準備中' },
    '新着照会': { RECEIVE: '照会' },
    '照会': { ANSWER: '回答待', FORWARD: '未処理', CANCEL: 'CANCEL', RETRY: '準備中' },
    '回答待': { CALLBACK: '照会' },
    '発送': { RECEIVE: '到着処理中' },
    '到着処理中': { OK: { COPY: '確認' }, BORROW: { LOAN: '借用中' }, CLAIM: 'クレーム未処理' },
    'クレーム未処理': { CALLBACK: '到着処理中' },
    'クレーム回答待': { RECEIVE: '到着処理中' },
    '確認': { CALLBACK: '到着処理中' },
    '借用中': { SENDBACK: '返送', RENEW: '更新請求', CALLBACK: '到着処理中' },
    '返送': { CALLBACK: '借用中' },
    '更新請求': { CALLBACK: '借用中' },
    '返却クレーム未処理': { RECEIVE: '借用中' },
    CANCEL: { CALLBACK: '準備中' },
  },
  LENDER: {
    '未処理': { RECEIVE: '処理中' },
    '処理中': { SEND: '発送', INQUIRE: '新着照会', PARDON: '未処理' },
    '回答待': { RECEIVE: '処理中' },
    'クレーム未処理': { RECEIVE: '処理中' },
    '発送': { CALLBACK: '処理中' },
    'クレーム回答待': { CALLBACK: '処理中' },
    '新着照会': { CALLBACK: '処理中' },
    '返送': { RECEIVE: '返却処理中' },
    '更新請求': { RECEIVE: '返却処理中' },
    '返却処理中': { OK: { LOAN: '返却確認' }, CLAIM: '返却クレーム未処理' },
    '返却確認': { CALLBACK: '返却処理中' },
    '返却クレーム未処理': { CALLBACK: '返却処理中' },
  },
};

/** The caller's own last command that a CALLBACK from this STAT undoes. */
const UNDONE: Record<NacsisSide, Partial<Record<NacsisStat, NacsisCommand>>> = {
  BORROWER: { '未処理': 'ORDER', '回答待': 'ANSWER', 'クレーム未処理': 'CLAIM', '確認': 'OK', '借用中': 'BORROW', '返送': 'SENDBACK', '更新請求': 'RENEW', CANCEL: 'CANCEL' },
  LENDER: { '発送': 'SEND', 'クレーム回答待': 'SEND', '新着照会': 'INQUIRE', '返却確認': 'OK', '返却クレーム未処理': 'CLAIM' },
};

function record(stat: NacsisStat, extra: Partial<NacsisRecordState> = {}): NacsisRecordState {
  return { stat, service: 'COPY', borrowerId: BORROWER, candidates: [L1, L2, L3], currentLenderIndex: 0, history: [], ...extra };
}

function callerOf(side: NacsisSide, state: NacsisRecordState): string {
  return side === 'BORROWER' ? state.borrowerId : currentLender(state)!;
}

function ok(outcome: CommandOutcome): NacsisRecordState {
  if (!outcome.ok) throw new Error(`refused: ${outcome.status} ${outcome.message}`);
  return outcome.record;
}

/** Applies `[side, command, input?]` steps in order, each by the borrower or the current lender. */
function run(start: NacsisRecordState, steps: readonly (readonly [NacsisSide, NacsisCommand, CommandInput?])[]): NacsisRecordState {
  return steps.reduce((state, [side, command, input = ALL_FIELDS]) => ok(applyCommand(state, side, command, callerOf(side, state), input)), start);
}

const draft = (service: Format = 'COPY'): NacsisRecordState => record('準備中', { service, currentLenderIndex: null });

describe('CATP state table (nacsis-catp.md §8)', () => {
  describe.each(['BORROWER', 'LENDER'] as const)('%s', (side) => {
    describe.each(['COPY', 'LOAN'] as const)('%s', (service) => {
      const cases = NACSIS_STATS.flatMap((stat) => NACSIS_COMMANDS.map((command) => [stat, command] as const));

      it.each(cases)('%s × %s', (stat, command) => {
        const own = UNDONE[side][stat];
        const caller = side === 'BORROWER' ? BORROWER : L1;
        const history: NacsisHistoryEntry[] = own ? [{ command: own, participantId: caller }] : [];
        const target = VALID[side][stat]?.[command];
        const to = typeof target === 'object' ? target[service] : target;
        const outcome = applyCommand(record(stat, { service, history }), side, command, caller, ALL_FIELDS);
        if (to) {
          expect(outcome).toMatchObject({ ok: true, record: { stat: to } });
        } else {
          expect(outcome).toMatchObject({ ok: false, status: 409, reasonPhrase: 'Invalid ILL-command for current state' });
          expect(outcome.ok || outcome.message).toMatch(`ILL-command ${command} is not valid for STAT=${stat}`);
        }
      });
    });
  });

  it('gives every command except CALLBACK to the side whose turn it is', () => {
    for (const row of CATP_STATE_TABLE.filter((transition) => transition.command !== 'CALLBACK')) {
      expect([row.from, NACSIS_STATES[row.from].turn]).toEqual([row.from, row.side]);
    }
  });

  it('names the valid commands in a refusal', () => {
    expect(applyCommand(record('未処理'), 'LENDER', 'SEND', L1, ALL_FIELDS)).toEqual({
      ok: false,
      status: 409,
      reasonPhrase: 'Invalid ILL-command for current state',
      message: 'ILL-command SEND is not valid for STAT=未処理 (valid: RECEIVE)',
    });
  });

  it('runs a copy request from order to confirmation, recording the history', () => {
    const done = run(draft(), [
      ['BORROWER', 'ORDER'],
      ['LENDER', 'RECEIVE'],
      ['LENDER', 'SEND', { comment: '本日発送しました', fields: ['SDATE', 'SUM'] }],
      ['BORROWER', 'RECEIVE', {}],
      ['BORROWER', 'OK', {}],
    ]);
    expect(done.stat).toBe('確認');
    expect(done.history).toEqual([
      { command: 'ORDER', participantId: BORROWER, comment: 'コメント' },
      { command: 'RECEIVE', participantId: L1, comment: 'コメント' },
      { command: 'SEND', participantId: L1, comment: '本日発送しました' },
      { command: 'RECEIVE', participantId: BORROWER },
      { command: 'OK', participantId: BORROWER },
    ]);
  });

  it('runs a loan through renewal, return claim and return', () => {
    const done = run(draft('LOAN'), [
      ['BORROWER', 'ORDER'],
      ['LENDER', 'RECEIVE'],
      ['LENDER', 'SEND'],
      ['BORROWER', 'RECEIVE'],
      ['BORROWER', 'BORROW'],
      ['BORROWER', 'RENEW'],
      ['LENDER', 'RECEIVE'],
      ['LENDER', 'CLAIM'],
      ['BORROWER', 'RECEIVE'],
      ['BORROWER', 'SENDBACK'],
      ['LENDER', 'RECEIVE'],
      ['LENDER', 'OK'],
    ]);
    expect(done.stat).toBe('返却確認');
    expect(done.history).toHaveLength(12);
  });

  describe('candidate rotation', () => {
    it('ORDER goes to the first candidate; each PARDON moves AMLID on; the last comes back as 新着照会', () => {
      const ordered = run(draft(), [['BORROWER', 'ORDER']]);
      expect([ordered.stat, currentLender(ordered)]).toEqual(['未処理', L1]);

      const second = run(ordered, [['LENDER', 'RECEIVE'], ['LENDER', 'PARDON']]);
      expect([second.stat, currentLender(second)]).toEqual(['未処理', L2]);
      expect(applyCommand(second, 'LENDER', 'RECEIVE', L1)).toMatchObject({ ok: false, status: 403 });

      const third = run(second, [['LENDER', 'RECEIVE'], ['LENDER', 'PARDON']]);
      expect([third.stat, currentLender(third)]).toEqual(['未処理', L3]);

      const back = run(third, [['LENDER', 'RECEIVE'], ['LENDER', 'PARDON']]);
      expect([back.stat, currentLender(back)]).toEqual(['新着照会', L3]);
      // The last lender may call its refusal back while the borrower has not acted.
      expect(run(back, [['LENDER', 'CALLBACK']]).stat).toBe('処理中');
      // The borrower takes it up; with no candidate left FORWARD is refused.
      const inquiry = run(back, [['BORROWER', 'RECEIVE']]);
      expect(applyCommand(inquiry, 'BORROWER', 'FORWARD', BORROWER)).toEqual({
        ok: false,
        status: 409,
        reasonPhrase: 'Invalid ILL-command for current state',
        message: 'ILL-command FORWARD is not valid: no next candidate in HMLG',
      });
    });

    it('FORWARD passes an inquiry on to the next candidate', () => {
      const forwarded = run(draft(), [['BORROWER', 'ORDER'], ['LENDER', 'RECEIVE'], ['LENDER', 'INQUIRE'], ['BORROWER', 'RECEIVE'], ['BORROWER', 'FORWARD']]);
      expect([forwarded.stat, currentLender(forwarded)]).toEqual(['未処理', L2]);
    });

    it('a PARDON that moved the record on cannot be called back by anyone', () => {
      const moved = run(draft(), [['BORROWER', 'ORDER'], ['LENDER', 'RECEIVE'], ['LENDER', 'PARDON']]);
      expect(applyCommand(moved, 'LENDER', 'CALLBACK', L1)).toMatchObject({ ok: false, status: 403 });
      expect(applyCommand(moved, 'BORROWER', 'CALLBACK', BORROWER)).toMatchObject({ ok: false, status: 409 });
    });

    it('a called-back order is a draft again, with no lender, ordered to the first candidate again', () => {
      const recalled = run(draft(), [['BORROWER', 'ORDER'], ['BORROWER', 'CALLBACK']]);
      expect([recalled.stat, recalled.currentLenderIndex]).toEqual(['準備中', null]);
      expect(applyCommand(recalled, 'LENDER', 'RECEIVE', L1)).toMatchObject({ ok: false, status: 403 });
      expect(currentLender(run(recalled, [['BORROWER', 'ORDER']]))).toBe(L1);
    });

    it('ORDER needs one to five candidates', () => {
      expect(applyCommand(draft(), 'BORROWER', 'ORDER', BORROWER, ALL_FIELDS)).toMatchObject({ ok: true });
      expect(applyCommand({ ...draft(), candidates: [] }, 'BORROWER', 'ORDER', BORROWER, ALL_FIELDS)).toMatchObject({
        ok: false,
        status: 422,
        message: 'ILL-command ORDER needs at least one HMLID',
      });
      const six = ['FA000001', 'FA000002', 'FA000003', 'FA000004', 'FA000005', 'FA000006'];
      expect(applyCommand({ ...draft(), candidates: six }, 'BORROWER', 'ORDER', BORROWER, ALL_FIELDS)).toMatchObject({ ok: false, status: 422 });
    });
  });

  describe('CALLBACK', () => {
    it('is refused once the partner has acted', () => {
      const received = run(draft(), [['BORROWER', 'ORDER'], ['LENDER', 'RECEIVE'], ['LENDER', 'SEND'], ['BORROWER', 'RECEIVE']]);
      expect(applyCommand(received, 'LENDER', 'CALLBACK', L1)).toMatchObject({ ok: false, status: 409 });
    });

    it('of the partner’s last command is refused', () => {
      const state = record('借用中', { service: 'LOAN', history: [{ command: 'BORROW', participantId: L1 }] });
      expect(applyCommand(state, 'BORROWER', 'CALLBACK', BORROWER)).toEqual({
        ok: false,
        status: 409,
        reasonPhrase: 'Invalid ILL-command for current state',
        message: `CALLBACK undoes only the caller's own last BORROW (last command: BORROW by ${L1})`,
      });
    });

    it('from 借用中 undoes only a BORROW, and a CALLBACK cannot be called back', () => {
      const onLoan = run(draft('LOAN'), [['BORROWER', 'ORDER'], ['LENDER', 'RECEIVE'], ['LENDER', 'SEND'], ['BORROWER', 'RECEIVE'], ['BORROWER', 'BORROW']]);
      expect(run(onLoan, [['BORROWER', 'CALLBACK']]).stat).toBe('到着処理中');
      const sentBackAndRecalled = run(onLoan, [['BORROWER', 'SENDBACK'], ['BORROWER', 'CALLBACK']]);
      expect(sentBackAndRecalled.stat).toBe('借用中');
      expect(applyCommand(sentBackAndRecalled, 'BORROWER', 'CALLBACK', BORROWER)).toMatchObject({ ok: false, status: 409 });
      const afterReturnClaim = run(onLoan, [['BORROWER', 'RENEW'], ['LENDER', 'RECEIVE'], ['LENDER', 'CLAIM'], ['BORROWER', 'RECEIVE']]);
      expect(afterReturnClaim.stat).toBe('借用中');
      expect(applyCommand(afterReturnClaim, 'BORROWER', 'CALLBACK', BORROWER)).toMatchObject({ ok: false, status: 409 });
    });

    it('of a cancel made from 照会 returns to 準備中', () => {
      const cancelled = run(draft(), [['BORROWER', 'ORDER'], ['LENDER', 'RECEIVE'], ['LENDER', 'INQUIRE'], ['BORROWER', 'RECEIVE'], ['BORROWER', 'CANCEL']]);
      expect(run(cancelled, [['BORROWER', 'CALLBACK']]).stat).toBe('準備中');
    });
  });

  describe('claim cycle', () => {
    const arrived = () => run(draft(), [['BORROWER', 'ORDER'], ['LENDER', 'RECEIVE'], ['LENDER', 'SEND'], ['BORROWER', 'RECEIVE']]);

    it('the lender answers a claim with SEND or ANSWER → クレーム回答待', () => {
      const claimed = run(arrived(), [['BORROWER', 'CLAIM'], ['LENDER', 'RECEIVE']]);
      expect(isClaimCycle(claimed)).toBe(true);
      expect(run(claimed, [['LENDER', 'SEND']]).stat).toBe('クレーム回答待');
      const answered = run(claimed, [['LENDER', 'SEND'], ['LENDER', 'CALLBACK'], ['LENDER', 'ANSWER']]);
      expect(answered.stat).toBe('クレーム回答待');
      expect(run(answered, [['BORROWER', 'RECEIVE'], ['BORROWER', 'OK']]).stat).toBe('確認');
    });

    it('ANSWER is no lender command outside a claim cycle', () => {
      const processing = run(draft(), [['BORROWER', 'ORDER'], ['LENDER', 'RECEIVE']]);
      expect(isClaimCycle(processing)).toBe(false);
      expect(applyCommand(processing, 'LENDER', 'ANSWER', L1, ALL_FIELDS)).toMatchObject({ ok: false, status: 409 });
    });

    it('a called-back claim ends the cycle', () => {
      expect(isClaimCycle(run(arrived(), [['BORROWER', 'CLAIM'], ['BORROWER', 'CALLBACK']]))).toBe(false);
    });
  });

  describe('required fields (422)', () => {
    it('ORDER names every missing field; TYPE only for copies', () => {
      expect(applyCommand(draft(), 'BORROWER', 'ORDER', BORROWER, { fields: ['ACCT', 'BIBNT'] })).toEqual({
        ok: false,
        status: 422,
        reasonPhrase: 'Validation Error',
        message: 'ILL-command ORDER requires TYPE, ODATE, OSTAF, OADRS',
      });
      expect(applyCommand(draft('LOAN'), 'BORROWER', 'ORDER', BORROWER, { fields: ['ACCT'] })).toMatchObject({
        message: 'ILL-command ORDER requires BIBID/BIBNT/STDNO, ODATE, OSTAF, OADRS',
      });
    });

    it('SEND needs SDATE and SUM, and DDATE for loans', () => {
      const copy = run(draft(), [['BORROWER', 'ORDER'], ['LENDER', 'RECEIVE']]);
      expect(applyCommand(copy, 'LENDER', 'SEND', L1, { fields: ['SDATE', 'SUM'] })).toMatchObject({ ok: true });
      const loan = run(draft('LOAN'), [['BORROWER', 'ORDER'], ['LENDER', 'RECEIVE']]);
      expect(applyCommand(loan, 'LENDER', 'SEND', L1, { fields: ['SDATE', 'SUM'] })).toMatchObject({ ok: false, status: 422, message: 'ILL-command SEND requires DDATE' });
    });

    it('PARDON and CLAIM need a comment, given as the comment or as CMMNT', () => {
      const processing = run(draft(), [['BORROWER', 'ORDER'], ['LENDER', 'RECEIVE']]);
      expect(applyCommand(processing, 'LENDER', 'PARDON', L1, {})).toMatchObject({ ok: false, status: 422, message: 'ILL-command PARDON requires CMMNT' });
      expect(applyCommand(processing, 'LENDER', 'PARDON', L1, { fields: ['CMMNT'] })).toMatchObject({ ok: true });
      const arrived = record('到着処理中');
      expect(applyCommand(arrived, 'BORROWER', 'CLAIM', BORROWER, { comment: '' })).toMatchObject({ ok: false, status: 422 });
      expect(applyCommand(arrived, 'BORROWER', 'CLAIM', BORROWER, { comment: '落丁あり' })).toMatchObject({ ok: true });
    });
  });

  describe('access (403)', () => {
    it('only the borrower acts on the borrower side', () => {
      expect(applyCommand(record('新着照会'), 'BORROWER', 'RECEIVE', L1)).toEqual({
        ok: false,
        status: 403,
        reasonPhrase: 'Forbidden',
        message: `${L1} is not the borrowing library (OMLID) of this record`,
      });
    });

    it('only the current lender acts on the lender side', () => {
      expect(applyCommand(record('未処理'), 'LENDER', 'RECEIVE', L2)).toMatchObject({
        ok: false,
        status: 403,
        message: `${L2} is not the current lending library (AMLID) of this record`,
      });
      expect(applyCommand(draft(), 'LENDER', 'RECEIVE', L1)).toMatchObject({ ok: false, status: 403 });
    });
  });

  describe('history cap', () => {
    const filled = (count: number): NacsisHistoryEntry[] =>
      Array.from({ length: count }, (_, index) => ({ command: index % 2 ? 'CALLBACK' : 'ORDER', participantId: BORROWER }));

    it('takes the 50th entry', () => {
      const state = record('新着照会', { history: filled(49) });
      const outcome = ok(applyCommand(state, 'BORROWER', 'RECEIVE', BORROWER));
      expect(outcome.history).toHaveLength(50);
      expect(outcome.history.at(-1)).toEqual({ command: 'RECEIVE', participantId: BORROWER });
    });

    it('refuses a command that would add a 51st entry, changing nothing', () => {
      const state = record('新着照会', { history: filled(50) });
      const before = structuredClone(state);
      expect(applyCommand(state, 'BORROWER', 'RECEIVE', BORROWER)).toEqual({
        ok: false,
        status: 422,
        reasonPhrase: 'Validation Error',
        message: 'SENDG already holds 50 entries',
      });
      expect(state).toEqual(before);
    });
  });

  it('never changes the record it is given', () => {
    const state = record('未処理');
    const before = structuredClone(state);
    const next = ok(applyCommand(state, 'LENDER', 'RECEIVE', L1));
    expect(state).toEqual(before);
    expect(next).not.toBe(state);
  });
});
