import type { Format } from '@illbridge/workflow/vocabulary';
import { isKnownLibrisStatus, mapLibrisStatus } from '@illbridge/workflow/libris-status';
import { calendarDate } from '../dates';
import type { IncomingRequest, MappingFailure, MappingResult } from '../types';
import type { LibrisIllRequest, LibrisReceivingLibrary, LibrisRecipient } from './libris-wire';

export const MALFORMED_RECORD = 'MALFORMED_RECORD';

const FORMAT_BY_MEDIA_TYPE: ReadonlyMap<string, Format> = new Map([
  ['Lån', 'LOAN'],
  ['Kopia', 'COPY'],
]);
const FORMAT_BY_MEDIA_TYPE_CODE: ReadonlyMap<string, Format> = new Map([
  ['1', 'LOAN'],
  ['2', 'COPY'],
]);

/** `NNNN-NNN[NX]`; anything else in `isbn_issn` is taken as an ISBN. */
const ISSN_SHAPE = /^\d{4}-\d{3}[\dX]$/i;

function describeType(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'array' : typeof value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads the fields of one untrusted object, collecting every type problem rather than stopping at
 *  the first, so a failure names them all. Texts are trimmed; empty or absent texts become null. */
class FieldReader<Shape> {
  constructor(
    private readonly source: Record<string, unknown>,
    private readonly problems: string[],
    private readonly path = '',
  ) {}

  text(field: keyof Shape & string): string | null {
    const value = this.source[field];
    if (value === undefined || value === null) return null;
    if (typeof value === 'string') return value.trim() || null;
    return this.wrongType(field, 'a string', value);
  }

  /** A text that must be there; its absence is a problem like a wrong type. */
  requiredText(field: keyof Shape & string): string | null {
    const value = this.text(field);
    const sent = this.source[field];
    const wrongType = sent !== undefined && sent !== null && typeof sent !== 'string';
    if (value === null && !wrongType) this.problems.push(`${this.path}${field} is missing or empty`);
    return value;
  }

  /** A number, which Libris sends as a string; a JSON number is taken as well. */
  numeric(field: keyof Shape & string): string | null {
    const value = this.source[field];
    if (typeof value === 'number' && Number.isFinite(value)) return String(value);
    if (value === undefined || value === null || typeof value === 'string') return this.text(field);
    return this.wrongType(field, 'a string or a number', value);
  }

  object<Nested>(field: keyof Shape & string): FieldReader<Nested> | null {
    const value = this.source[field];
    if (value === undefined || value === null) return null;
    if (isObject(value)) return new FieldReader<Nested>(value, this.problems, `${this.path}${field}.`);
    return this.wrongType(field, 'an object', value);
  }

  objects<Nested>(field: keyof Shape & string): FieldReader<Nested>[] {
    const value = this.source[field];
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) return this.wrongType(field, 'an array', value) ?? [];
    return value.flatMap((item, index) => {
      if (isObject(item)) return [new FieldReader<Nested>(item, this.problems, `${this.path}${field}[${index}].`)];
      this.problems.push(`${this.path}${field}[${index}] must be an object, got ${describeType(item)}`);
      return [];
    });
  }

  private wrongType(field: string, expected: string, value: unknown): null {
    this.problems.push(`${this.path}${field} must be ${expected}, got ${describeType(value)}`);
    return null;
  }
}

function failure(raw: unknown, message: string): MappingResult {
  const record = isObject(raw) ? raw : {};
  const id = [record.lf_number, record.request_id].find((value) => (typeof value === 'string' && value.trim()) || typeof value === 'number');
  const externalId = id === undefined ? '' : String(id).trim();
  const mappingFailure: MappingFailure = { externalId, direction: 'BORROWING', reasonCode: MALFORMED_RECORD, message };
  return { ok: false, failure: mappingFailure };
}

function resolveFormat(mediaType: string | null, mediaTypeCode: string | null, warnings: string[]): Format | null {
  const format = (mediaType && FORMAT_BY_MEDIA_TYPE.get(mediaType)) || (mediaTypeCode && FORMAT_BY_MEDIA_TYPE_CODE.get(mediaTypeCode)) || null;
  if (!format && (mediaType || mediaTypeCode)) warnings.push(`unknown media type "${mediaType ?? ''}" (code "${mediaTypeCode ?? ''}")`);
  return format;
}

function statusWarning(status: string | null, format: Format | null): string | null {
  if (status === null) return 'the record has no status: status left unchanged';
  if (!isKnownLibrisStatus(status)) return `unknown Libris status "${status}": status left unchanged`;
  if (status === 'Levererad' && format === null) return `"${status}" without a known media type: status left unchanged`;
  return null;
}

/** Builds one imported borrowing request from one Libris `ill_requests[]` entry
 *  (libris-ill-api.md §6). A record that is not an object, has no `lf_number` or carries wrong
 *  types in the fields read fails alone with `MALFORMED_RECORD`; oddities real records have
 *  (empty texts, an empty title, unknown media type or status) become nulls and warnings. */
export function mapLibrisRecord(raw: unknown): MappingResult {
  if (!isObject(raw)) return failure(raw, `a Libris record must be an object, got ${describeType(raw)}`);

  const problems: string[] = [];
  const warnings: string[] = [];
  const record = new FieldReader<LibrisIllRequest>(raw, problems);
  const externalId = record.requiredText('lf_number');
  const status = record.text('status');
  const format = resolveFormat(record.text('media_type'), record.numeric('media_type_code'), warnings);
  const receivingLibrary = record.object<LibrisReceivingLibrary>('receiving_library');
  const recipientCodes = record.objects<LibrisRecipient>('recipients').map((recipient) => recipient.text('library_code'));
  const isbnIssn = record.text('isbn_issn');
  const isIssn = isbnIssn !== null && ISSN_SHAPE.test(isbnIssn);

  const request: Omit<IncomingRequest, 'externalId'> = {
    direction: 'BORROWING',
    externalRef: record.numeric('request_id'),
    externalSystemStatus: status,
    mappedStatus: status === null ? null : mapLibrisStatus(status, format),
    externalLibraryCode: record.text('requesting_library') ?? receivingLibrary?.text('library_code') ?? null,
    partnerCodes: [...new Set(recipientCodes.filter((code): code is string => code !== null))],
    activePartnerCode: record.text('active_library'),
    requesterName: record.text('user'),
    requesterId: record.numeric('user_id'),
    title: record.text('title'),
    author: record.text('author'),
    isbn: isIssn ? null : isbnIssn,
    issn: isIssn ? isbnIssn : null,
    publisher: record.text('publisher'),
    placeOfPublication: record.text('place_of_publication'),
    year: record.numeric('year'),
    edition: null,
    volume: record.numeric('volume_designation'),
    issue: null,
    pages: record.numeric('pages'),
    articleTitle: record.text('title_of_article'),
    articleAuthor: record.text('author_of_article'),
    format,
    note: record.text('message'),
    lastInterestDate: null,
    dueDate: calendarDate(record.text('due_date')),
    raw,
  };

  if (problems.length || externalId === null) return failure(raw, `malformed Libris record: ${problems.join('; ')}`);
  const warning = statusWarning(status, format);
  if (warning) warnings.push(warning);
  return { ok: true, request: { externalId, ...request }, warnings };
}

/** When a Libris record last changed (`last_modified`, Unix epoch seconds as a string), or null when it does not
 *  say in that form: the only instant a record carries, used to honour a harvest start date given to the second. */
export function librisLastModified(raw: unknown): Date | null {
  const text = isObject(raw) ? (raw as { last_modified?: unknown }).last_modified : undefined;
  if (typeof text !== 'string' && typeof text !== 'number') return null;
  if (!/^\d{1,12}$/.test(String(text))) return null;
  return new Date(Number(text) * 1000);
}
