import type { CatpClient, CatpHandle } from './catp-client';
import { fieldValue, fieldValues, isGroup, searchTerm } from './catp-codec';
import type { CatpRecord } from './catp-codec';

/* Locating lenders in NACSIS-CAT: the bibliographic files (BOOK, SERIAL) and their holdings files (BHOLD, SHOLD),
   searched over the same CATP session as the ILL files. nacsis-catp.md names the CAT update specification
   (bhold.update) but not the holdings search itself, so this is the conservative reading, and what the simulator
   serves: a bibliographic record's `ID` is the BIBID that ILL records carry in `BIBG`; a holdings record points at
   it with `BID` and names its library with `FANO` (participant id) and `LIBABL` (short name), its location `LOC`
   and, per `HOLD` group, the volumes `VOL` (serials: `HLV`, the volumes held), call number `CLN` and registration number `RGTN`. Serials' BIBIDs start with A (AA…, AN…), books' with B (BA…, BB…, BN…). */

export const CAT_DATABASES = { book: 'BOOK', serial: 'SERIAL', bookHoldings: 'BHOLD', serialHoldings: 'SHOLD' } as const;

/** How many bibliographic records of an ISBN/ISSN search have their holdings read (more would be a bad number). */
const MAX_BIBLIOGRAPHIES = 10;
/** Records asked for per RETRIEVE (the server may answer fewer). */
const PAGE = 100;

export interface HoldingsQuery {
  bibId?: string;
  isbn?: string;
  issn?: string;
}

export interface NacsisBibliography {
  bibId: string;
  title: string | null;
  /** `BOOK` or `SERIAL`. */
  database: string;
}

/** One library's holding of a title: the lender candidate as an ILL record's `HMLG` takes it. */
export interface NacsisHolding {
  bibId: string;
  participantId: string;
  name: string | null;
  location: string | null;
  volumes: string[];
  callNumber: string | null;
  registrationNumber: string | null;
}

export interface HoldingsResult {
  bibliographies: NacsisBibliography[];
  holdings: NacsisHolding[];
}

const isSerialBibId = (bibId: string) => /^A/i.test(bibId);
const clean = (value: string | undefined) => (value && value.trim() && value.trim() !== '@' ? value.trim() : null);

/** Every record a SEARCH finds: those it returned at once, then the rest page by page. */
async function everyRecord(client: CatpClient, handle: CatpHandle, db: string, query: string): Promise<CatpRecord[]> {
  const first = await client.search(handle, db, query, { smallSetUpperBound: PAGE, largeSetLowerBound: PAGE + 1, mediumSetPresentNumber: PAGE });
  const records = [...first.records];
  let position = first.nextPosition;
  while (position > 0) {
    const page = await client.retrieve(handle, db, first, position, PAGE);
    records.push(...page.records);
    if (page.nextPosition !== 0 && page.nextPosition <= position) break;
    position = page.nextPosition;
  }
  return records;
}

function bibliographyOf(record: CatpRecord, database: string): NacsisBibliography | null {
  const bibId = clean(fieldValue(record, 'ID'));
  return bibId ? { bibId, title: clean(fieldValue(record, 'TR')), database } : null;
}

/** A holdings record as a lender candidate; null without a participant id. */
export function holdingOf(record: CatpRecord, bibId: string): NacsisHolding | null {
  const participantId = clean(fieldValue(record, 'FANO'));
  if (!participantId) return null;
  const groups = record.filter(isGroup).filter((group) => group.group === 'HOLD');
  const volumes = [...groups.flatMap((group) => [...fieldValues(group.fields, 'VOL'), ...fieldValues(group.fields, 'HLV')]), ...fieldValues(record, 'HLV')].map(clean).filter((v): v is string => v !== null);
  const first = (tag: string) => groups.map((group) => clean(fieldValue(group.fields, tag))).find((v) => v !== null) ?? null;
  return {
    bibId: clean(fieldValue(record, 'BID')) ?? bibId,
    participantId,
    name: clean(fieldValue(record, 'LIBABL')),
    location: clean(fieldValue(record, 'LOC')),
    volumes,
    callNumber: first('CLN'),
    registrationNumber: first('RGTN'),
  };
}

/** The titles a query names (by BIBID, else by ISBN in BOOK, else by ISSN in SERIAL) and the libraries holding
 *  them, each library once per title, in the order NACSIS answers; `exceptParticipant` (our own library) left out. */
export async function findHoldings(client: CatpClient, handle: CatpHandle, query: HoldingsQuery, exceptParticipant?: string): Promise<HoldingsResult> {
  let bibliographies: NacsisBibliography[];
  if (query.bibId) {
    const database = isSerialBibId(query.bibId) ? CAT_DATABASES.serial : CAT_DATABASES.book;
    const found = (await everyRecord(client, handle, database, searchTerm('ID', query.bibId))).map((r) => bibliographyOf(r, database));
    bibliographies = found.filter((b): b is NacsisBibliography => b !== null);
    // A BIBID the bibliographic file does not answer may still have holdings: ask for them all the same.
    if (!bibliographies.length) bibliographies = [{ bibId: query.bibId, title: null, database }];
  } else {
    const [database, key, value] = query.isbn ? [CAT_DATABASES.book, 'ISBN', query.isbn] : [CAT_DATABASES.serial, 'ISSN', query.issn ?? ''];
    const found = (await everyRecord(client, handle, database, searchTerm(key, value))).map((r) => bibliographyOf(r, database));
    bibliographies = found.filter((b): b is NacsisBibliography => b !== null).slice(0, MAX_BIBLIOGRAPHIES);
  }
  const holdings: NacsisHolding[] = [];
  for (const bibliography of bibliographies) {
    const database = bibliography.database === CAT_DATABASES.serial ? CAT_DATABASES.serialHoldings : CAT_DATABASES.bookHoldings;
    const seen = new Set<string>();
    for (const record of await everyRecord(client, handle, database, searchTerm('BID', bibliography.bibId))) {
      const holding = holdingOf(record, bibliography.bibId);
      if (!holding || holding.participantId === exceptParticipant || seen.has(holding.participantId)) continue;
      seen.add(holding.participantId);
      holdings.push(holding);
    }
  }
  return { bibliographies, holdings };
}
