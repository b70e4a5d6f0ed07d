import type { Response } from 'express';
import { once } from 'events';
import { csvLine } from '../jobs/csv';

/** The columns of a request-list CSV export, answer field names, in order. */
export const REQUESTS_CSV_HEADER = [
  'externalId', 'direction', 'status', 'externalSystemStatus', 'partnerCode', 'title', 'author', 'requesterName', 'format',
  'dueDate', 'overdue', 'statusSince', 'syncState', 'createdAt', 'updatedAt', 'id',
];

const cell = (value: unknown) => (value instanceof Date ? value.toISOString() : value);

/** One request as a CSV record (the same formula guard as the events CSV: `csvLine`). */
export const requestCsvLine = (row: Record<string, unknown>) => csvLine(REQUESTS_CSV_HEADER.map((field) => cell(row[field])));

/** Streams a CSV download: the header line, then each page of records as the generator yields it. */
export async function streamCsv(res: Response, filename: string, header: string[], pages: AsyncIterable<string[]>): Promise<void> {
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
