import { stringify } from 'csv-stringify/sync';
import type { EventRow } from './jobs.service';

/** One CSV record (RFC 4180, CRLF): a field is quoted when it holds a comma, a quote, CR or LF (quotes
 *  doubled); null becomes an empty field. A field that starts with = + - @, a tab or CR gets a leading
 *  apostrophe, so that a spreadsheet shows it as text and never runs it as a formula (external ids,
 *  titles and messages come from other systems). */
export const csvLine = (fields: unknown[]): string =>
  stringify([fields.map((field) => (field === null || field === undefined ? '' : String(field)))], {
    escape_formulas: true,
    record_delimiter: '\r\n',
    quoted_match: /[\r\n]/,
  });

export const EVENTS_CSV_HEADER = ['externalId', 'direction', 'outcome', 'reasonCode', 'message', 'warnings', 'requestId'];

/** Warnings are joined with "; " in one field. */
export const eventCsvLine = (e: EventRow) => csvLine([e.externalId, e.direction, e.outcome, e.reasonCode, e.message, e.warnings.join('; '), e.requestId]);
