import type { CatpElement, CatpField } from '@illbridge/connectors/nacsis/catp-codec';
import type { Format } from '@illbridge/database/entities/enums';
import type { NacsisCommand } from '@illbridge/workflow/nacsis/state-table';
import type { NacsisSide, NacsisStat } from '@illbridge/workflow/nacsis/states';
import { Random, pick, pickWeighted, randomInt, seededRandom } from '../prng';
import { SimRecord, applyWrites, lenderOf } from './nacsis-record';
import type { NacsisStore } from './nacsis-store';
import * as V from './nacsis-vocabulary';

interface Step {
  side: NacsisSide;
  command: NacsisCommand;
}

const B = (command: NacsisCommand): Step => ({ side: 'BORROWER', command });
const L = (command: NacsisCommand): Step => ({ side: 'LENDER', command });

/** For each STAT a sequence of commands that reaches it from a draft, replayed through the state
 *  table so that every seeded record has a consistent history. */
const ORDERED = [B('ORDER')];
const ACCEPTED = [...ORDERED, L('RECEIVE')];
const INQUIRED = [...ACCEPTED, L('INQUIRE')];
const SHIPPED = [...ACCEPTED, L('SEND')];
const ARRIVED = [...SHIPPED, B('RECEIVE')];
const CLAIMED = [...ARRIVED, B('CLAIM')];
const BORROWED = [...ARRIVED, B('BORROW')];
const SENT_BACK = [...BORROWED, B('SENDBACK')];
const RETURNING = [...SENT_BACK, L('RECEIVE')];
export const PATHS: Partial<Record<NacsisStat, readonly Step[]>> = {
  準備中: [],
  未処理: ORDERED,
  処理中: ACCEPTED,
  新着照会: INQUIRED,
  照会: [...INQUIRED, B('RECEIVE')],
  回答待: [...INQUIRED, B('RECEIVE'), B('ANSWER')],
  発送: SHIPPED,
  到着処理中: ARRIVED,
  クレーム未処理: CLAIMED,
  クレーム回答待: [...CLAIMED, L('RECEIVE'), L('SEND')],
  確認: [...ARRIVED, B('OK')],
  借用中: BORROWED,
  更新請求: [...BORROWED, B('RENEW')],
  返送: SENT_BACK,
  返却処理中: RETURNING,
  返却クレーム未処理: [...RETURNING, L('CLAIM')],
  返却確認: [...RETURNING, L('OK')],
  CANCEL: [B('CANCEL')],
};
const COPY_ONLY: readonly NacsisStat[] = ['確認'];
const LOAN_ONLY: readonly NacsisStat[] = ['借用中', '更新請求', '返送', '返却処理中', '返却クレーム未処理', '返却確認'];

/** Whether a record of this service can be seeded in this STAT. */
export function seedable(stat: NacsisStat, service: Format): boolean {
  if (!PATHS[stat]) return false;
  return service === 'COPY' ? !LOAN_ONLY.includes(stat) : !COPY_ONLY.includes(stat);
}

const field = (tag: string, value: string): CatpField => ({ tag, value });

/** `YYYYMMDD` plus days. */
export function addDays(date: string, days: number): string {
  const time = Date.UTC(Number(date.slice(0, 4)), Number(date.slice(4, 6)) - 1, Number(date.slice(6, 8))) + days * 86_400_000;
  return new Date(time).toISOString().slice(0, 10).replaceAll('-', '');
}

export function daysBetween(from: string, to: string): number {
  const utc = (date: string) => Date.UTC(Number(date.slice(0, 4)), Number(date.slice(4, 6)) - 1, Number(date.slice(6, 8)));
  return Math.round((utc(to) - utc(from)) / 86_400_000);
}

/** The fields and comment a step carries (the required ones of the state table and a few more). */
function stepInput(step: Step, record: SimRecord, date: string, random: Random): { writes: CatpElement[]; comment?: string } {
  const { side, command } = step;
  if (side === 'LENDER' && command === 'RECEIVE' && record.stat === '未処理') {
    return { writes: [field('ADATE', date), field('ANO', `A${date.slice(2, 4)}-${String(randomInt(random, 1, 9999)).padStart(4, '0')}`), field('ASTAF', pick(random, V.STAFF))] };
  }
  switch (command) {
    case 'SEND': {
      const pages = randomInt(random, 2, 40);
      const chargeLines = record.service === 'COPY' ? [{ group: 'CHG', fields: [field('ITEM', 'A4'), field('QNT', String(pages)), field('UPRCE', '35'), field('CHRGE', String(pages * 35))] }] : [];
      const postage = pick(random, [0, 84, 140, 250]);
      const sum = (record.service === 'COPY' ? pages * 35 : 0) + postage;
      const writes: CatpElement[] = [field('SDATE', date), ...chargeLines, field('FEE', '0'), field('POSTG', String(postage)), field('SUM', String(sum))];
      if (record.service === 'LOAN') writes.push(field('DDATE', addDays(date, 28)));
      return { writes, comment: pick(random, V.SEND_NOTES) };
    }
    case 'RECEIVE':
      return side === 'BORROWER' && (record.stat === '発送' || record.stat === 'クレーム回答待') ? { writes: [field('RDATE', date)] } : { writes: [] };
    case 'INQUIRE':
      return { writes: [], comment: pick(random, V.INQUIRIES) };
    case 'ANSWER':
      return { writes: [], comment: pick(random, V.ANSWERS) };
    case 'PARDON':
      return { writes: [], comment: pick(random, V.PARDONS) };
    case 'CLAIM':
      return { writes: [], comment: pick(random, V.CLAIMS) };
    case 'RENEW':
      return { writes: [], comment: pick(random, V.RENEW_NOTES) };
    case 'BORROW':
      return { writes: [field('BDATE', date)] };
    default:
      return { writes: [] };
  }
}

/** The fields an ORDER needs (nacsis-catp.md §8), with invented values; `writes` given by the caller win. */
export function orderFields(service: Format, date: string, borrowerAddress: string, random: Random): CatpElement[] {
  const elements: CatpElement[] = [field('ONO', `O${date.slice(2, 4)}-${String(randomInt(random, 1, 99999)).padStart(5, '0')}`), field('ACCT', pick(random, V.ACCOUNTS))];
  if (service === 'COPY') {
    elements.push(field('TYPE', pick(random, V.COPY_TYPES)));
    if (random() < 0.75) {
      const journal = pick(random, V.JOURNALS);
      const volume = randomInt(random, 1, 80);
      const issue = randomInt(random, 1, 12);
      const year = String(randomInt(random, Math.max(Number(journal.since), 1960), 2024));
      const first = randomInt(random, 1, 300);
      elements.push(
        { group: 'BIBG', fields: [field('BIBID', `AN${String(randomInt(random, 10000000, 10999999))}`), field('BIBNT', `${journal.title}. -- ${journal.since}-`), field('STDNO', `ISSN=${journal.issn}`)] },
        field('VLNO', `${volume}(${issue})`),
        field('PAGE', `${first}-${first + randomInt(random, 3, 25)}`),
        field('YEAR', year),
        field('ARTCL', pick(random, V.ARTICLES)),
      );
    } else elements.push(bookGroup(random), field('PAGE', `${randomInt(random, 1, 100)}-${randomInt(random, 101, 200)}`));
  } else {
    elements.push(bookGroup(random));
  }
  elements.push(
    field('CLNT', pick(random, V.PATRONS)),
    field('CLNTP', pick(random, V.AFFILIATIONS)),
    field('ODATE', date),
    field('OSTAF', pick(random, V.STAFF)),
    field('OADRS', borrowerAddress),
  );
  return elements;
}

function bookGroup(random: Random): CatpElement {
  const book = pick(random, V.BOOKS);
  const fields = [field('BIBID', `BN${String(randomInt(random, 10000000, 19999999))}`), field('BIBNT', `${book.title} / ${book.author}. -- ${book.place} : ${book.publisher}, ${book.year}.`)];
  if (book.isbn) fields.push(field('STDNO', `ISBN=${book.isbn}`));
  return { group: 'BIBG', fields };
}

export function candidateGroup(participantId: string, name: string, random?: Random): CatpField[] {
  const fields = [field('HMLID', participantId), field('HMLNM', name)];
  if (random && random() < 0.5) fields.push(field('LOC', pick(random, ['本館', '中央図書館', '理工学図書館', '書庫'])));
  return fields;
}

export interface SeedSpec {
  borrowerId: string;
  service: Format;
  stat: NacsisStat;
  candidates: CatpField[][];
  /** The candidate that holds the record: the ones before it refused (RECEIVE + PARDON). */
  lenderIndex: number;
  /** Written at creation (after the generated ORDER fields, so they win). */
  writes: CatpElement[];
  orderComment?: string;
  created: string;
  updated: string;
  random: Random;
}

export class SeedError extends Error {}

/** Builds a record in `spec.stat` by replaying the commands of PATHS through the store's state check. */
export function seedRecord(store: NacsisStore, spec: SeedSpec): SimRecord {
  const path = PATHS[spec.stat];
  if (!path || !seedable(spec.stat, spec.service)) throw new SeedError(`cannot seed a ${spec.service} record in STAT ${spec.stat}`);
  if (spec.lenderIndex < 0 || (spec.candidates.length && spec.lenderIndex >= spec.candidates.length)) throw new SeedError('lenderIndex is not a candidate');
  const address = V.LIBRARIES.find((library) => library.participantId === spec.borrowerId)?.address ?? '〒000-0000 架空市1-1-1';
  let record = store.draft(spec.borrowerId, spec.service, spec.created);
  record = applyWrites(record, [...orderFields(spec.service, spec.created, address, spec.random), ...spec.candidates.map((fields) => ({ group: 'HMLG', fields }))]);
  // The caller's fields and groups are written second, so they replace the generated ones.
  record = applyWrites(record, spec.writes);
  if (!path.length) return store.saveDraft(record);

  const steps: Step[] = [];
  for (const step of path) {
    steps.push(step);
    if (step.command === 'ORDER') for (let i = 0; i < spec.lenderIndex; i++) steps.push(L('RECEIVE'), L('PARDON'));
  }
  steps.forEach((step, index) => {
    const date = index === 0 ? spec.created : spec.updated;
    const actor = step.side === 'BORROWER' ? record.borrowerId : lenderOf(record);
    const input = step.command === 'ORDER' ? { writes: [], comment: spec.orderComment } : stepInput(step, record, date, spec.random);
    const result = store.runCommand(record, step.side, step.command, actor ?? '', input.writes, input.comment, date);
    if (!result.ok) throw new SeedError(`${step.side} ${step.command} from ${record.stat}: ${result.status} ${result.message}`);
    record = result.record;
  });
  return record;
}

export interface GenerateOptions {
  ourParticipantId: string;
  count: number;
  seed: number;
  /** Records are created over this many days up to today. */
  days: number;
}

const LENDING_STATES: ReadonlyArray<readonly [NacsisStat, number]> = [
  ['未処理', 6], ['処理中', 4], ['新着照会', 1], ['回答待', 1], ['発送', 3], ['到着処理中', 1], ['クレーム未処理', 1], ['確認', 3],
  ['借用中', 2], ['更新請求', 1], ['返送', 1], ['返却処理中', 1], ['返却確認', 2],
];
const BORROWING_STATES: ReadonlyArray<readonly [NacsisStat, number]> = [
  ['準備中', 1], ['未処理', 4], ['処理中', 3], ['新着照会', 2], ['照会', 1], ['発送', 3], ['到着処理中', 2], ['クレーム回答待', 1],
  ['確認', 3], ['借用中', 3], ['更新請求', 1], ['返送', 1], ['返却確認', 2], ['CANCEL', 1],
];

/** Generates records in a mix of states, half lending (another library borrows from us), half
 *  borrowing (we borrow); partner libraries are registered as participants (without credentials). */
export function generateRecords(store: NacsisStore, options: GenerateOptions): SimRecord[] {
  const random = seededRandom(options.seed);
  const us = options.ourParticipantId;
  if (!store.participant(us)) store.setParticipant({ participantId: us, name: V.LIBRARIES.find((l) => l.participantId === us)?.name ?? '架空大学附属図書館' });
  const partners = V.LIBRARIES.filter((library) => library.participantId !== us);
  for (const library of partners) if (!store.participant(library.participantId)) store.setParticipant({ participantId: library.participantId, name: library.name });
  const today = store.today();
  const records: SimRecord[] = [];
  for (let i = 0; i < options.count; i++) {
    const lending = random() < 0.5;
    let service: Format = random() < 0.65 ? 'COPY' : 'LOAN';
    const stat = pickWeighted(random, lending ? LENDING_STATES : BORROWING_STATES);
    if (!seedable(stat, service)) service = service === 'COPY' ? 'LOAN' : 'COPY';
    const created = addDays(today, -randomInt(random, 0, options.days - 1));
    const updated = stat === '未処理' || stat === '準備中' ? created : addDays(created, randomInt(random, 0, daysBetween(created, today)));
    const others = [...partners].sort(() => random() - 0.5);
    let candidates: CatpField[][];
    let borrowerId: string;
    let lenderIndex = 0;
    if (lending) {
      borrowerId = others[0].participantId;
      const before = random() < 0.2 ? [others[1]] : [];
      const after = others.slice(2, 2 + randomInt(random, 0, 2));
      candidates = [...before.map((l) => candidateGroup(l.participantId, l.name, random)), candidateGroup(us, store.nameOf(us), random), ...after.map((l) => candidateGroup(l.participantId, l.name, random))];
      lenderIndex = before.length;
    } else {
      borrowerId = us;
      const lenders = others.slice(0, randomInt(random, 1, 3));
      candidates = lenders.map((l) => candidateGroup(l.participantId, l.name, random));
      lenderIndex = stat === '未処理' || stat === '処理中' ? randomInt(random, 0, lenders.length - 1) : 0;
    }
    records.push(seedRecord(store, { borrowerId, service, stat, candidates, lenderIndex, writes: [], created, updated, random }));
  }
  return records;
}
