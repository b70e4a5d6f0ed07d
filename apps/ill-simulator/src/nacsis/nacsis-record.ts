import type { CatpElement, CatpField, CatpRecord } from '@illbridge/connectors/nacsis/catp-codec';
import { isGroup } from '@illbridge/connectors/nacsis/catp-codec';
import type { Format } from '@illbridge/database/entities/enums';
import type { NacsisHistoryEntry, NacsisRecordState } from '@illbridge/workflow/nacsis/state-table';
import type { NacsisSide, NacsisStat } from '@illbridge/workflow/nacsis/states';

/** The current-file ILL databases (nacsis-catp.md §6.1) and what each one shows. */
export const SIM_DATABASES = {
  COPYO: { side: 'BORROWER', service: 'COPY' },
  LOANO: { side: 'BORROWER', service: 'LOAN' },
  COPYA: { side: 'LENDER', service: 'COPY' },
  LOANA: { side: 'LENDER', service: 'LOAN' },
} as const satisfies Record<string, { side: NacsisSide; service: Format }>;
export type SimDatabase = keyof typeof SIM_DATABASES;
/** Back files ([PROP] G4): searchable (always empty here), SPC refused with 403. */
export const BACK_FILE_DATABASES: readonly string[] = ['COPYOB', 'LOANOB', 'COPYAB', 'LOANAB'];

export function isSimDatabase(value: string): value is SimDatabase {
  return Object.hasOwn(SIM_DATABASES, value);
}

/** One shared ILL record: the borrower sees it in COPYO/LOANO, its current lender in COPYA/LOANA. */
export interface SimRecord {
  id: string;
  service: Format;
  /** `YYYYMMDD`. */
  crtdt: string;
  /** `YYYYMMDD`; set on every change. */
  rnwdt: string;
  stat: NacsisStat;
  /** `OMLID`. */
  borrowerId: string;
  /** The `HMLG` groups in order (candidate lenders). */
  candidates: CatpField[][];
  /** Index into candidates of `AMLID`; null while a draft. */
  currentLenderIndex: number | null;
  /** `SENDG`, oldest first. */
  history: NacsisHistoryEntry[];
  /** Other top-level fields (a repeated field has several values). */
  fields: Map<string, string[]>;
  /** Other groups (BIBG, CHG, …). */
  groups: Map<string, CatpField[][]>;
}

/** Fields the server sets: values sent for them are ignored (update definition `X`). */
const SERVER_SET = new Set(['_DBNAME_', 'ID', 'CRTDT', 'RNWDT', 'STAT', 'OMLID', 'OMLNM', 'AMLID', 'AMLNM', 'SRVCE', 'CMMNT', 'SENDG']);

/** Wire order of the fields and groups after the head (nacsis-catp.md §4.4, §7). */
const FIELD_ORDER = [
  'ONO', 'ANO', 'ACCT', 'TYPE', 'SRVCE', 'BIBG', 'VLNO', 'PAGE', 'YEAR', 'ARTCL', 'BVRFY', 'HVRFY', 'CLNT', 'CLNTP', 'HMLG', 'ODATE',
  'ADATE', 'SDATE', 'RDATE', 'DDATE', 'BDATE', 'KDATE', 'SPVIA', 'CHG', 'FEE', 'POSTG', 'SUM', 'OSTAF', 'ASTAF', 'OADRS', 'AADRS', 'OLDF',
  'OLDAF', 'ALDF',
];

export function candidateId(group: readonly CatpField[]): string | null {
  const value = (tag: string) => group.find((field) => field.tag === tag)?.value || null;
  return value('AMLIDA') ?? value('HMLID');
}

export function lenderOf(record: SimRecord): string | null {
  return record.currentLenderIndex === null ? null : (candidateId(record.candidates[record.currentLenderIndex] ?? []) ?? null);
}

export function stateOf(record: SimRecord): NacsisRecordState {
  return {
    stat: record.stat,
    service: record.service,
    borrowerId: record.borrowerId,
    candidates: record.candidates.map((group) => candidateId(group) ?? ''),
    currentLenderIndex: record.currentLenderIndex,
    history: record.history,
  };
}

export function cloneRecord(record: SimRecord): SimRecord {
  return {
    ...record,
    candidates: record.candidates.map((group) => [...group]),
    history: [...record.history],
    fields: new Map([...record.fields].map(([tag, values]) => [tag, [...values]])),
    groups: new Map([...record.groups].map(([name, groups]) => [name, groups.map((group) => [...group])])),
  };
}

/** Writes fields the way SPC does (nacsis-catp.md §3.5, G5): a field or group named in `elements`
 *  replaces all of its occurrences; `TAG=` and an empty group delete them. HMLG is written only
 *  while the record is a draft. Server-set tags are ignored. */
export function applyWrites(record: SimRecord, elements: readonly CatpElement[]): SimRecord {
  const next = cloneRecord(record);
  const fields = new Map<string, string[]>();
  const groups = new Map<string, CatpField[][]>();
  for (const element of elements) {
    if (isGroup(element)) {
      if (SERVER_SET.has(element.group)) continue;
      const list = groups.get(element.group) ?? [];
      if (element.fields.length) list.push(element.fields.filter((field) => field.value !== ''));
      groups.set(element.group, list);
    } else {
      if (SERVER_SET.has(element.tag)) continue;
      const list = fields.get(element.tag) ?? [];
      if (element.value !== '') list.push(element.value);
      fields.set(element.tag, list);
    }
  }
  for (const [tag, values] of fields) {
    if (values.length) next.fields.set(tag, values);
    else next.fields.delete(tag);
  }
  for (const [name, list] of groups) {
    if (name === 'HMLG') {
      if (next.stat === '準備中' && next.currentLenderIndex === null) next.candidates = list;
    } else if (list.length) next.groups.set(name, list);
    else next.groups.delete(name);
  }
  return next;
}

/** The tags a record carries (group member tags included), for the required-field checks. */
export function tagsOf(record: SimRecord): Set<string> {
  const tags = new Set<string>(record.fields.keys());
  for (const groups of record.groups.values()) for (const group of groups) for (const field of group) tags.add(field.tag);
  for (const group of record.candidates) for (const field of group) tags.add(field.tag);
  return tags;
}

/** Edit-type 1 (brief) fields, nacsis-catp.md §2.6 [PROP]. */
const BRIEF = new Set(['_DBNAME_', 'ID', 'RNWDT', 'STAT', 'OMLID', 'OMLNM', 'AMLID', 'AMLNM', 'ODATE', 'BIBG']);

/** The record as `database` shows it, in edit-type `editType` (1 brief; 2 and 9 every field). */
export function wireRecord(record: SimRecord, database: string, editType: string, nameOf: (participantId: string) => string): CatpRecord {
  const field = (tag: string, value: string): CatpField => ({ tag, value });
  const lender = lenderOf(record);
  const lenderGroup = record.currentLenderIndex === null ? undefined : record.candidates[record.currentLenderIndex];
  const elements: CatpElement[] = [
    field('_DBNAME_', database),
    field('ID', record.id),
    field('CRTDT', record.crtdt),
    field('RNWDT', record.rnwdt),
    field('STAT', record.stat),
    field('OMLID', record.borrowerId),
    field('OMLNM', nameOf(record.borrowerId)),
  ];
  if (lender) elements.push(field('AMLID', lender), field('AMLNM', lenderGroup?.find((f) => f.tag === 'HMLNM')?.value || nameOf(lender)));
  const emit = (tag: string) => {
    if (tag === 'SRVCE') elements.push(field('SRVCE', record.service === 'COPY' ? 'C' : 'L'));
    else if (tag === 'HMLG') elements.push(...record.candidates.map((fields) => ({ group: 'HMLG', fields })));
    else if (record.groups.has(tag)) elements.push(...record.groups.get(tag)!.map((fields) => ({ group: tag, fields })));
    else if (record.fields.has(tag)) elements.push(...record.fields.get(tag)!.map((value) => field(tag, value)));
  };
  FIELD_ORDER.forEach(emit);
  const known = new Set(FIELD_ORDER);
  [...record.fields.keys(), ...record.groups.keys()].filter((tag) => !known.has(tag)).forEach(emit);
  for (const entry of record.history) {
    const fields = [field('SENDCMND', entry.command), field('SENDMLID', entry.participantId)];
    if (entry.comment) fields.push(field('SENDCMNT', entry.comment));
    elements.push({ group: 'SENDG', fields });
  }
  if (editType !== '1') return elements;
  return elements
    .filter((element) => BRIEF.has(isGroup(element) ? element.group : element.tag))
    .map((element) => (isGroup(element) ? { group: element.group, fields: element.fields.filter((f) => f.tag === 'BIBNT') } : element));
}

/** The record as the control routes show it (JSON). */
export function recordJson(record: SimRecord, nameOf: (participantId: string) => string) {
  const asObject = (fields: readonly CatpField[]) => Object.fromEntries(fields.map((f) => [f.tag, f.value]));
  return {
    id: record.id,
    service: record.service,
    stat: record.stat,
    crtdt: record.crtdt,
    rnwdt: record.rnwdt,
    borrowerId: record.borrowerId,
    borrowerName: nameOf(record.borrowerId),
    lenderId: lenderOf(record),
    currentLenderIndex: record.currentLenderIndex,
    candidates: record.candidates.map(asObject),
    history: record.history.map((entry) => ({ ...entry })),
    fields: Object.fromEntries([...record.fields].map(([tag, values]) => [tag, values.length === 1 ? values[0] : values])),
    groups: Object.fromEntries([...record.groups].map(([name, groups]) => [name, groups.map(asObject)])),
  };
}
