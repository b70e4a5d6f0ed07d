import type { Format } from '../vocabulary';
import { MAX_HISTORY_ENTRIES, currentLender, isClaimCycle, transitionsFor } from './state-table';
import type { CatpTransition, NacsisCommand, NacsisRecordState } from './state-table';
import type { NacsisSide, NacsisStat } from './states';

/** Staff actions per side (product.md §5), in the order they are offered. */
export const NACSIS_SIDE_ACTIONS = {
  BORROWER: ['ACCEPT', 'RECEIVE', 'RETURN', 'RENEW', 'CLAIM', 'ANSWER', 'FORWARD', 'SEND', 'CANCEL', 'REACTIVATE', 'CALLBACK'],
  LENDER: ['ACCEPT', 'SHIP', 'CHECK_IN', 'INQUIRY', 'REJECT', 'CALLBACK'],
} as const;
export type BorrowerAction = (typeof NACSIS_SIDE_ACTIONS.BORROWER)[number];
export type LenderAction = (typeof NACSIS_SIDE_ACTIONS.LENDER)[number];
export type NacsisAction = BorrowerAction | LenderAction;

/** Every staff action of either side. */
export const NACSIS_ACTIONS: readonly NacsisAction[] = [...new Set([...NACSIS_SIDE_ACTIONS.BORROWER, ...NACSIS_SIDE_ACTIONS.LENDER])];

export function isNacsisAction(value: unknown): value is NacsisAction {
  return (NACSIS_ACTIONS as readonly unknown[]).includes(value);
}

/** One row of the action table: on `side`, `action` from `from` sends `command`. The STAT it leads
 *  to, and the checks on candidates and CALLBACK, come from the command's row in the CATP state
 *  table, so that we never accept an action NACSIS would refuse. */
export interface NacsisActionRule {
  readonly side: NacsisSide;
  readonly action: NacsisAction;
  readonly from: NacsisStat;
  readonly command: NacsisCommand;
  /** The row holds for this format only. */
  readonly format?: Format;
  /** The action needs a note (`CMMNT`). */
  readonly noteRequired?: true;
}

/** nacsis-ill.md §2: staff actions → NACSIS commands, by side and current STAT. */
export const NACSIS_ACTION_TABLE: readonly NacsisActionRule[] = [
  // Borrower (our borrowing requests)
  { side: 'BORROWER', action: 'ACCEPT', from: '新着照会', command: 'RECEIVE' },
  { side: 'BORROWER', action: 'ACCEPT', from: '発送', command: 'RECEIVE' },
  { side: 'BORROWER', action: 'ACCEPT', from: 'クレーム回答待', command: 'RECEIVE' },
  { side: 'BORROWER', action: 'ACCEPT', from: '返却クレーム未処理', command: 'RECEIVE' },
  { side: 'BORROWER', action: 'RECEIVE', from: '到着処理中', command: 'OK', format: 'COPY' },
  { side: 'BORROWER', action: 'RECEIVE', from: '到着処理中', command: 'BORROW', format: 'LOAN' },
  { side: 'BORROWER', action: 'RETURN', from: '借用中', command: 'SENDBACK' },
  { side: 'BORROWER', action: 'RENEW', from: '借用中', command: 'RENEW' },
  { side: 'BORROWER', action: 'CANCEL', from: '準備中', command: 'CANCEL' },
  { side: 'BORROWER', action: 'CANCEL', from: '照会', command: 'CANCEL' },
  { side: 'BORROWER', action: 'REACTIVATE', from: 'CANCEL', command: 'CALLBACK' },
  { side: 'BORROWER', action: 'REACTIVATE', from: '照会', command: 'RETRY' },
  { side: 'BORROWER', action: 'SEND', from: '準備中', command: 'ORDER' },
  { side: 'BORROWER', action: 'ANSWER', from: '照会', command: 'ANSWER' },
  { side: 'BORROWER', action: 'FORWARD', from: '照会', command: 'FORWARD' },
  { side: 'BORROWER', action: 'CLAIM', from: '到着処理中', command: 'CLAIM', noteRequired: true },
  { side: 'BORROWER', action: 'CALLBACK', from: '未処理', command: 'CALLBACK' },
  { side: 'BORROWER', action: 'CALLBACK', from: '回答待', command: 'CALLBACK' },
  { side: 'BORROWER', action: 'CALLBACK', from: '確認', command: 'CALLBACK' },
  { side: 'BORROWER', action: 'CALLBACK', from: '返送', command: 'CALLBACK' },
  { side: 'BORROWER', action: 'CALLBACK', from: '更新請求', command: 'CALLBACK' },
  { side: 'BORROWER', action: 'CALLBACK', from: 'CANCEL', command: 'CALLBACK' },
  { side: 'BORROWER', action: 'CALLBACK', from: 'クレーム未処理', command: 'CALLBACK' },
  { side: 'BORROWER', action: 'CALLBACK', from: '借用中', command: 'CALLBACK' },
  // Lender (our lending requests)
  { side: 'LENDER', action: 'ACCEPT', from: '未処理', command: 'RECEIVE' },
  { side: 'LENDER', action: 'ACCEPT', from: '回答待', command: 'RECEIVE' },
  { side: 'LENDER', action: 'ACCEPT', from: 'クレーム未処理', command: 'RECEIVE' },
  { side: 'LENDER', action: 'ACCEPT', from: '返送', command: 'RECEIVE' },
  { side: 'LENDER', action: 'ACCEPT', from: '更新請求', command: 'RECEIVE' },
  { side: 'LENDER', action: 'SHIP', from: '処理中', command: 'SEND' },
  { side: 'LENDER', action: 'CHECK_IN', from: '返却処理中', command: 'OK', format: 'LOAN' },
  { side: 'LENDER', action: 'REJECT', from: '処理中', command: 'PARDON', noteRequired: true },
  { side: 'LENDER', action: 'INQUIRY', from: '処理中', command: 'INQUIRE' },
  { side: 'LENDER', action: 'INQUIRY', from: '返却処理中', command: 'CLAIM' },
  { side: 'LENDER', action: 'CALLBACK', from: '発送', command: 'CALLBACK' },
  { side: 'LENDER', action: 'CALLBACK', from: 'クレーム回答待', command: 'CALLBACK' },
  { side: 'LENDER', action: 'CALLBACK', from: '新着照会', command: 'CALLBACK' },
  { side: 'LENDER', action: 'CALLBACK', from: '返却確認', command: 'CALLBACK' },
  { side: 'LENDER', action: 'CALLBACK', from: '返却クレーム未処理', command: 'CALLBACK' },
];

/** What an action is judged on: the request's NACSIS state, as last synchronised and then projected
 *  through our accepted-but-unpushed actions (`projectState`). */
export interface NacsisActionContext {
  readonly side: NacsisSide;
  readonly stat: NacsisStat;
  readonly format: Format;
  /** Our participant id: `OMLID` on the borrowing side, `AMLID` on the lending side. */
  readonly ourParticipantId: string;
  /** The record's last command (the last `SENDG` entry, or our last pending action). CALLBACK
   *  needs it to be ours; unknown means CALLBACK is refused. */
  readonly lastCommand?: { readonly command: NacsisCommand; readonly by: 'US' | 'PARTNER' };
  /** Candidate lenders the record can still go to: every `HMLG` entry for a draft, else those after
   *  `AMLID`. Unknown (undefined) refuses nothing: SEND and FORWARD are allowed and a REJECT is taken
   *  to pass the record on. */
  readonly candidatesLeft?: number;
  /** The borrower has claimed (see `isClaimCycle`): the lender's SHIP then leads to クレーム回答待. */
  readonly claimCycle?: boolean;
  /** Our REJECT passed the record to the next candidate lender: it is not ours to act on any more. */
  readonly passedOn?: boolean;
  /** Entries in the record's history (`SENDG`): once it holds 50, NACSIS takes no further command. */
  readonly historyLength?: number;
}

export type NacsisActionResult =
  | {
      readonly allowed: true;
      readonly action: NacsisAction;
      readonly command: NacsisCommand;
      readonly toStat: NacsisStat;
      readonly noteRequired: boolean;
      /** Our REJECT passes the record to the next candidate lender (the lending request is REJECTED). */
      readonly passedOn: boolean;
    }
  | { readonly allowed: false; readonly message: string; readonly allowedActions: readonly NacsisAction[] };

interface Resolution {
  readonly rule: NacsisActionRule;
  readonly transition: CatpTransition;
  readonly toStat: NacsisStat;
  /** The command moves the record on to the next candidate lender. */
  readonly movesOn: boolean;
}

/** How `rule` plays out in `ctx`, or null when NACSIS would refuse its command now. */
function resolve(ctx: NacsisActionContext, rule: NacsisActionRule): Resolution | null {
  if (ctx.passedOn || (ctx.historyLength ?? 0) >= MAX_HISTORY_ENTRIES) return null;
  const transition = transitionsFor(ctx.side, ctx.stat, ctx.format, ctx.claimCycle ?? false).find((row) => row.command === rule.command);
  if (!transition) return null;
  if (transition.undoes && !(ctx.lastCommand?.by === 'US' && transition.undoes.includes(ctx.lastCommand.command))) return null;
  const noCandidateLeft = ctx.candidatesLeft === 0;
  switch (transition.candidates) {
    case 'FIRST':
      return noCandidateLeft ? null : { rule, transition, toStat: transition.to, movesOn: false };
    case 'NEXT':
      if (!noCandidateLeft) return { rule, transition, toStat: transition.to, movesOn: true };
      return transition.whenNoCandidateLeft ? { rule, transition, toStat: transition.whenNoCandidateLeft, movesOn: false } : null;
    default:
      return { rule, transition, toStat: transition.to, movesOn: false };
  }
}

/** The first row for `action` from the context's side, STAT and format that NACSIS would accept now. */
function resolveAction(ctx: NacsisActionContext, action: NacsisAction): Resolution | null {
  for (const rule of NACSIS_ACTION_TABLE) {
    const applies = rule.side === ctx.side && rule.from === ctx.stat && rule.action === action && (rule.format === undefined || rule.format === ctx.format);
    const resolution = applies ? resolve(ctx, rule) : null;
    if (resolution) return resolution;
  }
  return null;
}

/** The actions NACSIS would accept now, in the order of `NACSIS_SIDE_ACTIONS`. */
export function allowedActions(ctx: NacsisActionContext): NacsisAction[] {
  const sideActions: readonly NacsisAction[] = NACSIS_SIDE_ACTIONS[ctx.side];
  return sideActions.filter((action) => resolveAction(ctx, action) !== null);
}

/** Whether `action` is allowed now, with the command it sends and the STAT it leads to; or the
 *  refusal "NACSIS Action Not Allowed: SHIP is not allowed while the request is 未処理 (allowed: ACCEPT)". */
export function evaluateAction(ctx: NacsisActionContext, action: NacsisAction): NacsisActionResult {
  const resolution = resolveAction(ctx, action);
  if (!resolution) {
    const allowed = allowedActions(ctx);
    const message = `NACSIS Action Not Allowed: ${action} is not allowed while the request is ${ctx.stat} (allowed: ${allowed.join(', ') || 'none'})`;
    return { allowed: false, message, allowedActions: allowed };
  }
  const { rule, toStat, movesOn } = resolution;
  return {
    allowed: true,
    action,
    command: rule.command,
    toStat,
    noteRequired: rule.noteRequired ?? false,
    passedOn: movesOn && ctx.side === 'LENDER',
  };
}

function candidatesLeftAfter(ctx: NacsisActionContext, { transition, movesOn }: Resolution): number | undefined {
  if (transition.candidates === 'CLEAR') return undefined; // back to a draft whose candidates may be edited
  if ((transition.candidates === 'FIRST' || movesOn) && ctx.candidatesLeft !== undefined) return ctx.candidatesLeft - 1;
  return ctx.candidatesLeft;
}

/** The context after our accepted-but-unpushed actions, applied in order, so that e.g. ACCEPT and
 *  then RECEIVE can be taken back to back. The projection stops at the first pending action that
 *  would be refused: that is where pushing will stop too (later actions of a request wait). */
export function projectState(ctx: NacsisActionContext, pendingActions: readonly NacsisAction[]): NacsisActionContext {
  let projected = ctx;
  for (const action of pendingActions) {
    const resolution = resolveAction(projected, action);
    if (!resolution) break;
    projected = {
      ...projected,
      stat: resolution.toStat,
      lastCommand: { command: resolution.rule.command, by: 'US' },
      candidatesLeft: candidatesLeftAfter(projected, resolution),
      passedOn: resolution.movesOn && projected.side === 'LENDER',
      historyLength: projected.historyLength === undefined ? undefined : projected.historyLength + 1,
    };
  }
  return projected;
}

/** The context of a record as NACSIS last reported it, seen by `ourParticipantId` from `side`. */
export function actionContextFor(record: NacsisRecordState, side: NacsisSide, ourParticipantId: string): NacsisActionContext {
  const last = record.history.at(-1);
  const passed = record.stat === '準備中' || record.currentLenderIndex === null ? 0 : record.currentLenderIndex + 1;
  return {
    side,
    stat: record.stat,
    format: record.service,
    ourParticipantId,
    lastCommand: last && { command: last.command, by: last.participantId === ourParticipantId ? 'US' : 'PARTNER' },
    candidatesLeft: Math.max(0, record.candidates.length - passed),
    claimCycle: isClaimCycle(record),
    passedOn: side === 'LENDER' && currentLender(record) !== ourParticipantId,
    historyLength: record.history.length,
  };
}
