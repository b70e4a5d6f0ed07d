import type { Direction, Format } from '@illbridge/workflow/vocabulary';
import { NACSIS_COMMANDS, isNacsisStat, mapNacsisStatus } from '@illbridge/workflow';
import type { NacsisCommand, NacsisHistoryEntry, NacsisRecordState } from '@illbridge/workflow';
import { calendarDate } from '../dates';
import type { IncomingRequest, MappingResult } from '../types';
import { fieldValue, fieldValues, groupsOf } from './catp-codec';
import type { CatpElement, CatpRecord } from './catp-codec';

/** The current-file ILL databases (nacsis-catp.md §6.1): the database says both the service and our side. */
export const NACSIS_DATABASES = {
  COPYO: { direction: 'BORROWING', format: 'COPY' },
  LOANO: { direction: 'BORROWING', format: 'LOAN' },
  COPYA: { direction: 'LENDING', format: 'COPY' },
  LOANA: { direction: 'LENDING', format: 'LOAN' },
} as const satisfies Record<string, { direction: Direction; format: Format }>;
export type NacsisDatabase = keyof typeof NACSIS_DATABASES;

export function isNacsisDatabase(value: unknown): value is NacsisDatabase {
  return typeof value === 'string' && Object.hasOwn(NACSIS_DATABASES, value);
}

/** The databases of one side of ours (our borrowing: COPYO, LOANO; our lending: COPYA, LOANA), COPY first. */
export function nacsisDatabasesOf(direction: Direction): NacsisDatabase[] {
  return (Object.keys(NACSIS_DATABASES) as NacsisDatabase[]).filter((db) => NACSIS_DATABASES[db].direction === direction);
}

/** The database a request's record lives in: the side by direction, the service by format (COPY when unknown). */
export function nacsisDatabaseOf(direction: Direction, format: Format | null): NacsisDatabase {
  const service: Format = format === 'LOAN' ? 'LOAN' : 'COPY';
  return nacsisDatabasesOf(direction).find((db) => NACSIS_DATABASES[db].format === service)!;
}

const MALFORMED_RECORD = 'MALFORMED_RECORD';

/** `SRVCE` (1 character; nacsis-catp.md G12), and the spelled-out form seen in the Alma model. */
const FORMAT_BY_SERVICE: ReadonlyMap<string, Format> = new Map([
  ['C', 'COPY'],
  ['COPY', 'COPY'],
  ['L', 'LOAN'],
  ['LOAN', 'LOAN'],
]);

/** The parts of a NACSIS-CAT bibliographic description (`BIBNT`). */
interface BibliographicNote {
  title: string | null;
  author: string | null;
  edition: string | null;
  place: string | null;
  publisher: string | null;
  year: string | null;
}

/** ISBD areas are separated by `. -- `; the publication area reads `[Place : ]Publisher, Year`. */
const AREA_SEPARATOR = /\.?\s+--\s+/;
const PUBLICATION_AREA = /^(?:(.+?)\s+:\s+)?(.+?),\s*(\d{4})/;
const EDITION_AREA = /版|\bed\.|\bedition\b/i;

/** Trimmed; null when absent or empty. */
function clean(text: string | undefined): string | null {
  return text?.trim() || null;
}

/** Splits `Title / Responsibility` (first ` / `); either half may be missing. */
function titleAndResponsibility(text: string | undefined): [string | null, string | null] {
  if (!text) return [null, null];
  const slash = text.indexOf(' / ');
  return slash === -1 ? [clean(text), null] : [clean(text.slice(0, slash)), clean(text.slice(slash + 3))];
}

/** Reads a `BIBNT` such as `借地法 / 鈴木禄弥著. -- 改訂版. -- 東京 : 青林書院新社, 1980.` */
function parseBibliographicNote(text: string | undefined): BibliographicNote {
  const [titleArea, ...areas] = text ? text.trim().replace(/\.$/, '').split(AREA_SEPARATOR) : [];
  const [title, author] = titleAndResponsibility(titleArea);
  const publication = areas.map((area) => PUBLICATION_AREA.exec(area)).find((match) => match !== null);
  const edition = areas.find((area) => !PUBLICATION_AREA.test(area) && EDITION_AREA.test(area));
  return {
    title,
    author,
    edition: clean(edition),
    place: clean(publication?.[1]),
    publisher: clean(publication?.[2]),
    year: publication?.[3] ?? null,
  };
}

/** `STDNO` values look like `ISBN=4417004684` or `ISSN=0000-0000`. */
function standardNumber(values: readonly string[], kind: 'ISBN' | 'ISSN'): string | null {
  const prefix = `${kind}=`;
  const value = values.find((candidate) => candidate.toUpperCase().startsWith(prefix));
  return clean(value?.slice(prefix.length));
}

/** `VLNO` in NACSIS's `volume(issue)` form, e.g. `12(3)`; anything else is the volume. */
function volumeAndIssue(vlno: string | null): [string | null, string | null] {
  const match = vlno === null ? null : /^(.+?)\s*\((.+)\)$/.exec(vlno);
  return match ? [match[1], match[2]] : [vlno, null];
}

/** A field that must occur at most once; several different values make the record malformed. */
function single(record: CatpRecord, tag: string, problems: string[]): string | null {
  const values = [...new Set(fieldValues(record, tag).map((value) => value.trim()).filter(Boolean))];
  if (values.length > 1) problems.push(`${tag} occurs with ${values.length} different values`);
  return values[0] ?? null;
}

/** A field's value, trimmed; null when absent or empty. */
function text(elements: readonly CatpElement[], tag: string): string | null {
  return clean(fieldValue(elements, tag));
}

/** The patron: `CLNT` (name) with `CLNTP` (affiliation) in parentheses. */
function patronOf(record: CatpRecord): string | null {
  const name = text(record, 'CLNT');
  const affiliation = text(record, 'CLNTP');
  if (name && affiliation) return `${name} (${affiliation})`;
  return name ?? affiliation;
}

/** Builds one imported request from one decoded ILL record of `database` (nacsis-ill.md §5 step 3).
 *  Borrowing: the candidate lenders (`HMLG`) in order, the current one (`AMLID`) active, the patron from
 *  `CLNT`/`CLNTP`, our library `OMLID`. Lending: the requesting library (`OMLID`/`OMLNM`) as requester
 *  and partner, our library `AMLID`. Bibliographic data from `BIBG` (`BIBNT` read as ISBD, `STDNO`),
 *  `VLNO`, `PAGE`, `YEAR` and `ARTCL`; the note is the latest history comment. A record without `ID`,
 *  `STAT`, `OMLID` or (lending) `AMLID`, or with several values for one of them, fails alone with
 *  `MALFORMED_RECORD`; an unknown STAT or SRVCE, or a candidate without HMLID, is a warning. */
export function mapNacsisRecord(record: CatpRecord, database: NacsisDatabase): MappingResult {
  const { direction, format } = NACSIS_DATABASES[database];
  const borrowing = direction === 'BORROWING';
  const problems: string[] = [];
  const warnings: string[] = [];

  const externalId = single(record, 'ID', problems);
  const stat = single(record, 'STAT', problems);
  const borrowerId = single(record, 'OMLID', problems);
  const lenderId = single(record, 'AMLID', problems);
  if (externalId === null) problems.push('the record has no ID');
  if (stat === null) problems.push('the record has no STAT');
  if (borrowerId === null) problems.push('the record has no OMLID');
  if (lenderId === null && !borrowing) problems.push('the record has no AMLID');
  if (problems.length || externalId === null || stat === null || borrowerId === null) {
    return { ok: false, failure: { externalId: externalId ?? '', direction, reasonCode: MALFORMED_RECORD, message: `malformed NACSIS record: ${problems.join('; ')}` } };
  }

  if (!isNacsisStat(stat)) warnings.push(`unknown NACSIS STAT "${stat}": status left unchanged`);
  const service = text(record, 'SRVCE');
  if (service !== null && FORMAT_BY_SERVICE.get(service.toUpperCase()) !== format) {
    warnings.push(`SRVCE "${service}" does not match database ${database}: taken as ${format}`);
  }

  const candidates = groupsOf(record, 'HMLG').map((group, index) => {
    const holder = text(group.fields, 'HMLID');
    if (holder === null) warnings.push(`HMLG ${index + 1} has no HMLID`);
    return holder;
  });
  const [bibliography] = groupsOf(record, 'BIBG');
  const bibFields = bibliography?.fields ?? [];
  const note = parseBibliographicNote(fieldValue(bibFields, 'BIBNT'));
  const standardNumbers = fieldValues(bibFields, 'STDNO');
  const [volume, issue] = volumeAndIssue(text(record, 'VLNO'));
  const [articleTitle, articleAuthor] = titleAndResponsibility(fieldValue(record, 'ARTCL'));
  const comments = groupsOf(record, 'SENDG').map((group) => text(group.fields, 'SENDCMNT'));

  const request: IncomingRequest = {
    direction,
    externalId,
    externalRef: text(record, 'ONO'),
    externalSystemStatus: stat,
    mappedStatus: mapNacsisStatus(stat, direction),
    externalLibraryCode: borrowing ? borrowerId : lenderId,
    partnerCodes: borrowing ? [...new Set(candidates.filter((code): code is string => code !== null))] : [borrowerId],
    activePartnerCode: borrowing ? lenderId : borrowerId,
    requesterName: borrowing ? patronOf(record) : text(record, 'OMLNM'),
    requesterId: borrowing ? null : borrowerId,
    title: note.title,
    author: note.author,
    isbn: standardNumber(standardNumbers, 'ISBN'),
    issn: standardNumber(standardNumbers, 'ISSN'),
    publisher: note.publisher,
    placeOfPublication: note.place,
    year: text(record, 'YEAR') ?? note.year,
    edition: note.edition,
    volume,
    issue,
    pages: text(record, 'PAGE'),
    articleTitle,
    articleAuthor,
    format,
    note: comments.filter((comment): comment is string => comment !== null).at(-1) ?? null,
    lastInterestDate: null,
    dueDate: calendarDate(text(record, 'DDATE')),
    raw: record,
  };
  return { ok: true, request, warnings };
}

function isNacsisCommand(value: string): value is NacsisCommand {
  return (NACSIS_COMMANDS as readonly string[]).includes(value);
}

/** The state-check view of a decoded record of `database` (see `applyCommand`, `actionContextFor`):
 *  candidates are the libraries that accept for each `HMLG` (`AMLIDA`, else `HMLID`). Null when the
 *  record cannot be judged: an unknown STAT, no OMLID, an AMLID that is not among the candidates,
 *  or a history entry with an unknown command. */
export function nacsisRecordState(record: CatpRecord, database: NacsisDatabase): NacsisRecordState | null {
  const stat = text(record, 'STAT');
  const borrowerId = text(record, 'OMLID');
  if (stat === null || !isNacsisStat(stat) || borrowerId === null) return null;

  const candidates = groupsOf(record, 'HMLG')
    .map((group) => text(group.fields, 'AMLIDA') ?? text(group.fields, 'HMLID'))
    .filter((id): id is string => id !== null);
  const lender = text(record, 'AMLID');
  const currentLenderIndex = lender === null ? null : candidates.indexOf(lender);
  if (currentLenderIndex === -1) return null;

  const history: NacsisHistoryEntry[] = [];
  for (const { fields } of groupsOf(record, 'SENDG')) {
    const command = text(fields, 'SENDCMND');
    const participantId = text(fields, 'SENDMLID');
    if (command === null || !isNacsisCommand(command) || participantId === null) return null;
    const comment = text(fields, 'SENDCMNT');
    history.push(comment === null ? { command, participantId } : { command, participantId, comment });
  }
  return { stat, service: NACSIS_DATABASES[database].format, borrowerId, candidates, currentLenderIndex, history };
}

/** Whether `record` shows `command` carried out by `participantId` since `before` (the record as we last saw it):
 *  the last history entry of `participantId` is that command, and it has more entries than `before` had. Without a
 *  readable `before`, the record must also be in `toStat`, the STAT the command leads to. Used to tell whether a push
 *  whose answer was lost reached NACSIS (the push worker before sending again, the sync for a failed push). */
export function recordShowsCommand(
  record: CatpRecord,
  before: CatpRecord | null,
  database: NacsisDatabase,
  participantId: string | null,
  command: string,
  toStat: string | null,
): boolean {
  if (!participantId) return false;
  const now = nacsisRecordState(record, database);
  if (!now) return false;
  const ours = now.history.filter((entry) => entry.participantId === participantId);
  if (ours.at(-1)?.command !== command) return false;
  const previous = before ? nacsisRecordState(before, database) : null;
  if (previous) return ours.length > previous.history.filter((entry) => entry.participantId === participantId).length;
  return now.stat === toStat;
}
