/** NACSIS-ILL record states (`STAT`), nacsis-ill.md §1. NACSIS keeps one shared record per request;
 *  the borrower (依頼館) and the lender (受付館) take turns moving it with commands. */

export type NacsisSide = 'BORROWER' | 'LENDER';

/** Who acts next: one of the sides, NACSIS itself (a batch job talking to an external supplier), or
 *  nobody (`null`: a final state, changed only by a CALLBACK of the command that reached it). */
export type NacsisTurn = NacsisSide | 'SYSTEM' | null;

export interface NacsisStateInfo {
  readonly meaning: string;
  readonly turn: NacsisTurn;
}

/** Every STAT, exactly as NACSIS sends it (Japanese labels, and `CANCEL` in Latin letters). */
export const NACSIS_STATES = {
  '準備中': { meaning: 'draft, not ordered (also after a called-back order or a retry)', turn: 'BORROWER' },
  '未処理': { meaning: 'ordered, waiting at the current lender (AMLID)', turn: 'LENDER' },
  '処理中': { meaning: 'the lender has accepted it and is processing', turn: 'LENDER' },
  '新着照会': { meaning: 'the lender asked a question (or every candidate refused): new at the borrower', turn: 'BORROWER' },
  '照会': { meaning: 'the borrower has taken the inquiry up', turn: 'BORROWER' },
  '回答待': { meaning: 'the borrower answered; waiting at the lender', turn: 'LENDER' },
  '発送': { meaning: 'the lender shipped', turn: 'BORROWER' },
  '到着処理中': { meaning: 'arrived; the borrower is checking it', turn: 'BORROWER' },
  'クレーム未処理': { meaning: 'the borrower claimed a problem with the arrived item', turn: 'LENDER' },
  'クレーム回答待': { meaning: 'the lender answered the claim', turn: 'BORROWER' },
  '確認': { meaning: 'confirmed: final for copies', turn: null },
  '借用中': { meaning: 'on loan at the borrower', turn: 'BORROWER' },
  '更新請求': { meaning: 'renewal requested', turn: 'LENDER' },
  '返送': { meaning: 'sent back by the borrower', turn: 'LENDER' },
  '返却処理中': { meaning: 'the lender received the return or renewal request and is processing it', turn: 'LENDER' },
  '返却クレーム未処理': { meaning: "the lender's question about the return, or its renewal answer", turn: 'BORROWER' },
  '返却確認': { meaning: 'return confirmed: final for loans', turn: null },
  CANCEL: { meaning: 'cancelled by the borrower', turn: null },
  '外部依頼中': { meaning: 'sent to an external supplier (NDL, BLDSC)', turn: 'SYSTEM' },
} as const satisfies Record<string, NacsisStateInfo>;

export type NacsisStat = keyof typeof NACSIS_STATES;

/** Every STAT, in the order of the workflow. */
export const NACSIS_STATS = Object.keys(NACSIS_STATES) as readonly NacsisStat[];

export function isNacsisStat(value: unknown): value is NacsisStat {
  return typeof value === 'string' && Object.hasOwn(NACSIS_STATES, value);
}
