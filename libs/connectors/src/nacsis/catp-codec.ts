import { CATP_REFUSAL_PHRASES } from '@illbridge/workflow';

/** CATP messages on the wire (nacsis-catp.md §2, §4, §5): request and status lines, header lines,
 *  and records of `TAG=value` lines and `<GROUP>…</GROUP>` blocks. Pure text in, text out; bytes
 *  are UTF-8 (the only body encoding supported, §2.5). */

const CRLF = '\r\n';
const BOUNDARY = 'NACSIS-CATP';
const RECORD_DELIMITER = `--${BOUNDARY}`;
const CLOSE_DELIMITER = `--${BOUNDARY}--`;

/** A message the codec cannot read: the simulator answers it with 400, the client reports a malformed response. */
export class CatpSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CatpSyntaxError';
  }
}

export interface CatpHeader {
  readonly name: string;
  readonly value: string;
}

export interface CatpMessage {
  readonly method: string;
  /** 10 characters; a placeholder in a GETHANDLE request, the new handle in its response. */
  readonly handle: string;
  /** 3 digits. */
  readonly frame: string;
  readonly version: string;
  /** Request or response headers in order, without the object headers `Content-Length` and `Encoding`. */
  readonly headers: readonly CatpHeader[];
  /** The `Encoding` object header; absent when the message does not carry one. */
  readonly encoding?: string;
  readonly body: string;
}

export type CatpRequest = CatpMessage;

export interface CatpResponse extends CatpMessage {
  readonly status: number;
  readonly reasonPhrase: string;
  /** Head lines that are not `Name: value`, in order (none when absent). The ruby client reads the second line of a
   *  GETHANDLE answer as the server's supported methods, so the real server may send one: it is kept, not refused. */
  readonly otherLines?: readonly string[];
}

/** Body encodings this codec reads and writes (`UTF8E` is UTF-8 for Vista-era clients). */
export const CATP_ENCODINGS: readonly string[] = ['UTF8', 'UTF8E'];

/** Header names as they are emitted; received names are matched ignoring case (§2.4 rule 6), and
 *  SPC's `Database-name` is read as `Database-names` (§3.5). */
const CANONICAL_HEADER_NAMES: ReadonlyMap<string, string> = new Map([
  ...[
    'Content-Length', 'Encoding', 'Authenticate', 'Schema-version', 'Database-names',
    'Small-set-element-set-names', 'Medium-set-element-set-names', 'Small-set-upper-bound', 'Large-set-lower-bound',
    'Medium-set-present-number', 'Result-count', 'Number-of-records-returned', 'Next-result-set-position',
    'Result-set-start-position', 'Number-of-records-requested', 'Element-set-names', 'Procedure-name', 'ILL-command',
    'Returned-edit-type',
  ].map((name): [string, string] => [name.toLowerCase(), name]),
  ['database-name', 'Database-names'],
]);

/** Reason phrases of the status codes (nacsis-catp.md §5). */
export const CATP_REASON_PHRASES: Readonly<Record<number, string>> = {
  200: 'OK',
  300: 'Warning',
  400: 'Bad Request',
  401: 'Authentication Failed',
  ...CATP_REFUSAL_PHRASES, // 403, 409, 422: the refusals of the ILL state check
  404: 'Not Found',
  405: 'Method Not Allowed',
  420: 'Invalid Handle',
  500: 'Server Error',
  503: 'Service Unavailable',
};

/** What an answer means to a client (§5; clients branch on the status class, the phrase is display text):
 *  - `OK`: 2xx, and 3xx (300 is NII's "warning success");
 *  - `AUTHENTICATION`: 401, the user id or password was refused;
 *  - `HANDLE_EXPIRED`: 420, get a new handle and try once more;
 *  - `STATE_CONFLICT`: 409, the command does not fit the record's state (or a partner acted first);
 *  - `PERMANENT`: any other 4xx (403, 404, 422 …) and unknown classes: the same request will fail again;
 *  - `TRANSIENT`: 5xx, worth retrying later. */
export type CatpStatusClass = 'OK' | 'AUTHENTICATION' | 'HANDLE_EXPIRED' | 'STATE_CONFLICT' | 'PERMANENT' | 'TRANSIENT';

export function classifyStatus(status: number): CatpStatusClass {
  if (status >= 200 && status < 400) return 'OK';
  if (status === 401) return 'AUTHENTICATION';
  if (status === 420) return 'HANDLE_EXPIRED';
  if (status === 409) return 'STATE_CONFLICT';
  if (status >= 500 && status < 600) return 'TRANSIENT';
  return 'PERMANENT';
}

// ---------------------------------------------------------------------------------------------
// Messages

const METHOD = /^[A-Z]+$/;
const HANDLE = /^\S{10}$/;
const FRAME = /^\d{3}$/;
const VERSION = /^CATP\/\d\.\d$/;
const STATUS_CODE = /^\d{3}$/;
const HEADER_NAME = /^[A-Za-z0-9-]+$/;
const HEADER_LINE = /^([A-Za-z0-9-]+)[ \t]*:[ \t]*(.*?)[ \t]*$/;

interface SplitMessage {
  readonly firstLine: string;
  readonly headerLines: readonly string[];
  readonly body: string;
}

/** Splits at the first empty line, accepting LF or CRLF (§2.4 rule 3); with no empty line, the
 *  headers run to the end of the data and there is no body (rule 4). */
function splitMessage(text: string): SplitMessage {
  const lines: string[] = [];
  let offset = 0;
  while (offset < text.length) {
    const end = text.indexOf('\n', offset);
    const lineEnd = end === -1 ? text.length : end;
    const line = text.slice(offset, lineEnd).replace(/\r$/, '');
    offset = end === -1 ? text.length : end + 1;
    if (line === '' && lines.length > 0) {
      return { firstLine: lines[0], headerLines: lines.slice(1), body: text.slice(offset) };
    }
    lines.push(line);
  }
  if (lines.length === 0 || lines[0] === '') throw new CatpSyntaxError('the message has no request or status line');
  return { firstLine: lines[0], headerLines: lines.slice(1), body: '' };
}

interface ParsedHeaders {
  readonly headers: CatpHeader[];
  readonly encoding?: string;
  readonly otherLines?: string[];
}

/** Header lines; one that is not `Name: value` is refused, or with `keepOthers` kept apart in `otherLines`. */
function parseHeaders(lines: readonly string[], keepOthers = false): ParsedHeaders {
  const headers: CatpHeader[] = [];
  const otherLines: string[] = [];
  let encoding: string | undefined;
  for (const line of lines) {
    const match = HEADER_LINE.exec(line);
    if (!match && keepOthers) {
      otherLines.push(line);
      continue;
    }
    if (!match) throw new CatpSyntaxError(`not a header line: ${JSON.stringify(line)}`);
    const name = CANONICAL_HEADER_NAMES.get(match[1].toLowerCase()) ?? match[1];
    const value = match[2];
    if (name === 'Encoding') encoding = value;
    else if (name === 'Content-Length') {
      // Advisory only (§2.4 rule 5): real clients count characters rather than octets.
      if (!/^\d+$/.test(value)) throw new CatpSyntaxError(`Content-Length is not a number: ${JSON.stringify(value)}`);
    } else headers.push({ name, value });
  }
  return { headers, ...(encoding !== undefined && { encoding }), ...(otherLines.length > 0 && { otherLines }) };
}

type LineElements = Pick<CatpMessage, 'method' | 'handle' | 'frame' | 'version'>;
const LINE_ELEMENT_RULES: Readonly<Record<keyof LineElements, RegExp>> = { method: METHOD, handle: HANDLE, frame: FRAME, version: VERSION };

function checkElements(elements: LineElements): void {
  for (const [element, rule] of Object.entries(LINE_ELEMENT_RULES)) {
    const value = elements[element as keyof LineElements];
    if (!rule.test(value)) throw new CatpSyntaxError(`bad ${element} ${JSON.stringify(value)}`);
  }
}

/** Reads a request the way the simulator must (§2.4): header order free, space after the colon
 *  optional, LF or CRLF, header names in any case, no final empty line needed, Content-Length
 *  ignored; the body is everything after the empty line less one trailing line break. */
export function decodeRequest(text: string): CatpRequest {
  const { firstLine, headerLines, body } = splitMessage(text);
  const parts = firstLine.split(' ');
  if (parts.length !== 6 || parts[4] !== '000' || parts[5] !== 'REQUEST') {
    throw new CatpSyntaxError(`not a request line: ${JSON.stringify(firstLine)}`);
  }
  const [method, handle, frame, version] = parts;
  checkElements({ method, handle, frame, version });
  return { method, handle, frame, version, ...parseHeaders(headerLines), body: body.replace(/\r?\n$/, '') };
}

/** Reads a response: the status line (whose reason phrase may hold spaces), the headers with the
 *  same tolerance as requests and more (a head line that is not `Name: value` is kept in `otherLines`, as the
 *  ruby client reads one after GETHANDLE's status line), and the body exactly as sent. */
export function decodeResponse(text: string): CatpResponse {
  const { firstLine, headerLines, body } = splitMessage(text);
  const match = /^(\S+) (\S+) (\S+) (\S+) (\S+) ?(.*)$/.exec(firstLine);
  if (!match || !STATUS_CODE.test(match[5])) throw new CatpSyntaxError(`not a status line: ${JSON.stringify(firstLine)}`);
  const [, method, handle, frame, version, status, reasonPhrase] = match;
  checkElements({ method, handle, frame, version });
  return { method, handle, frame, version, status: Number(status), reasonPhrase, ...parseHeaders(headerLines, true), body };
}

function checkLine(text: string, what: string): void {
  if (/[\r\n]/.test(text)) throw new CatpSyntaxError(`${what} must not contain a line break: ${JSON.stringify(text)}`);
}

function encodeHead(firstLine: string, message: CatpMessage, separator: string, otherLines: readonly string[] = []): string {
  checkElements(message);
  const lines = [firstLine];
  for (const line of otherLines) {
    checkLine(line, 'a head line');
    if (line === '') throw new CatpSyntaxError('a head line must not be empty');
    lines.push(line);
  }
  for (const { name, value } of message.headers) {
    if (!HEADER_NAME.test(name)) throw new CatpSyntaxError(`bad header name ${JSON.stringify(name)}`);
    checkLine(value, `header ${name}`);
    lines.push(`${name}:${separator}${value}`);
  }
  lines.push(`Content-Length:${separator}${Buffer.byteLength(message.body, 'utf8')}`);
  if (message.encoding !== undefined) {
    checkLine(message.encoding, 'Encoding');
    lines.push(`Encoding:${separator}${message.encoding}`);
  }
  return lines.map((line) => line + CRLF).join('') + CRLF + message.body;
}

/** Writes a request as clients send it: `Name: value` headers, then `Content-Length` (octets of
 *  the body) and `Encoding` if set, an empty line and the body. */
export function encodeRequest(request: CatpRequest): string {
  const { method, handle, frame, version } = request;
  return encodeHead(`${method} ${handle} ${frame} ${version} 000 REQUEST`, request, ' ');
}

/** Writes a response as the simulator emits it (§2.4 rule 2): `otherLines` right after the status line, then
 *  `Name:value` headers without a space. */
export function encodeResponse(response: CatpResponse): string {
  const { method, handle, frame, version, status, reasonPhrase } = response;
  if (!STATUS_CODE.test(String(status))) throw new CatpSyntaxError(`bad status ${status}`);
  checkLine(reasonPhrase, 'the reason phrase');
  return encodeHead(`${method} ${handle} ${frame} ${version} ${status} ${reasonPhrase}`, response, '', response.otherLines);
}

/** The value of a header, matched ignoring case. */
export function headerValue(message: Pick<CatpMessage, 'headers'>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  return message.headers.find((header) => header.name.toLowerCase() === wanted)?.value;
}

// ---------------------------------------------------------------------------------------------
// Records

export interface CatpField {
  readonly tag: string;
  readonly value: string;
}

export interface CatpGroup {
  readonly group: string;
  readonly fields: readonly CatpField[];
}

export type CatpElement = CatpField | CatpGroup;

/** One record: its fields and groups in wire order. A Delete-field is a field with an empty
 *  value, a Group-delete-field a group with no fields (nacsis-catp.md G5). */
export type CatpRecord = readonly CatpElement[];

const TAG = /^[A-Za-z0-9_]+$/;
const GROUP_OPEN = /^<([A-Za-z0-9_]+)>$/;
const GROUP_CLOSE = /^<\/([A-Za-z0-9_]+)>$/;

export function isGroup(element: CatpElement): element is CatpGroup {
  return 'group' in element;
}

function parseField(line: string): CatpField {
  const equals = line.indexOf('=');
  const tag = equals === -1 ? '' : line.slice(0, equals);
  if (!TAG.test(tag)) throw new CatpSyntaxError(`not a TAG=value line: ${JSON.stringify(line)}`);
  return { tag, value: line.slice(equals + 1) };
}

function parseRecord(lines: readonly string[]): CatpRecord {
  const record: CatpElement[] = [];
  let open: { group: string; fields: CatpField[] } | null = null;
  for (const line of lines) {
    const opening = GROUP_OPEN.exec(line);
    const closing = GROUP_CLOSE.exec(line);
    if (opening) {
      if (open) throw new CatpSyntaxError(`<${opening[1]}> inside <${open.group}>`);
      open = { group: opening[1], fields: [] };
    } else if (closing) {
      if (open?.group !== closing[1]) throw new CatpSyntaxError(`</${closing[1]}> without <${closing[1]}>`);
      record.push(open);
      open = null;
    } else if (open) open.fields.push(parseField(line));
    else record.push(parseField(line));
  }
  if (open) throw new CatpSyntaxError(`<${open.group}> is not closed`);
  return record;
}

/** A record delimiter line; like real clients, only its start is looked at. */
function isDelimiter(line: string): boolean {
  return line.startsWith(RECORD_DELIMITER);
}

/** Reads the records of a body: a Multi-record (`--NACSIS-CATP` before each record, `--NACSIS-CATP--`
 *  at the end, §4.2) or one record without delimiters (§4.3), whatever the count. LF or CRLF; empty
 *  lines are skipped; a missing close delimiter is accepted. An empty body holds no record. */
export function decodeRecords(body: string): CatpRecord[] {
  const lines = body.split('\n').map((line) => line.replace(/\r$/, ''));
  if (!lines.some(isDelimiter)) {
    const content = lines.filter((line) => line !== '');
    return content.length ? [parseRecord(content)] : [];
  }
  const records: string[][] = [];
  for (const line of lines) {
    if (line.trimEnd() === CLOSE_DELIMITER) break;
    if (isDelimiter(line)) records.push([]);
    else if (line !== '') {
      const current = records.at(-1);
      if (!current) throw new CatpSyntaxError(`data before the first ${RECORD_DELIMITER}: ${JSON.stringify(line)}`);
      current.push(line);
    }
  }
  return records.map(parseRecord);
}

function fieldLine({ tag, value }: CatpField): string {
  if (!TAG.test(tag)) throw new CatpSyntaxError(`bad tag ${JSON.stringify(tag)}`);
  checkLine(value, `the value of ${tag}`);
  return `${tag}=${value}`;
}

function recordLines(record: CatpRecord): string[] {
  return record.flatMap((element) => {
    if (!isGroup(element)) return [fieldLine(element)];
    if (!TAG.test(element.group)) throw new CatpSyntaxError(`bad group name ${JSON.stringify(element.group)}`);
    return [`<${element.group}>`, ...element.fields.map(fieldLine), `</${element.group}>`];
  });
}

/** Writes records as a response body (every line ends in CRLF): one record bare, two or more as a
 *  Multi-record, none as the empty body. */
export function encodeRecords(records: readonly CatpRecord[]): string {
  return bodyLines(records)
    .map((line) => line + CRLF)
    .join('');
}

function bodyLines(records: readonly CatpRecord[]): string[] {
  if (records.length <= 1) return records.flatMap(recordLines);
  return [...records.flatMap((record) => [RECORD_DELIMITER, ...recordLines(record)]), CLOSE_DELIMITER];
}

/** Writes the fields of a SERVERPROCEDURECALL as a request body (lines joined by CRLF, no final line break). */
export function encodeFields(record: CatpRecord): string {
  return recordLines(record).join(CRLF);
}

/** The value of the first top-level field `tag`, or of `tag` inside a group's fields. */
export function fieldValue(elements: readonly CatpElement[], tag: string): string | undefined {
  return elements.find((element): element is CatpField => !isGroup(element) && element.tag === tag)?.value;
}

/** The values of every top-level field `tag` (a repeated field). */
export function fieldValues(elements: readonly CatpElement[], tag: string): string[] {
  return elements.filter((element): element is CatpField => !isGroup(element) && element.tag === tag).map((field) => field.value);
}

/** Every occurrence of group `name`, in order. */
export function groupsOf(record: CatpRecord, name: string): CatpGroup[] {
  return record.filter((element): element is CatpGroup => isGroup(element) && element.group === name);
}

/** The body of an error or warning answer (§5 [PROP]): `ERROR=<code>` and `MESSAGE=<text>` lines. */
export function encodeErrorBody(status: number, messages: readonly string[]): string {
  return encodeRecords([[{ tag: 'ERROR', value: String(status) }, ...messages.map((value) => ({ tag: 'MESSAGE', value }))]]);
}

/** The `MESSAGE=` lines of an error or warning body; none when the body is empty or not in that form. */
export function errorMessages(body: string): string[] {
  try {
    return decodeRecords(body).flatMap((record) => fieldValues(record, 'MESSAGE'));
  } catch {
    return [];
  }
}

/** One term of a search expression: `KEY="value"`, or with `prefix` `KEY="value*"` (prefix match), escaping `\`,
 *  `"` and `*` in the value with a backslash (nacsis-catp.md §6.2 [PROP]). Equality and prefix match are all NII's
 *  published search specifications show; no public source shows a range operator, so none is written. */
export function searchTerm(key: string, value: string, options: { prefix?: boolean } = {}): string {
  if (!TAG.test(key)) throw new CatpSyntaxError(`bad search key ${JSON.stringify(key)}`);
  checkLine(value, `the value of ${key}`);
  return `${key}="${value.replace(/[\\"*]/g, (character) => `\\${character}`)}${options.prefix ? '*' : ''}"`;
}
