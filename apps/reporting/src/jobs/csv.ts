import type { EventRow } from './jobs.service';

/** One CSV field (RFC 4180): quoted when it holds a comma, a quote, CR or LF (quotes doubled);
 *  null becomes an empty field. */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export const csvLine = (fields: unknown[]) => `${fields.map(csvField).join(',')}\r\n`;

export const EVENTS_CSV_HEADER = ['externalId', 'direction', 'outcome', 'reasonCode', 'message', 'warnings', 'requestId'];

/** Warnings are joined with "; " in one field. */
export const eventCsvLine = (e: EventRow) => csvLine([e.externalId, e.direction, e.outcome, e.reasonCode, e.message, e.warnings.join('; '), e.requestId]);
