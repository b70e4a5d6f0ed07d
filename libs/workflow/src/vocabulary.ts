/** The vocabulary of a resource sharing request (product.md §1–5): its directions, the local statuses of each, the
 *  final ones, and the formats. The workflow rules are written in it; the database stores it. */
export const DIRECTIONS = ['BORROWING', 'LENDING'] as const;
export type Direction = (typeof DIRECTIONS)[number];

export const BORROWING_STATUSES = [
  'CREATED_BORROWING_REQUEST', 'REQUEST_SENT_TO_PARTNER', 'REQUEST_ACCEPTED', 'CONDITIONAL', 'REJECTED_BY_PARTNER',
  'SHIPPED_PHYSICALLY', 'SHIPPED_DIGITALLY', 'PHYSICALLY_RECEIVED_BY_LIBRARY', 'DIGITALLY_RECEIVED_BY_LIBRARY',
  'RENEW_REQUESTED', 'RETURNED_ITEM_TO_PARTNER', 'REQUEST_COMPLETED', 'CANCELED_BY_STAFF', 'CANCELED_BY_PARTNER',
] as const;
export const LENDING_STATUSES = [
  'CREATED_LENDING_REQUEST', 'BEING_PROCESSED', 'CONDITIONAL', 'SHIPPED_PHYSICALLY', 'SHIPPED_DIGITALLY',
  'RECEIVED_BY_PARTNER', 'RENEW_REQUESTED', 'RETURNED_BY_PARTNER', 'REJECTED', 'CANCELLED', 'REQUEST_COMPLETED',
] as const;
export type BorrowingStatus = (typeof BORROWING_STATUSES)[number];
export type LendingStatus = (typeof LENDING_STATUSES)[number];
export type RequestStatus = BorrowingStatus | LendingStatus;

/** Statuses after which an external system no longer changes a request. */
export const FINAL_STATUSES: readonly RequestStatus[] = ['REQUEST_COMPLETED', 'CANCELED_BY_STAFF', 'CANCELED_BY_PARTNER', 'CANCELLED', 'REJECTED'];

export const FORMATS = ['LOAN', 'COPY'] as const;
export type Format = (typeof FORMATS)[number];

/** Statuses in which a loaned item is out and due back (the due date counts): shipped, received, a renewal asked for.
 *  Once it is returned (RETURNED_*) or the request is closed, it is no longer overdue. */
export const ON_LOAN_STATUSES: readonly RequestStatus[] = ['SHIPPED_PHYSICALLY', 'PHYSICALLY_RECEIVED_BY_LIBRARY', 'RECEIVED_BY_PARTNER', 'RENEW_REQUESTED'];
