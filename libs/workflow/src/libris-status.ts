import type { Format, RequestStatus } from './vocabulary';

/** The local status a Libris status moves a borrowing request to: one status, one per format
 *  (a delivery is physical for a loan and digital for a copy), or null when there is no local match. */
export type LibrisLocalStatus = RequestStatus | Readonly<Record<Format, RequestStatus>> | null;

export interface LibrisStatusRow {
  /** The Swedish status text exactly as Libris sends it. */
  readonly status: string;
  readonly meaning: string;
  readonly local: LibrisLocalStatus;
  /** Libris moves a request on from this status no more (borrowing side): the refresh no longer reads it. */
  readonly final?: true;
}

/** libris-ill-api.md §5, borrowing side. */
export const LIBRIS_STATUS_TABLE = [
  { status: 'Uteliggande', meaning: 'waiting at the active lender', local: 'REQUEST_SENT_TO_PARTNER' },
  { status: 'Remitterad', meaning: 'forwarded to the next lender', local: 'REQUEST_SENT_TO_PARTNER' },
  { status: 'Läst', meaning: 'the lender has read it', local: 'REQUEST_SENT_TO_PARTNER' },
  { status: 'Kan reserveras', meaning: 'on loan there; a reservation is offered', local: 'CONDITIONAL' },
  { status: 'Reservation', meaning: 'we asked for a reservation', local: null },
  { status: 'Reserverad', meaning: 'reserved for us', local: 'REQUEST_ACCEPTED' },
  { status: 'Negativt svar', meaning: 'nobody in the chain can supply', local: 'REJECTED_BY_PARTNER', final: true },
  { status: 'Levererad', meaning: 'delivered / sent by the lender', local: { LOAN: 'SHIPPED_PHYSICALLY', COPY: 'SHIPPED_DIGITALLY' }, final: true },
  { status: 'Avbeställd', meaning: 'cancelled by the requesting library', local: 'CANCELED_BY_STAFF', final: true },
  { status: 'Makulerad', meaning: 'voided', local: 'CANCELED_BY_STAFF', final: true },
  { status: 'Ej avbeställd!', meaning: 'a cancellation that did not go through', local: null },
] as const satisfies readonly LibrisStatusRow[];

export type LibrisStatus = (typeof LIBRIS_STATUS_TABLE)[number]['status'];

/** Every status text Libris is known to send, in the order of the table. */
export const LIBRIS_STATUSES: readonly LibrisStatus[] = LIBRIS_STATUS_TABLE.map((row) => row.status);

/** The statuses Libris moves a request on from no more: the end of the chain (`Negativt svar`), the delivery
 *  (`Levererad`; what follows happens in the libraries' own systems) and the cancellations (`Avbeställd`,
 *  `Makulerad`). Every other status, and any text not in the table, can still change, so it is refreshed. */
export const LIBRIS_FINAL_STATUSES: readonly LibrisStatus[] = LIBRIS_STATUS_TABLE.filter((row: LibrisStatusRow) => row.final).map((row) => row.status);

/** Whether a request in this Libris status (null: none known yet) can still change, so a refresh should read it. */
export function librisStatusCanChange(status: string | null): boolean {
  return status === null || !(LIBRIS_FINAL_STATUSES as readonly string[]).includes(status);
}

const ROW_BY_STATUS: ReadonlyMap<string, LibrisStatusRow> = new Map(LIBRIS_STATUS_TABLE.map((row) => [row.status, row]));

export function isKnownLibrisStatus(status: string): status is LibrisStatus {
  return ROW_BY_STATUS.has(status);
}

/** The local status a Libris status text maps to, or null when it has none: `Reservation`,
 *  `Ej avbeställd!`, an unknown text, or `Levererad` without a known format. The request's
 *  status is then left as it was and only its external status text changes. */
export function mapLibrisStatus(status: string, mediaType: Format | null): RequestStatus | null {
  const local = ROW_BY_STATUS.get(status)?.local ?? null;
  if (local === null || typeof local === 'string') return local;
  return mediaType === null ? null : local[mediaType];
}
