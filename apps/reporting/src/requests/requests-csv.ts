import { csvLine } from '../jobs/csv';

/** The columns of a request-list CSV export, answer field names, in order. */
export const REQUESTS_CSV_HEADER = [
  'externalId', 'direction', 'status', 'externalSystemStatus', 'partnerCode', 'title', 'author', 'requesterName', 'format',
  'dueDate', 'overdue', 'statusSince', 'syncState', 'createdAt', 'updatedAt', 'id',
];

const cell = (value: unknown) => (value instanceof Date ? value.toISOString() : value);

/** One request as a CSV record (the same formula guard as the events CSV: `csvLine`). */
export const requestCsvLine = (row: Record<string, unknown>) => csvLine(REQUESTS_CSV_HEADER.map((field) => cell(row[field])));
