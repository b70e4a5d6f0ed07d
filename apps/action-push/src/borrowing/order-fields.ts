import type { Format } from '@illbridge/database/entities/enums';
import type { CatpFieldValues } from '../ship-fields';
import { normaliseNote, todayInJapan } from '../ship-fields';

/** A candidate lender as the request keeps it and NACSIS's `HMLG` takes it (from a holdings search). */
export interface CandidateLender {
  participantId: string;
  name?: string | null;
  location?: string | null;
  volume?: string | null;
  callNumber?: string | null;
  registrationNumber?: string | null;
}

/** What a draft keeps for its ORDER beyond the request's own columns (rs_request.order_draft). */
export interface OrderDraft {
  lenders: CandidateLender[];
  bibId?: string | null;
  /** `ACCT`: pb (public expense), pr (private), re (research), ho, co. */
  accounting?: string | null;
  /** `TYPE`: the copy type (e.g. 電子複写); NACSIS requires it for copies. */
  copyType?: string | null;
  /** `SPVIA`: the delivery method. */
  delivery?: string | null;
  /** `OSTAF`: our staff in charge (name, telephone). */
  staff?: string | null;
  /** `OADRS`: our address for the delivery. */
  address?: string | null;
}

/** The request columns an ORDER is made of. */
export interface OrderedRequest {
  request_number: string;
  format: Format | null;
  title: string | null;
  author: string | null;
  publisher: string | null;
  place_of_publication: string | null;
  year: string | null;
  edition: string | null;
  volume: string | null;
  issue: string | null;
  pages: string | null;
  article_title: string | null;
  article_author: string | null;
  isbn: string | null;
  issn: string | null;
  requester_name: string | null;
}

/** NACSIS candidates per request (nacsis-catp.md §4.4: HMLG ×≤5). */
export const MAX_LENDERS = 5;
/** `ONO` holds at most 10 characters (NII fee-offset data format). */
export const MAX_ORDER_NUMBER_LENGTH = 10;

const present = (value: string | null | undefined): value is string => typeof value === 'string' && value.trim() !== '';
/** One line as CATP carries a field (no line breaks). */
const line = (value: string) => value.replace(/\s*[\r\n]+\s*/g, ' ').trim();

/** The bibliographic description NACSIS keeps in `BIBNT` (ISBD-like, as the mapper reads it back):
 *  "Title / Author. -- Edition. -- Place : Publisher, Year". */
export function bibliographicNote(request: OrderedRequest): string | null {
  if (!present(request.title)) return null;
  let text = line(request.title);
  if (present(request.author)) text += ` / ${line(request.author)}`;
  if (present(request.edition)) text += `. -- ${line(request.edition)}`;
  const imprint = [present(request.place_of_publication) ? line(request.place_of_publication) : null, present(request.publisher) ? line(request.publisher) : null]
    .filter((part): part is string => part !== null)
    .join(' : ');
  const tail = [imprint || null, present(request.year) ? line(request.year) : null].filter((part): part is string => part !== null).join(', ');
  if (tail) text += `. -- ${tail}`;
  return text;
}

/** The fields of NACSIS ORDER without `ID` (nacsis-catp.md §8: ACCT, TYPE for copies, BIBID/BIBNT/STDNO, HMLG ×≤5,
 *  ODATE, OSTAF, OADRS; plus ONO = our request number, the volume, pages, year, article, patron, delivery and the
 *  note as `CMMNT`). Only what the draft has is sent: NACSIS answers a missing required field with 422, and that
 *  refusal (with its reason) is what the request then shows. */
export function orderFields(request: OrderedRequest, draft: OrderDraft, note?: string | null, today = todayInJapan()): CatpFieldValues {
  const fields: CatpFieldValues = { ONO: request.request_number };
  if (present(draft.accounting)) fields.ACCT = draft.accounting;
  if (request.format !== 'LOAN' && present(draft.copyType)) fields.TYPE = line(draft.copyType);
  const bib: Record<string, string> = {};
  if (present(draft.bibId)) bib.BIBID = draft.bibId;
  const description = bibliographicNote(request);
  if (description) bib.BIBNT = description;
  if (present(request.isbn)) bib.STDNO = `ISBN=${request.isbn.trim()}`;
  else if (present(request.issn)) bib.STDNO = `ISSN=${request.issn.trim()}`;
  if (Object.keys(bib).length) fields.BIBG = [bib];
  const volume = [request.volume, request.issue].filter(present).map(line);
  if (volume.length === 2) fields.VLNO = `${volume[0]}(${volume[1]})`;
  else if (volume.length === 1) fields.VLNO = volume[0];
  if (present(request.pages)) fields.PAGE = line(request.pages);
  if (present(request.year)) fields.YEAR = line(request.year);
  if (present(request.article_title)) fields.ARTCL = present(request.article_author) ? `${line(request.article_title)} / ${line(request.article_author)}` : line(request.article_title);
  if (present(request.requester_name)) fields.CLNT = line(request.requester_name);
  if (draft.lenders.length) {
    fields.HMLG = draft.lenders.slice(0, MAX_LENDERS).map((lender) => {
      const group: Record<string, string> = { HMLID: lender.participantId };
      if (present(lender.name)) group.HMLNM = line(lender.name);
      if (present(lender.location)) group.LOC = line(lender.location);
      if (present(lender.volume)) group.VOL = line(lender.volume);
      if (present(lender.callNumber)) group.CLN = line(lender.callNumber);
      if (present(lender.registrationNumber)) group.RGTN = line(lender.registrationNumber);
      return group;
    });
  }
  fields.ODATE = today.replaceAll('-', '');
  if (present(draft.delivery)) fields.SPVIA = line(draft.delivery);
  if (present(draft.staff)) fields.OSTAF = line(draft.staff);
  if (present(draft.address)) fields.OADRS = line(draft.address);
  const comment = normaliseNote(note);
  if (comment) fields.CMMNT = comment;
  return fields;
}
