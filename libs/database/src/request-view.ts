/** The public shape of a request, one table for every service that answers with requests:
 *  [answer field, rs_request column]. `raw` only in the single-request view. */
export const REQUEST_LIST_FIELDS: [string, string][] = [
  ['id', 'id'],
  ['profileId', 'profile_id'],
  ['system', 'system'],
  ['direction', 'direction'],
  ['externalId', 'external_id'],
  ['externalRef', 'external_ref'],
  ['requestNumber', 'request_number'],
  ['status', 'status'],
  ['externalSystemStatus', 'external_system_status'],
  ['partnerCode', 'partner_code'],
  ['partners', 'partners'],
  ['ownerLibraryCode', 'owner_library_code'],
  ['pickupLibraryCode', 'pickup_library_code'],
  ['requesterName', 'requester_name'],
  ['requesterId', 'requester_id'],
  ['title', 'title'],
  ['author', 'author'],
  ['isbn', 'isbn'],
  ['issn', 'issn'],
  ['publisher', 'publisher'],
  ['placeOfPublication', 'place_of_publication'],
  ['year', 'year'],
  ['edition', 'edition'],
  ['volume', 'volume'],
  ['issue', 'issue'],
  ['pages', 'pages'],
  ['articleTitle', 'article_title'],
  ['articleAuthor', 'article_author'],
  ['format', 'format'],
  ['note', 'note'],
  ['lastInterestDate', 'last_interest_date'],
  ['dueDate', 'due_date'],
  ['statusSince', 'status_since'],
  ['syncState', 'sync_state'],
  ['createdAt', 'created_at'],
  ['updatedAt', 'updated_at'],
];
export const REQUEST_DETAIL_FIELDS: [string, string][] = [...REQUEST_LIST_FIELDS, ['closed', 'closed'], ['syncError', 'sync_error'], ['lastJobRunId', 'last_job_run_id'], ['raw', 'raw'], ['iso18626', 'iso18626']];
export const selectColumns = (fields: [string, string][]) => fields.map(([, column]) => column).join(', ');
export const rowView = (row: any, fields: [string, string][]) => Object.fromEntries(fields.map(([field, column]) => [field, row[column] ?? null]));

/** A request as answered after a change (e.g. a staff action): the list fields and the sync error. */
export const requestView = (row: any) => rowView(row, [...REQUEST_LIST_FIELDS, ['syncError', 'sync_error']]);
