import { Injectable } from '@nestjs/common';
import { conflict } from '@illbridge/common/errors';
import type { LibrisIllRequest } from '@illbridge/connectors/libris/libris-wire';
import { compactDay, parseDay, today } from './days';
import { GenerateOptions, generateLibrisRequests } from './libris-generator';
import { buildLibrisRecord } from './libris-record';
import { statusCodeOf } from './libris-vocabulary';

/** A kept request: its creation day (what outgoing windows select on) and the record as served,
 *  which for a deliberately malformed ("raw") one can be anything. */
interface StoredRequest {
  created: string;
  record: unknown;
}

interface LibraryAccount {
  apiKey?: string;
  requests: StoredRequest[];
  /** The requests by LF number and by request_id (string values only, as `find` compares with strings). */
  byId: Map<string, StoredRequest>;
  /** `requests` sorted by creation day (stable: insertion order within a day), made when a window is asked for. */
  byCreated?: StoredRequest[];
}

const FIRST_REQUEST_ID = 5_000_001;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** The Libris requests of each library (sigel, case-sensitive) and their API keys, in memory. */
@Injectable()
export class LibrisStore {
  private libraries = new Map<string, LibraryAccount>();
  private lastRequestId = FIRST_REQUEST_ID - 1;
  /** Last LF number sequence per `{sigel}-{YYMMDD}`. */
  private lfSequences = new Map<string, number>();

  reset(): void {
    this.libraries = new Map();
    this.lastRequestId = FIRST_REQUEST_ID - 1;
    this.lfSequences = new Map();
  }

  setApiKey(sigel: string, apiKey: string): void {
    this.account(sigel).apiKey = apiKey;
  }

  apiKeyOf(sigel: string): string | undefined {
    return this.libraries.get(sigel)?.apiKey;
  }

  /** Adds a request with the given fields over realistic defaults; the identity (request_id, LF number)
   *  is assigned unless given. Created on `created`, else on the LF number's day, else today. */
  add(sigel: string, fields: Partial<LibrisIllRequest>, created?: string): LibrisIllRequest {
    const requestingLibrary = fields.requesting_library ?? sigel;
    const createdDay = created ?? this.dayOfLfNumber(fields.lf_number) ?? today();
    const requestId = fields.request_id ?? String(++this.lastRequestId);
    const lfNumber = fields.lf_number ?? this.nextLfNumber(sigel, requestingLibrary, createdDay);
    if (this.find(sigel, lfNumber) || this.find(sigel, requestId)) throw conflict(`library ${sigel} already has request ${lfNumber} / ${requestId}`);
    const record = buildLibrisRecord(
      { request_id: requestId, lf_number: lfNumber, requesting_library: requestingLibrary, last_modified: String(nowSeconds()) },
      fields,
    );
    this.keep(sigel, { created: createdDay, record });
    return record;
  }

  /** Keeps a record exactly as given (wrong types and all), so tests can feed malformed data. */
  addRaw(sigel: string, record: unknown, created: string): void {
    this.keep(sigel, { created, record });
  }

  generate(sigel: string, options: GenerateOptions): LibrisIllRequest[] {
    return generateLibrisRequests(options).map(({ created, fields }) => this.add(sigel, fields, created));
  }

  /** Requests created in [startDate, endDate], both `YYYY-MM-DD` and inclusive, oldest first. */
  outgoing(sigel: string, startDate: string, endDate: string): unknown[] {
    const account = this.libraries.get(sigel);
    if (!account) return [];
    account.byCreated ??= [...account.requests].sort((a, b) => a.created.localeCompare(b.created));
    const sorted = account.byCreated;
    const firstFrom = (day: string, after: boolean) => {
      let low = 0;
      let high = sorted.length;
      while (low < high) {
        const mid = (low + high) >>> 1;
        const c = sorted[mid].created.localeCompare(day);
        if (c < 0 || (after && c === 0)) low = mid + 1;
        else high = mid;
      }
      return low;
    };
    return sorted.slice(firstFrom(startDate, false), firstFrom(endDate, true)).map(({ record }) => record);
  }

  all(sigel: string): unknown[] {
    return this.requestsOf(sigel).map(({ record }) => record);
  }

  /** A request by LF number or request_id. */
  find(sigel: string, id: string): unknown | undefined {
    return this.libraries.get(sigel)?.byId.get(id)?.record;
  }

  /** Changes fields of a request: `status_code` follows a new `status` (unless given) and
   *  `last_modified` moves forward. Undefined when there is no such request. */
  update(sigel: string, id: string, changes: Record<string, unknown>): Record<string, unknown> | undefined {
    const record = this.find(sigel, id);
    if (!isObject(record)) return undefined;
    const stored = this.libraries.get(sigel)!.byId.get(id)!;
    this.unindex(sigel, stored);
    Object.assign(record, changes);
    this.index(sigel, stored);
    if (typeof changes.status === 'string' && changes.status_code === undefined) record.status_code = statusCodeOf(changes.status);
    if (changes.last_modified === undefined) this.touch(record);
    return record;
  }

  /** Forgets a request (as if Libris no longer knew it); false when there is no such request. */
  remove(sigel: string, id: string): boolean {
    const account = this.libraries.get(sigel);
    const stored = account?.byId.get(id);
    if (!account || !stored) return false;
    this.unindex(sigel, stored);
    account.requests = account.requests.filter((r) => r !== stored);
    account.byCreated = undefined;
    return true;
  }

  /** Moves `last_modified` forward, by a second at least, so every change shows. */
  touch(record: Record<string, unknown>): void {
    record.last_modified = String(Math.max(nowSeconds(), Number(record.last_modified) + 1 || 0));
  }

  private account(sigel: string): LibraryAccount {
    let account = this.libraries.get(sigel);
    if (!account) this.libraries.set(sigel, (account = { requests: [], byId: new Map() }));
    return account;
  }

  private keep(sigel: string, stored: StoredRequest): void {
    const account = this.account(sigel);
    account.requests.push(stored);
    account.byCreated = undefined;
    this.index(sigel, stored);
  }

  /** The first request kept under an id is the one `find` answers (as the scan in insertion order did). */
  private index(sigel: string, stored: StoredRequest): void {
    const { byId } = this.account(sigel);
    if (!isObject(stored.record)) return;
    for (const id of [stored.record.lf_number, stored.record.request_id]) if (typeof id === 'string' && !byId.has(id)) byId.set(id, stored);
  }

  private unindex(sigel: string, stored: StoredRequest): void {
    const account = this.account(sigel);
    if (!isObject(stored.record)) return;
    for (const id of [stored.record.lf_number, stored.record.request_id]) {
      if (typeof id !== 'string' || account.byId.get(id) !== stored) continue;
      account.byId.delete(id);
      // Another request kept under the same id (raw records may repeat one) takes its place, the earliest first.
      const next = account.requests.find((r) => r !== stored && isObject(r.record) && (r.record.lf_number === id || r.record.request_id === id));
      if (next) account.byId.set(id, next);
    }
  }

  private requestsOf(sigel: string): StoredRequest[] {
    return this.libraries.get(sigel)?.requests ?? [];
  }

  /** The next free `{sigel}-{YYMMDD}-{NNNN}` of the day (numbers added by hand are skipped). */
  private nextLfNumber(sigel: string, requestingLibrary: string, day: string): string {
    const prefix = `${requestingLibrary}-${compactDay(day)}`;
    let sequence = this.lfSequences.get(prefix) ?? 0;
    let lfNumber: string;
    do lfNumber = `${prefix}-${String(++sequence).padStart(4, '0')}`;
    while (this.find(sigel, lfNumber));
    this.lfSequences.set(prefix, sequence);
    return lfNumber;
  }

  /** The day an LF number (`{sigel}-{YYMMDD}-{NNNN}`) was issued on, when it has that shape. */
  private dayOfLfNumber(lfNumber: string | undefined): string | undefined {
    const match = lfNumber === undefined ? null : /-(\d{2})(\d{2})(\d{2})-\d+$/.exec(lfNumber);
    const day = match ? `20${match[1]}-${match[2]}-${match[3]}` : undefined;
    return day !== undefined && parseDay(day) !== null ? day : undefined;
  }
}
