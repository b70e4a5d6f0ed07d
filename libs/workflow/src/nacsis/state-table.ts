import type { Format } from '../vocabulary';
import type { NacsisSide, NacsisStat } from './states';

/** The ILL commands of SERVERPROCEDURECALL (`ILL-command`), nacsis-ill-research.md §2.1. */
export const NACSIS_COMMANDS = [
  'ORDER', 'RECEIVE', 'SEND', 'INQUIRE', 'PARDON', 'ANSWER', 'FORWARD', 'RETRY', 'CANCEL', 'OK', 'BORROW', 'CLAIM',
  'SENDBACK', 'RENEW', 'CALLBACK',
] as const;
export type NacsisCommand = (typeof NACSIS_COMMANDS)[number];

/** A request carries at most this many candidate lenders (`HMLG`). */
export const MAX_CANDIDATES = 5;
/** The history group `SENDG` holds at most this many entries; a command that would add one more fails. */
export const MAX_HISTORY_ENTRIES = 50;

/** How a command moves the current lender (`AMLID`) along the candidates (`HMLG`):
 *  - `FIRST`: to the first candidate (ORDER);
 *  - `NEXT`: to the next candidate, the record becoming 未処理 there (FORWARD, PARDON);
 *  - `CLEAR`: back to a draft that no lender sees until it is ordered again. */
export type CandidateEffect = 'FIRST' | 'NEXT' | 'CLEAR';

/** A field a command must carry (422 otherwise): any one of `anyOf`, on records of `service` only if given. */
export interface FieldRequirement {
  readonly anyOf: readonly string[];
  readonly service?: Format;
}

/** One row of the CATP state check (nacsis-catp.md §8). */
export interface CatpTransition {
  readonly side: NacsisSide;
  readonly from: NacsisStat;
  readonly command: NacsisCommand;
  readonly to: NacsisStat;
  /** The row holds for records of this service only (COPYO/COPYA vs LOANO/LOANA). */
  readonly service?: Format;
  /** The row holds only inside (true) or only outside (false) a claim cycle: the lender's SEND
   *  answers a borrower's CLAIM with クレーム回答待 instead of shipping with 発送. */
  readonly claimCycle?: boolean;
  readonly candidates?: CandidateEffect;
  /** With `candidates: 'NEXT'`: the STAT when no candidate is left (the record goes back to the
   *  borrower, AMLID unchanged). Without it, a command with no candidate left is refused (409). */
  readonly whenNoCandidateLeft?: NacsisStat;
  /** CALLBACK rows: the commands it undoes. The caller's own command must be the record's last
   *  history entry: once the partner has acted (or the caller called back already) it is refused. */
  readonly undoes?: readonly NacsisCommand[];
  readonly requires?: readonly FieldRequirement[];
}

const ORDER_FIELDS: readonly FieldRequirement[] = [
  { anyOf: ['ACCT'] },
  { anyOf: ['TYPE'], service: 'COPY' },
  { anyOf: ['BIBID', 'BIBNT', 'STDNO'] },
  { anyOf: ['ODATE'] },
  { anyOf: ['OSTAF'] },
  { anyOf: ['OADRS'] },
];
const SHIPPING_FIELDS: readonly FieldRequirement[] = [{ anyOf: ['SDATE'] }, { anyOf: ['SUM'] }, { anyOf: ['DDATE'], service: 'LOAN' }];
const COMMENT: readonly FieldRequirement[] = [{ anyOf: ['CMMNT'] }];

/** The CATP state table, nacsis-catp.md §8 (which agrees with nacsis-ill-research.md §2): what each
 *  side may do from each STAT. Anything not listed is refused with 409. One addition: the borrower's
 *  CALLBACK of a CLAIM (クレーム未処理 → 到着処理中), which the action table of nacsis-ill.md §2 offers. */
export const CATP_STATE_TABLE: readonly CatpTransition[] = [
  // Borrower (依頼館; databases COPYO / LOANO)
  { side: 'BORROWER', from: '準備中', command: 'ORDER', to: '未処理', candidates: 'FIRST', requires: ORDER_FIELDS },
  { side: 'BORROWER', from: '準備中', command: 'CANCEL', to: 'CANCEL' },
  { side: 'BORROWER', from: '未処理', command: 'CALLBACK', to: '準備中', undoes: ['ORDER', 'FORWARD'], candidates: 'CLEAR' },
  { side: 'BORROWER', from: '新着照会', command: 'RECEIVE', to: '照会' },
  { side: 'BORROWER', from: '照会', command: 'ANSWER', to: '回答待' },
  { side: 'BORROWER', from: '照会', command: 'FORWARD', to: '未処理', candidates: 'NEXT' },
  { side: 'BORROWER', from: '照会', command: 'CANCEL', to: 'CANCEL' },
  { side: 'BORROWER', from: '照会', command: 'RETRY', to: '準備中', candidates: 'CLEAR' },
  { side: 'BORROWER', from: '回答待', command: 'CALLBACK', to: '照会', undoes: ['ANSWER'] },
  { side: 'BORROWER', from: '発送', command: 'RECEIVE', to: '到着処理中' },
  { side: 'BORROWER', from: '到着処理中', command: 'OK', to: '確認', service: 'COPY' },
  { side: 'BORROWER', from: '到着処理中', command: 'BORROW', to: '借用中', service: 'LOAN' },
  { side: 'BORROWER', from: '到着処理中', command: 'CLAIM', to: 'クレーム未処理', requires: COMMENT },
  { side: 'BORROWER', from: 'クレーム未処理', command: 'CALLBACK', to: '到着処理中', undoes: ['CLAIM'] },
  { side: 'BORROWER', from: 'クレーム回答待', command: 'RECEIVE', to: '到着処理中' },
  { side: 'BORROWER', from: '確認', command: 'CALLBACK', to: '到着処理中', undoes: ['OK'] },
  { side: 'BORROWER', from: '借用中', command: 'SENDBACK', to: '返送' },
  { side: 'BORROWER', from: '借用中', command: 'RENEW', to: '更新請求' },
  { side: 'BORROWER', from: '借用中', command: 'CALLBACK', to: '到着処理中', undoes: ['BORROW'] },
  { side: 'BORROWER', from: '返送', command: 'CALLBACK', to: '借用中', undoes: ['SENDBACK'] },
  { side: 'BORROWER', from: '更新請求', command: 'CALLBACK', to: '借用中', undoes: ['RENEW'] },
  { side: 'BORROWER', from: '返却クレーム未処理', command: 'RECEIVE', to: '借用中' },
  { side: 'BORROWER', from: 'CANCEL', command: 'CALLBACK', to: '準備中', undoes: ['CANCEL'], candidates: 'CLEAR' },
  // Lender (受付館; databases COPYA / LOANA)
  { side: 'LENDER', from: '未処理', command: 'RECEIVE', to: '処理中' },
  { side: 'LENDER', from: '処理中', command: 'SEND', to: '発送', claimCycle: false, requires: SHIPPING_FIELDS },
  { side: 'LENDER', from: '処理中', command: 'SEND', to: 'クレーム回答待', claimCycle: true, requires: SHIPPING_FIELDS },
  { side: 'LENDER', from: '処理中', command: 'ANSWER', to: 'クレーム回答待', claimCycle: true, requires: SHIPPING_FIELDS },
  { side: 'LENDER', from: '処理中', command: 'INQUIRE', to: '新着照会' },
  { side: 'LENDER', from: '処理中', command: 'PARDON', to: '未処理', candidates: 'NEXT', whenNoCandidateLeft: '新着照会', requires: COMMENT },
  { side: 'LENDER', from: '回答待', command: 'RECEIVE', to: '処理中' },
  { side: 'LENDER', from: 'クレーム未処理', command: 'RECEIVE', to: '処理中' },
  { side: 'LENDER', from: '発送', command: 'CALLBACK', to: '処理中', undoes: ['SEND'] },
  { side: 'LENDER', from: 'クレーム回答待', command: 'CALLBACK', to: '処理中', undoes: ['SEND', 'ANSWER'] },
  { side: 'LENDER', from: '新着照会', command: 'CALLBACK', to: '処理中', undoes: ['INQUIRE', 'PARDON'] },
  { side: 'LENDER', from: '返送', command: 'RECEIVE', to: '返却処理中' },
  { side: 'LENDER', from: '更新請求', command: 'RECEIVE', to: '返却処理中' },
  { side: 'LENDER', from: '返却処理中', command: 'OK', to: '返却確認', service: 'LOAN' },
  { side: 'LENDER', from: '返却処理中', command: 'CLAIM', to: '返却クレーム未処理' },
  { side: 'LENDER', from: '返却確認', command: 'CALLBACK', to: '返却処理中', undoes: ['OK'] },
  { side: 'LENDER', from: '返却クレーム未処理', command: 'CALLBACK', to: '返却処理中', undoes: ['CLAIM'] },
];

/** One `SENDG` entry: `SENDCMND`, `SENDMLID`, `SENDCMNT`. */
export interface NacsisHistoryEntry {
  readonly command: NacsisCommand;
  readonly participantId: string;
  readonly comment?: string;
}

/** What the state check needs of an ILL record. */
export interface NacsisRecordState {
  readonly stat: NacsisStat;
  /** COPY (複写) or LOAN (貸借): the service of the record's databases. */
  readonly service: Format;
  /** `OMLID`: the borrowing library's participant id. */
  readonly borrowerId: string;
  /** The candidate lenders' participant ids in `HMLG` order. */
  readonly candidates: readonly string[];
  /** Index into `candidates` of the current lender (`AMLID`); null while the record is a draft. */
  readonly currentLenderIndex: number | null;
  /** `SENDG`, oldest first. */
  readonly history: readonly NacsisHistoryEntry[];
}

/** What the caller sends with a command, for the required-field checks and the history. */
export interface CommandInput {
  /** `CMMNT`: goes into the new history entry. */
  readonly comment?: string;
  /** Tags the record carries once the command's fields are written (group member tags included). */
  readonly fields?: Iterable<string>;
}

/** CATP status codes a refused command answers with (nacsis-catp.md §5). */
export const CATP_REFUSAL_PHRASES = {
  403: 'Forbidden',
  409: 'Invalid ILL-command for current state',
  422: 'Validation Error',
} as const;
export type CatpRefusalStatus = keyof typeof CATP_REFUSAL_PHRASES;

export type CommandOutcome =
  | { readonly ok: true; readonly record: NacsisRecordState }
  | { readonly ok: false; readonly status: CatpRefusalStatus; readonly reasonPhrase: string; readonly message: string };

/** `AMLID`: the participant id of the current lender, or null while the record is a draft. */
export function currentLender(record: NacsisRecordState): string | null {
  return record.currentLenderIndex === null ? null : (record.candidates[record.currentLenderIndex] ?? null);
}

/** The history with every called-back command taken out (a CALLBACK always undoes the entry just
 *  before it, as only the last command can be called back). */
function effectiveHistory(history: readonly NacsisHistoryEntry[]): NacsisHistoryEntry[] {
  const effective: NacsisHistoryEntry[] = [];
  for (const entry of history) {
    if (entry.command === 'CALLBACK') effective.pop();
    else effective.push(entry);
  }
  return effective;
}

/** Whether the borrower has claimed (CLAIM, not called back): from then on, the lender's SEND answers
 *  the claim (→ クレーム回答待) rather than ships (→ 発送). */
export function isClaimCycle(record: NacsisRecordState): boolean {
  return effectiveHistory(record.history).some((entry) => entry.command === 'CLAIM' && entry.participantId === record.borrowerId);
}

/** The rows of the state table that hold for this record from `side` (STAT, service, claim cycle). */
export function transitionsFor(side: NacsisSide, stat: NacsisStat, service: Format, claimCycle: boolean): CatpTransition[] {
  return CATP_STATE_TABLE.filter(
    (row) =>
      row.side === side &&
      row.from === stat &&
      (row.service === undefined || row.service === service) &&
      (row.claimCycle === undefined || row.claimCycle === claimCycle),
  );
}

function refusal(status: CatpRefusalStatus, message: string): CommandOutcome {
  return { ok: false, status, reasonPhrase: CATP_REFUSAL_PHRASES[status], message };
}

function accessRefusal(record: NacsisRecordState, side: NacsisSide, participantId: string): CommandOutcome | null {
  if (side === 'BORROWER' && participantId !== record.borrowerId) {
    return refusal(403, `${participantId} is not the borrowing library (OMLID) of this record`);
  }
  if (side === 'LENDER' && participantId !== currentLender(record)) {
    return refusal(403, `${participantId} is not the current lending library (AMLID) of this record`);
  }
  return null;
}

function missingFields(transition: CatpTransition, record: NacsisRecordState, input: CommandInput): string[] {
  const present = new Set(input.fields ?? []);
  if (input.comment) present.add('CMMNT');
  return (transition.requires ?? [])
    .filter((requirement) => requirement.service === undefined || requirement.service === record.service)
    .filter((requirement) => !requirement.anyOf.some((tag) => present.has(tag)))
    .map((requirement) => requirement.anyOf.join('/'));
}

/** Where the record's current lender goes, or a refusal. */
function moveCandidates(
  transition: CatpTransition,
  record: NacsisRecordState,
): { stat: NacsisStat; currentLenderIndex: number | null } | CommandOutcome {
  switch (transition.candidates) {
    case undefined:
      return { stat: transition.to, currentLenderIndex: record.currentLenderIndex };
    case 'CLEAR':
      return { stat: transition.to, currentLenderIndex: null };
    case 'FIRST':
      if (record.candidates.length === 0) return refusal(422, `ILL-command ${transition.command} needs at least one HMLID`);
      if (record.candidates.length > MAX_CANDIDATES) return refusal(422, `a record carries at most ${MAX_CANDIDATES} HMLG`);
      return { stat: transition.to, currentLenderIndex: 0 };
    case 'NEXT': {
      const next = (record.currentLenderIndex ?? -1) + 1;
      if (next < record.candidates.length) return { stat: transition.to, currentLenderIndex: next };
      if (transition.whenNoCandidateLeft) return { stat: transition.whenNoCandidateLeft, currentLenderIndex: record.currentLenderIndex };
      return refusal(409, `ILL-command ${transition.command} is not valid: no next candidate in HMLG`);
    }
  }
}

/** Applies one ILL-command to a record the way the NACSIS server checks it (nacsis-catp.md §8):
 *  403 when the caller is not the record's borrower (…O databases) or current lender (…A
 *  databases); 409 when the command is not valid for the STAT from that side (including a CALLBACK
 *  that is not of the caller's own last command, and a FORWARD with no next candidate); 422 when a
 *  required field is missing or the history already holds 50 entries. A brand-new request is a draft
 *  (`stat: '準備中'`, no current lender) to which ORDER is applied. */
export function applyCommand(
  record: NacsisRecordState,
  side: NacsisSide,
  command: NacsisCommand,
  participantId: string,
  input: CommandInput = {},
): CommandOutcome {
  const denied = accessRefusal(record, side, participantId);
  if (denied) return denied;

  const valid = transitionsFor(side, record.stat, record.service, isClaimCycle(record));
  const transition = valid.find((row) => row.command === command);
  if (!transition) {
    const validCommands = [...new Set(valid.map((row) => row.command))].join(', ') || 'none';
    return refusal(409, `ILL-command ${command} is not valid for STAT=${record.stat} (valid: ${validCommands})`);
  }

  if (transition.undoes) {
    const last = record.history.at(-1);
    if (!last || last.participantId !== participantId || !transition.undoes.includes(last.command)) {
      const lastText = last ? `${last.command} by ${last.participantId}` : 'none';
      return refusal(409, `CALLBACK undoes only the caller's own last ${transition.undoes.join('/')} (last command: ${lastText})`);
    }
  }

  const moved = moveCandidates(transition, record);
  if ('ok' in moved) return moved;

  const missing = missingFields(transition, record, input);
  if (missing.length) return refusal(422, `ILL-command ${command} requires ${missing.join(', ')}`);
  if (record.history.length >= MAX_HISTORY_ENTRIES) return refusal(422, `SENDG already holds ${MAX_HISTORY_ENTRIES} entries`);

  const entry: NacsisHistoryEntry = input.comment ? { command, participantId, comment: input.comment } : { command, participantId };
  return { ok: true, record: { ...record, stat: moved.stat, currentLenderIndex: moved.currentLenderIndex, history: [...record.history, entry] } };
}
