import type { Direction, Format, RequestStatus } from '@illbridge/workflow/vocabulary';

/** An external record turned into our model by a connector's mapper, before library and partner
 *  resolution. Every connector (Libris, NACSIS, Netpunkt) produces this one shape; the import
 *  worker resolves libraries and partners and upserts it. Empty strings become null. */
export interface IncomingRequest {
  direction: Direction;
  /** The external system's request id, shown as "External Identifier" (Libris lf_number, NACSIS ID, Netpunkt orderId). */
  externalId: string;
  /** A second identifier (Libris request_id, NACSIS ONO, Netpunkt requesterId). */
  externalRef: string | null;
  /** The external status text exactly as sent (Swedish, Japanese, …). */
  externalSystemStatus: string | null;
  /** The local status the external status maps to, or null when it has no local match. */
  mappedStatus: RequestStatus | null;
  /** The external library code the record names, to be resolved through the library-code mapping. */
  externalLibraryCode: string | null;
  /** Partner codes named by the record, in order (the rota / lender candidates). */
  partnerCodes: string[];
  /** The active partner's code. */
  activePartnerCode: string | null;
  requesterName: string | null;
  requesterId: string | null;
  title: string | null;
  author: string | null;
  isbn: string | null;
  issn: string | null;
  publisher: string | null;
  placeOfPublication: string | null;
  year: string | null;
  edition: string | null;
  volume: string | null;
  issue: string | null;
  pages: string | null;
  articleTitle: string | null;
  articleAuthor: string | null;
  format: Format | null;
  note: string | null;
  lastInterestDate: string | null;
  /** When a loan is due back, `YYYY-MM-DD` (NACSIS DDATE, Libris due_date); null when the record has none. */
  dueDate?: string | null;
  /** The raw external record, kept for audit (JSON-serialisable). */
  raw: unknown;
}

/** A record that could not be mapped: it fails alone with this reason, the run goes on. */
export interface MappingFailure {
  externalId: string;
  direction: Direction;
  reasonCode: string;
  message: string;
}

export type MappingResult = { ok: true; request: IncomingRequest; warnings: string[] } | { ok: false; failure: MappingFailure };

/** How an external call failed; decides retry vs. permanent failure. `MALFORMED_RESPONSE`: an answer of the
 *  right kind that cannot be read (the part it covers fails); `UNEXPECTED_RESPONSE`: an answer of another kind
 *  altogether (an HTML login page, an error text with status 200), which fails the whole run at once. */
export type ExternalErrorKind = 'AUTHENTICATION' | 'TRANSIENT' | 'PERMANENT' | 'MALFORMED_RESPONSE' | 'UNEXPECTED_RESPONSE';

export class ExternalSystemError extends Error {
  constructor(
    readonly kind: ExternalErrorKind,
    message: string,
    readonly status?: number,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'ExternalSystemError';
  }
}
