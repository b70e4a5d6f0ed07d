import type { Format } from '@illbridge/database/entities/enums';

/** A CATP field value of an outbound action: a top-level field, or the member fields of a group
 *  repeated once per entry (e.g. `CHG`). Kept as JSON in `outbound_action.fields`. */
export type CatpFieldValues = Record<string, string | Record<string, string>[]>;

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const SHIP_FIELDS = ['dueDate', 'shipDate', 'charges', 'fee', 'postage'] as const;
const CHARGE_FIELDS = ['item', 'quantity', 'unitPrice'] as const;
/** NACSIS field sizes (nacsis-catp.md §4): CHG ×≤10, POSTG ≤ 6 digits, SUM ≤ 8 digits. */
export const MAX_CHARGES = 10;
const MAX_POSTAGE = 999_999;
const MAX_SUM = 99_999_999;
const MAX_ITEM_LENGTH = 20;
/** Actions whose note (`CMMNT`) is required (api.md; nacsis-ill.md §2). */
export const NOTE_REQUIRED_ACTIONS: readonly string[] = ['REJECT', 'CLAIM'];

/** Today in Japan (NACSIS dates are Japanese dates), `YYYY-MM-DD`. */
export function todayInJapan(now = new Date()): string {
  return new Date(now.getTime() + 9 * 3_600_000).toISOString().slice(0, 10);
}

function validDate(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const match = DATE.exec(value);
  if (!match) return false;
  const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  return date.toISOString().slice(0, 10) === value;
}

const compact = (date: string) => date.replaceAll('-', '');
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const yen = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value) && value >= 0;

export type ShipFieldsResult = { ok: true; fields: CatpFieldValues } | { ok: false; problems: string[] };

/** SHIP's `fields` as NACSIS SEND needs them (nacsis-catp.md §7.5): `SDATE` (the ship date, default
 *  today), `DDATE` (the due date, required for loans), one `CHG` group per charge line with its
 *  subtotal `CHRGE`, `FEE`, `POSTG` and the total `SUM` = Σ CHRGE + FEE + POSTG, which NACSIS does
 *  not compute. Every problem is listed. Amounts are whole yen. */
export function shipFields(input: unknown, format: Format, today = todayInJapan()): ShipFieldsResult {
  const problems: string[] = [];
  if (input !== undefined && input !== null && !isObject(input)) return { ok: false, problems: ['fields must be an object'] };
  const fields: Record<string, unknown> = input ?? {};
  for (const key of Object.keys(fields)) {
    if (!(SHIP_FIELDS as readonly string[]).includes(key)) problems.push(`fields.${key} is not a field of SHIP (known: ${SHIP_FIELDS.join(', ')})`);
  }

  const shipDate = fields.shipDate ?? today;
  if (!validDate(shipDate)) problems.push('fields.shipDate must be a date YYYY-MM-DD');
  const dueDate = fields.dueDate;
  if (dueDate === undefined || dueDate === null) {
    if (format === 'LOAN') problems.push('fields.dueDate is required to ship a loan');
  } else if (!validDate(dueDate)) problems.push('fields.dueDate must be a date YYYY-MM-DD');
  else if (validDate(shipDate) && dueDate < shipDate) problems.push('fields.dueDate must not be before the ship date');

  const charges: Record<string, string>[] = [];
  let total = 0;
  const rawCharges = fields.charges ?? [];
  if (!Array.isArray(rawCharges)) problems.push('fields.charges must be an array of { item, quantity, unitPrice }');
  else {
    if (rawCharges.length > MAX_CHARGES) problems.push(`fields.charges may hold at most ${MAX_CHARGES} lines`);
    rawCharges.forEach((charge, index) => {
      const where = `fields.charges[${index}]`;
      if (!isObject(charge)) {
        problems.push(`${where} must be an object { item, quantity, unitPrice }`);
        return;
      }
      const before = problems.length;
      for (const key of Object.keys(charge)) {
        if (!(CHARGE_FIELDS as readonly string[]).includes(key)) problems.push(`${where}.${key} is not a field of a charge (known: ${CHARGE_FIELDS.join(', ')})`);
      }
      const { item, quantity, unitPrice } = charge;
      if (typeof item !== 'string' || item.trim() === '' || item.length > MAX_ITEM_LENGTH || /[\r\n<>=]/.test(item)) {
        problems.push(`${where}.item must be a non-empty text of at most ${MAX_ITEM_LENGTH} characters (e.g. "A4")`);
      }
      if (typeof quantity !== 'number' || !Number.isInteger(quantity) || quantity < 1) problems.push(`${where}.quantity must be a whole number of at least 1`);
      if (!yen(unitPrice)) problems.push(`${where}.unitPrice must be a whole number of yen, 0 or more`);
      if (problems.length > before) return;
      const subtotal = (quantity as number) * (unitPrice as number);
      total += subtotal;
      charges.push({ ITEM: (item as string).trim(), QNT: String(quantity), UPRCE: String(unitPrice), CHRGE: String(subtotal) });
    });
  }
  const fee = fields.fee;
  if (fee !== undefined && fee !== null && !yen(fee)) problems.push('fields.fee must be a whole number of yen, 0 or more');
  const postage = fields.postage;
  if (postage !== undefined && postage !== null && (!yen(postage) || postage > MAX_POSTAGE)) {
    problems.push(`fields.postage must be a whole number of yen from 0 to ${MAX_POSTAGE}`);
  }
  if (problems.length) return { ok: false, problems };

  total += (yen(fee) ? fee : 0) + (yen(postage) ? postage : 0);
  if (total > MAX_SUM) return { ok: false, problems: [`the total (charges + fee + postage) must not exceed ${MAX_SUM} yen (it is ${total})`] };
  const out: CatpFieldValues = { SDATE: compact(shipDate as string) };
  if (typeof dueDate === 'string') out.DDATE = compact(dueDate);
  if (charges.length) out.CHG = charges;
  if (yen(fee)) out.FEE = String(fee);
  if (yen(postage)) out.POSTG = String(postage);
  out.SUM = String(total);
  return { ok: true, fields: out };
}

/** A note as NACSIS takes it (`CMMNT`: one line): line breaks become spaces, ends trimmed; empty → undefined. */
export function normaliseNote(note: string | undefined | null): string | undefined {
  const text = note?.replace(/\s*[\r\n]+\s*/g, ' ').trim();
  return text ? text : undefined;
}

export type CommandFieldsResult = { ok: true; fields: CatpFieldValues; note?: string } | { ok: false; problems: string[] };

/** Checks what an action carries before it is judged on the request's state: the note where one is
 *  required, the fields of SHIP, and no fields for any other action (they take none yet). Returns
 *  the CATP fields to send, `CMMNT` included. */
export function commandFields(action: string, body: { note?: string | null; fields?: unknown }, format: Format, noteRequired = false, today = todayInJapan()): CommandFieldsResult {
  const problems: string[] = [];
  const note = normaliseNote(body.note);
  if (!note && (noteRequired || NOTE_REQUIRED_ACTIONS.includes(action))) problems.push(`note is required for ${action}`);
  let fields: CatpFieldValues = {};
  if (action === 'SHIP') {
    const result = shipFields(body.fields, format, today);
    if (result.ok) fields = result.fields;
    else problems.push(...result.problems);
  } else if (body.fields !== undefined && body.fields !== null && !(isObject(body.fields) && Object.keys(body.fields).length === 0)) {
    problems.push(`fields are not taken by ${action} (only SHIP takes fields)`);
  }
  if (problems.length) return { ok: false, problems };
  if (note) fields = { ...fields, CMMNT: note };
  return note ? { ok: true, fields, note } : { ok: true, fields };
}
