import type { NacsisCommand } from '@illbridge/workflow';
import axios, { AxiosInstance, isAxiosError } from 'axios';
import { NO_REDIRECTS, parseRetryAfter, redirectError } from '../http-retry';
import { ExternalSystemError } from '../types';
import {
  CATP_ENCODINGS,
  CatpSyntaxError,
  classifyStatus,
  decodeRecords,
  decodeResponse,
  encodeFields,
  encodeRequest,
  errorMessages,
  headerValue,
  searchTerm,
} from './catp-codec';
import type { CatpHeader, CatpRecord, CatpRequest, CatpResponse } from './catp-codec';

export interface CatpClientOptions {
  /** The CATP endpoint: the profile's base URL. */
  baseUrl: string;
  /** Per HTTP call. */
  timeoutMs?: number;
}

/** A CATP session. After a 420 the client renews it in place, so whoever holds it keeps using it. */
export interface CatpHandle {
  id: string;
  /** The first frame (result set number) the server handed out with the handle. */
  frame: string;
}

/** Edit-type: 1 brief, 2 detailed, 9 all fields (nacsis-catp.md §2.6). */
export type CatpEditType = '1' | '2' | '9';

/** SEARCH options; the bounds follow the Z39.50 rule of §3.3: up to `smallSetUpperBound` hits come back
 *  whole, from `largeSetLowerBound` hits none, in between the first `mediumSetPresentNumber`. */
export interface CatpSearchOptions {
  /** The result set to create or overwrite (default: the handle's first frame). */
  frame?: string;
  smallSetElementSet?: CatpEditType;
  mediumSetElementSet?: CatpEditType;
  smallSetUpperBound?: number;
  largeSetLowerBound?: number;
  mediumSetPresentNumber?: number;
}

export interface CatpRecordPage {
  readonly records: readonly CatpRecord[];
  /** 1-based position of the next record not yet returned; 0 when none remain. */
  readonly nextPosition: number;
}

export interface CatpResultSet extends CatpRecordPage {
  readonly frame: string;
  readonly query: string;
  /** The edit-type RETRIEVE returns the frame's records in (its small-set element set). */
  readonly editType: CatpEditType;
  readonly resultCount: number;
}

const VERSION = 'CATP/1.1';
const SCHEMA_VERSION = '2';
const ENCODING = 'UTF8';
/** Sent where the server ignores the value: the handle of GETHANDLE, the frame of RELEASEHANDLE and SPC. */
const ANY_HANDLE = '0123456789';
const ANY_FRAME = '000';
/** The bounds of nacsis-catp.md §7.2, with detailed records throughout. */
const SEARCH_DEFAULTS: Required<Omit<CatpSearchOptions, 'frame'>> = {
  smallSetElementSet: '2',
  mediumSetElementSet: '2',
  smallSetUpperBound: 50,
  largeSetLowerBound: 200,
  mediumSetPresentNumber: 50,
};

/** The handle is unknown, released or expired: a 420 answer, or any other refusal that says so. */
class HandleExpiredError extends ExternalSystemError {
  constructor(message: string, status: number) {
    super('TRANSIENT', message, status);
  }
}

/** nacsis-catp.md §5 gives 420 for an invalid handle, but that code is the simulator's proposal, not a fact of the
 *  real server; NII's texts call it an invalid handle ("ハンドル"). So any refusal of a call made under a handle whose
 *  reason phrase or messages speak of the handle is taken for one (a new handle and one more try cost little). */
const HANDLE_REFUSAL = /handle|ハンドル/i;

function refusesHandle(request: CatpRequest, response: CatpResponse, details: string): boolean {
  if (request.method === 'GETHANDLE') return false;
  return classifyStatus(response.status) === 'HANDLE_EXPIRED' || HANDLE_REFUSAL.test(`${response.reasonPhrase} ${details}`);
}

function malformed(message: string): ExternalSystemError {
  return new ExternalSystemError('MALFORMED_RESPONSE', `NACSIS sent a malformed CATP response: ${message}`);
}

function header(name: string, value: string | number): CatpHeader {
  return { name, value: String(value) };
}

function numericHeader(response: CatpResponse, name: string, fallback?: number): number {
  const value = headerValue(response, name);
  if (value === undefined && fallback !== undefined) return fallback;
  if (value === undefined || !/^\d+$/.test(value)) throw malformed(`${name} is ${value === undefined ? 'missing' : JSON.stringify(value)}`);
  return Number(value);
}

function recordsOf(response: CatpResponse): CatpRecord[] {
  if (response.body === '') return [];
  if (response.encoding !== undefined && !CATP_ENCODINGS.includes(response.encoding)) throw malformed(`unsupported Encoding ${response.encoding}`);
  try {
    return decodeRecords(response.body);
  } catch (error) {
    throw malformed((error as Error).message);
  }
}

/** SEARCH headers that make a result set without returning records (nacsis-catp.md §7.3). */
function frameOnlyHeaders(db: string, editType: CatpEditType): CatpHeader[] {
  return [header('Database-names', db), header('Small-set-element-set-names', editType), header('Small-set-upper-bound', 0), header('Large-set-lower-bound', 1)];
}

/** Runs a codec step on data of ours: what the codec refuses to write fails the call for good. */
function encoded<T>(label: string, encode: () => T): T {
  try {
    return encode();
  } catch (error) {
    if (error instanceof CatpSyntaxError) throw new ExternalSystemError('PERMANENT', `NACSIS ${label}: cannot send ${error.message}`);
    throw error;
  }
}

/** A NACSIS-ILL CATP client over HTTP POST (nacsis-catp.md §1, §3). Every failure is an
 *  ExternalSystemError: no answer, an HTTP error or a CATP 5xx → TRANSIENT; 401 → AUTHENTICATION;
 *  409, 403, 404, 422 and other 4xx → PERMANENT with NACSIS's message; an unreadable answer →
 *  MALFORMED_RESPONSE. The one retry made here: when the handle is refused (420, or any code whose answer
 *  speaks of the handle) it gets a new handle and tries once more; any other retry policy belongs to the caller. */
export class CatpClient {
  private readonly http: AxiosInstance;
  /** Kept apart from the handles, so that a handle can be logged or serialised without its password. */
  private readonly credentials = new WeakMap<CatpHandle, { userId: string; password: string }>();

  constructor(options: CatpClientOptions) {
    this.http = axios.create({
      baseURL: options.baseUrl,
      timeout: options.timeoutMs ?? 30_000,
      ...NO_REDIRECTS,
      headers: { 'Content-Type': 'text/plain' },
      responseType: 'arraybuffer',
      transformResponse: (data: unknown) => data,
    });
  }

  /** GETHANDLE: opens a session as `userId` (a wrong user id or password → AUTHENTICATION). */
  async getHandle(userId: string, password: string): Promise<CatpHandle> {
    const handle = await this.openHandle(userId, password);
    this.credentials.set(handle, { userId, password });
    return handle;
  }

  /** RELEASEHANDLE. A handle that has expired already is released already. */
  async releaseHandle(handle: CatpHandle): Promise<void> {
    this.credentials.delete(handle);
    try {
      await this.send('RELEASEHANDLE', { method: 'RELEASEHANDLE', handle: handle.id, frame: ANY_FRAME, version: VERSION, headers: [], body: '' });
    } catch (error) {
      if (!(error instanceof HandleExpiredError)) throw error;
    }
  }

  /** SEARCH `query` (e.g. `RNWDT="20250512"`, see `searchTerm`) in database `db`, with the records
   *  that come back at once; page through the rest with `retrieve`. Zero hits is a success. */
  async search(handle: CatpHandle, db: string, query: string, options: CatpSearchOptions = {}): Promise<CatpResultSet> {
    const settings = { ...SEARCH_DEFAULTS, ...options };
    const headers = [
      header('Database-names', db),
      header('Small-set-element-set-names', settings.smallSetElementSet),
      header('Medium-set-element-set-names', settings.mediumSetElementSet),
      header('Small-set-upper-bound', settings.smallSetUpperBound),
      header('Large-set-lower-bound', settings.largeSetLowerBound),
      header('Medium-set-present-number', settings.mediumSetPresentNumber),
    ];
    const frame = options.frame ?? handle.frame;
    return this.withHandle(handle, () => this.searchOnce(handle, frame, query, settings.smallSetElementSet, headers));
  }

  /** RETRIEVE `count` records from 1-based position `start` of a result set of `search`, or of the
   *  records with the given ids (found in `db` with a SEARCH into the handle's frame first). After a
   *  420 the new handle has no result sets, so the search of `db` is made again before retrieving. */
  async retrieve(handle: CatpHandle, db: string, source: CatpResultSet | readonly string[], start: number, count: number): Promise<CatpRecordPage> {
    if (!('query' in source)) {
      return this.withHandle(handle, async () => {
        if (source.length === 0) return { records: [], nextPosition: 0 };
        const query = encoded('SEARCH', () => source.map((id) => searchTerm('ID', id)).join(' OR '));
        await this.searchOnce(handle, handle.frame, query, '2', frameOnlyHeaders(db, '2'));
        return this.retrieveOnce(handle, handle.frame, start, count);
      });
    }
    const { frame, query, editType } = source;
    return this.withHandle(
      handle,
      () => this.retrieveOnce(handle, frame, start, count),
      async () => {
        await this.searchOnce(handle, frame, query, editType, frameOnlyHeaders(db, editType));
        return this.retrieveOnce(handle, frame, start, count);
      },
    );
  }

  /** SERVERPROCEDURECALL with `Procedure-name: ILL`: sends ILL-command `command` on record `id` of
   *  database `db` (the database decides whether we act as borrower or lender) with `fields`
   *  (`CMMNT` for a note). Returns the updated record when `returnedEditType` asks for one. `id` null: no `ID`
   *  line, as ORDER of a new request is sent (NACSIS creates the record and assigns its ID). */
  async procedureCall(
    handle: CatpHandle,
    db: string,
    command: NacsisCommand,
    id: string | null,
    fields: CatpRecord,
    options: { returnedEditType?: CatpEditType } = {},
  ): Promise<CatpRecord | null> {
    const label = `SERVERPROCEDURECALL ${command}`;
    const body = encoded(label, () => encodeFields(id === null ? [...fields] : [{ tag: 'ID', value: id }, ...fields]));
    const headers = [header('Procedure-name', 'ILL'), header('Database-names', db), header('ILL-command', command)];
    if (options.returnedEditType) headers.push(header('Returned-edit-type', options.returnedEditType));
    return this.withHandle(handle, async () => {
      const request = { method: 'SERVERPROCEDURECALL', handle: handle.id, frame: ANY_FRAME, version: VERSION, headers, encoding: ENCODING, body };
      return recordsOf(await this.send(label, request))[0] ?? null;
    });
  }

  private async openHandle(userId: string, password: string): Promise<CatpHandle> {
    const response = await this.send('GETHANDLE', {
      method: 'GETHANDLE',
      handle: ANY_HANDLE,
      frame: ANY_FRAME,
      version: VERSION,
      headers: [header('Authenticate', `${userId},${password}`), header('Schema-version', SCHEMA_VERSION)],
      encoding: ENCODING,
      body: '',
    });
    return { id: response.handle, frame: response.frame };
  }

  private async searchOnce(handle: CatpHandle, frame: string, query: string, editType: CatpEditType, headers: CatpHeader[]): Promise<CatpResultSet> {
    const response = await this.send('SEARCH', { method: 'SEARCH', handle: handle.id, frame, version: VERSION, headers, encoding: ENCODING, body: query });
    return {
      frame,
      query,
      editType,
      resultCount: numericHeader(response, 'Result-count'),
      records: recordsOf(response),
      nextPosition: numericHeader(response, 'Next-result-set-position', 0),
    };
  }

  private async retrieveOnce(handle: CatpHandle, frame: string, start: number, count: number): Promise<CatpRecordPage> {
    const response = await this.send('RETRIEVE', {
      method: 'RETRIEVE',
      handle: handle.id,
      frame,
      version: VERSION,
      headers: [header('Result-set-start-position', start), header('Number-of-records-requested', count)],
      body: '',
    });
    return { records: recordsOf(response), nextPosition: numericHeader(response, 'Next-result-set-position', 0) };
  }

  /** Runs `attempt`; when the handle is refused, gets a new handle for the same user and runs `retry` once. */
  private async withHandle<T>(handle: CatpHandle, attempt: () => Promise<T>, retry: () => Promise<T> = attempt): Promise<T> {
    try {
      return await attempt();
    } catch (error) {
      const credentials = this.credentials.get(handle);
      if (!(error instanceof HandleExpiredError) || !credentials) throw error;
      Object.assign(handle, await this.openHandle(credentials.userId, credentials.password));
      return retry();
    }
  }

  /** One exchange: the answer when its status class is OK, else the matching ExternalSystemError. */
  private async send(label: string, request: CatpRequest): Promise<CatpResponse> {
    const response = await this.post(label, encoded(label, () => encodeRequest(request)));
    const kind = classifyStatus(response.status);
    if (kind === 'OK') return response; // its body is decoded once, by the caller
    const outcome = `NACSIS ${label} answered ${response.status} ${response.reasonPhrase}`.trimEnd();
    const details = errorMessages(response.body).join('; ');
    const message = details ? `${outcome}: ${details}` : outcome;
    if (kind !== 'AUTHENTICATION' && refusesHandle(request, response, details)) throw new HandleExpiredError(message, response.status);
    switch (kind) {
      case 'AUTHENTICATION':
        throw new ExternalSystemError('AUTHENTICATION', message, response.status);
      case 'HANDLE_EXPIRED': // to GETHANDLE itself
      case 'TRANSIENT':
        throw new ExternalSystemError('TRANSIENT', message, response.status);
      case 'STATE_CONFLICT':
      case 'PERMANENT':
        throw new ExternalSystemError('PERMANENT', message, response.status);
    }
  }

  private async post(label: string, wire: string): Promise<CatpResponse> {
    let data: Buffer;
    try {
      const response = await this.http.post<ArrayBuffer>('', Buffer.from(wire, 'utf8'));
      data = Buffer.from(response.data);
    } catch (error) {
      if (!isAxiosError(error)) throw error;
      const answer = error.response;
      if (answer) {
        throw redirectError(error, 'NACSIS') ?? new ExternalSystemError('TRANSIENT', `NACSIS ${label} failed: HTTP ${answer.status}`, answer.status, parseRetryAfter(answer.headers['retry-after']));
      }
      throw new ExternalSystemError('TRANSIENT', `NACSIS ${label} failed: ${error.message}${error.code ? ` (${error.code})` : ''}`);
    }
    try {
      return decodeResponse(data.toString('utf8'));
    } catch (error) {
      if (error instanceof CatpSyntaxError) throw malformed(error.message);
      throw error;
    }
  }
}
