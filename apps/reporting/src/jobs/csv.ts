import { once } from 'events';
import type { Response } from 'express';
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

/** Streams a CSV download: the header line, then each page of records as the (async) iterable yields it. */
export async function streamCsv(res: Response, filename: string, header: string[], pages: AsyncIterable<string[]> | Iterable<string[]>): Promise<void> {
  res.status(200);
  res.setHeader('Content-Type', 'text/csv; charset=utf-8');
  res.setHeader('Content-Disposition', `attachment; filename="${filename}"`);
  res.setHeader('Cache-Control', 'no-store');
  let closed = false;
  res.on('close', () => (closed = true));
  const write = async (chunk: string) => {
    if (!res.write(chunk, 'utf8') && !closed) await Promise.race([once(res, 'drain'), once(res, 'close')]);
  };
  try {
    await write(csvLine(header));
    for await (const lines of pages) {
      if (closed) return;
      await write(lines.join(''));
    }
    res.end();
  } catch (error) {
    // Headers are out: the only honest signal left is a broken download.
    res.destroy(error as Error);
  }
}
