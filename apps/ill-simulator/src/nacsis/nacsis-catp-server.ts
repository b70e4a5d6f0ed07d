import { Injectable } from '@nestjs/common';
import {
  CATP_ENCODINGS,
  CATP_REASON_PHRASES,
  CatpSyntaxError,
  decodeRecords,
  decodeRequest,
  encodeErrorBody,
  encodeRecords,
  encodeResponse,
  errorMessages,
  fieldValue,
  headerValue,
  isGroup,
} from '@illbridge/connectors/nacsis/catp-codec';
import type { CatpHeader, CatpRecord, CatpRequest, CatpResponse } from '@illbridge/connectors/nacsis/catp-codec';
import { NACSIS_COMMANDS } from '@illbridge/workflow/nacsis/state-table';
import type { NacsisCommand } from '@illbridge/workflow/nacsis/state-table';
import type { NacsisCall } from './nacsis-call-log';
import { parseQuery, QuerySyntaxError } from './nacsis-query';
import { BACK_FILE_DATABASES, SIM_DATABASES, SimDatabase, SimRecord, isSimDatabase, lenderOf, wireRecord } from './nacsis-record';
import { Handle, NacsisStore } from './nacsis-store';
import { NacsisCatalog, isCatDatabase } from './nacsis-catalog';

export interface HttpAnswer {
  httpStatus: number;
  body: string;
  /** The fault "apply then drop the answer": the command was carried out, the connection is cut without an answer. */
  drop?: boolean;
}

const FIRST_FRAME = '001';
const EDIT_TYPES = new Set(['1', '2', '9']);

class CatpFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly reasonPhrase?: string,
  ) {
    super(message);
  }
}

function integerHeader(request: CatpRequest, name: string, fallback: number): number {
  const value = headerValue(request, name);
  if (value === undefined || value === '') return fallback;
  if (!/^\d+$/.test(value)) throw new CatpFailure(400, `${name} is not a number: ${value}`);
  return Number(value);
}

function editTypeHeader(request: CatpRequest, name: string, fallback: string): string {
  const value = headerValue(request, name) ?? fallback;
  if (!EDIT_TYPES.has(value)) throw new CatpFailure(400, `${name} must be 1, 2 or 9 (got ${value})`);
  return value;
}

/** The values a search key finds in a record: its top-level fields and group member fields of that tag. */
function valuesIn(record: CatpRecord) {
  return (key: string): string[] =>
    record.flatMap((element) => (isGroup(element) ? element.fields.filter((f) => f.tag === key).map((f) => f.value) : element.tag === key ? [element.value] : []));
}

/** The CATP server of the simulated NACSIS-ILL (nacsis-catp.md §3): decodes a request, answers it
 *  from the store. HTTP 400 only for a message without a readable request line or headers. */
@Injectable()
export class NacsisCatpServer {
  constructor(
    private readonly store: NacsisStore,
    private readonly catalog: NacsisCatalog,
  ) {}

  answer(text: string, call?: NacsisCall): HttpAnswer {
    let request: CatpRequest;
    try {
      request = decodeRequest(text);
    } catch (error) {
      if (error instanceof CatpSyntaxError) {
        if (call) call.refusal = error.message;
        return { httpStatus: 400, body: `Bad Request: ${error.message}\r\n` };
      }
      throw error;
    }
    const response = this.respond(request, call);
    if (call) {
      call.catpStatus = response.status;
      if (response.status >= 400) call.refusal = errorMessages(response.body).join('; ') || response.reasonPhrase;
    }
    const faults = this.store.faults;
    if (request.method === 'SERVERPROCEDURECALL' && response.status < 300 && faults.dropAnswerAfterApplyNext > 0) {
      faults.dropAnswerAfterApplyNext--;
      if (call) call.refusal = 'answer dropped after the command was applied (fault dropAnswerAfterApplyNext)';
      return { httpStatus: 0, body: '', drop: true };
    }
    return { httpStatus: 200, body: encodeResponse(response) };
  }

  private respond(request: CatpRequest, call?: NacsisCall): CatpResponse {
    const faults = this.store.faults;
    if (faults.catpFailNext > 0) {
      faults.catpFailNext--;
      return this.error(request, faults.catpStatus, `simulated failure (CATP ${faults.catpStatus})`);
    }
    if (faults.expireHandlesAfter > 0 && --faults.expireHandlesAfter === 0) this.store.expireHandles();
    try {
      if (request.encoding !== undefined && !CATP_ENCODINGS.includes(request.encoding)) throw new CatpFailure(400, `unsupported Encoding ${request.encoding}`);
      if (request.method === 'GETHANDLE') return this.getHandle(request, call);
      const handle = this.store.useHandle(request.handle);
      if (!handle) {
        const { status, reasonPhrase, message } = this.store.settings.invalidHandle;
        throw new CatpFailure(status, `${message} (${request.handle})`, reasonPhrase);
      }
      if (call) call.participantId = handle.participantId;
      switch (request.method) {
        case 'RELEASEHANDLE':
          this.store.releaseHandle(handle.id);
          return this.ok(request);
        case 'RELEASEFRAME':
          handle.frames.delete(request.frame);
          return this.ok(request);
        case 'SEARCH':
          return this.search(request, handle);
        case 'RETRIEVE':
          return this.retrieve(request, handle);
        case 'SERVERPROCEDURECALL':
          return this.procedureCall(request, handle);
        default:
          throw new CatpFailure(405, `method ${request.method} is not supported on the ILL databases`);
      }
    } catch (error) {
      if (error instanceof CatpFailure) return this.error(request, error.status, error.message, error.reasonPhrase);
      return this.error(request, 500, error instanceof Error ? error.message : String(error));
    }
  }

  private response(request: CatpRequest, status: number, headers: CatpHeader[] = [], body = '', encoding?: string, reasonPhrase?: string): CatpResponse {
    const { method, handle, frame, version } = request;
    return {
      method,
      handle,
      frame,
      version,
      status,
      reasonPhrase: reasonPhrase ?? CATP_REASON_PHRASES[status] ?? (status >= 500 ? 'Server Error' : 'Error'),
      headers,
      ...(encoding === undefined ? {} : { encoding }),
      body,
    };
  }

  private ok(request: CatpRequest): CatpResponse {
    return this.response(request, 200);
  }

  private error(request: CatpRequest, status: number, message: string, reasonPhrase?: string): CatpResponse {
    return this.response(request, status, [], encodeErrorBody(status, [message]), 'UTF8', reasonPhrase);
  }

  private getHandle(request: CatpRequest, call?: NacsisCall): CatpResponse {
    const authenticate = headerValue(request, 'Authenticate') ?? '';
    const comma = authenticate.indexOf(',');
    const handle = comma > 0 ? this.store.openHandle(authenticate.slice(0, comma), authenticate.slice(comma + 1)) : null;
    if (!handle) throw new CatpFailure(401, 'user id or password refused');
    if (call) {
      call.participantId = handle.participantId;
      call.handle = handle.id;
    }
    const extraLine = this.store.settings.getHandleExtraLine;
    return { ...this.ok(request), handle: handle.id, frame: FIRST_FRAME, ...(extraLine !== null && { otherLines: [extraLine] }) };
  }

  /** The records of `database` the participant sees: its own borrowing (…O) or its current lending (…A). */
  private visible(database: string, participantId: string, candidates = this.store.allRecords()): SimRecord[] {
    if (!isSimDatabase(database)) return [];
    return candidates.filter((record) => this.sees(database, participantId, record));
  }

  /** The records a search expression can match when it names them by what a real server indexes (a renewal day
   *  or month alone, `RNWDT="YYYYMMDD"` / `RNWDT="YYYYMM*"`, or IDs ORed together), in the order of `allRecords`;
   *  every record otherwise. The expression is still evaluated on each of them, so the answer is the same. */
  private candidates(query: string): SimRecord[] {
    const renewal = /^\s*RNWDT\s*=\s*"(\d+)(\*)?"\s*$/i.exec(query);
    if (renewal) return this.store.renewedOn(renewal[1], renewal[2] === '*');
    const term = '\\s*ID\\s*=\\s*"([^"\\\\*]*)"\\s*';
    if (new RegExp(`^${term}(OR${term})*$`, 'i').test(query)) {
      return this.store.withIds([...query.matchAll(new RegExp(term, 'gi'))].map((match) => match[1]));
    }
    return this.store.allRecords();
  }

  /** Whether a stored record is one of `visible(database, participantId)`, without listing them all (a RETRIEVE
   *  checks every record of its page: listing, which copies and sorts every record, made a page O(N log N) each). */
  private sees(database: string, participantId: string, record: SimRecord): boolean {
    if (!isSimDatabase(database)) return false;
    const { side, service } = SIM_DATABASES[database];
    return record.service === service && (side === 'BORROWER' ? record.borrowerId === participantId : lenderOf(record) === participantId);
  }

  private databasesOf(request: CatpRequest): string[] {
    const value = headerValue(request, 'Database-names');
    if (!value) throw new CatpFailure(400, 'Database-names is missing');
    const databases = value.split(',').map((name) => name.trim());
    const unknown = databases.filter((name) => !isSimDatabase(name) && !BACK_FILE_DATABASES.includes(name) && !isCatDatabase(name));
    if (databases.some(isCatDatabase) && databases.some((name) => !isCatDatabase(name))) throw new CatpFailure(400, 'a SEARCH names either CAT or ILL databases, not both');
    if (unknown.length) throw new CatpFailure(403, `database ${unknown.join(', ')} is not allowed`);
    return databases;
  }

  private wire(database: string, record: SimRecord, editType: string): CatpRecord {
    return wireRecord(record, database, editType, this.store.nameOf);
  }

  private search(request: CatpRequest, handle: Handle): CatpResponse {
    const databases = this.databasesOf(request);
    let predicate;
    try {
      predicate = parseQuery(request.body, { rangeOperators: this.store.settings.rangeOperators });
    } catch (error) {
      if (error instanceof QuerySyntaxError) throw new CatpFailure(400, `bad search expression: ${error.message}`);
      throw error;
    }
    const smallSetEditType = editTypeHeader(request, 'Small-set-element-set-names', '2');
    const mediumSetEditType = editTypeHeader(request, 'Medium-set-element-set-names', smallSetEditType);
    const smallSetUpperBound = integerHeader(request, 'Small-set-upper-bound', 0);
    const largeSetLowerBound = integerHeader(request, 'Large-set-lower-bound', 1);
    const mediumSetPresentNumber = integerHeader(request, 'Medium-set-present-number', 0);

    // CAT records are the same whatever the edit type; ILL records are written in the one asked for.
    const hits: { database: string; id: string; wire: (editType: string) => CatpRecord }[] = [];
    const candidates = databases.some(isSimDatabase) ? this.candidates(request.body) : [];
    for (const database of databases) {
      if (isCatDatabase(database)) {
        for (const { id, record } of this.catalog.records(database, this.store.nameOf)) if (predicate(valuesIn(record))) hits.push({ database, id, wire: () => record });
        continue;
      }
      for (const record of this.visible(database, handle.participantId, candidates)) {
        if (predicate(valuesIn(this.wire(database, record, '9')))) hits.push({ database, id: record.id, wire: (editType) => this.wire(database, record, editType) });
      }
    }
    handle.frames.set(request.frame, { entries: hits.map(({ database, id }) => ({ database, id })), editType: smallSetEditType });

    let returned: CatpRecord[] = [];
    if (hits.length <= smallSetUpperBound) returned = hits.map((hit) => hit.wire(smallSetEditType));
    else if (hits.length < largeSetLowerBound) {
      returned = hits.slice(0, mediumSetPresentNumber).map((hit) => hit.wire(mediumSetEditType));
    }
    const next = returned.length < hits.length ? returned.length + 1 : 0;
    return this.response(
      request,
      200,
      [
        { name: 'Database-names', value: databases.join(',') },
        { name: 'Result-count', value: String(hits.length) },
        { name: 'Number-of-records-returned', value: String(returned.length) },
        { name: 'Next-result-set-position', value: String(next) },
      ],
      encodeRecords(returned),
      'UTF8',
    );
  }

  private retrieve(request: CatpRequest, handle: Handle): CatpResponse {
    const frame = handle.frames.get(request.frame);
    if (!frame) throw new CatpFailure(404, `no result set ${request.frame} under this handle`);
    const start = integerHeader(request, 'Result-set-start-position', 1);
    // At most a page, whatever is asked: the real server's page size is not known, so clients must follow
    // Next-result-set-position rather than trust a count they asked for.
    const count = Math.min(integerHeader(request, 'Number-of-records-requested', 1), this.store.settings.retrievePageSize);
    if (start < 1 || (frame.entries.length > 0 && start > frame.entries.length)) throw new CatpFailure(404, `position ${start} is beyond the result set (${frame.entries.length})`);
    const editType = editTypeHeader(request, 'Element-set-names', frame.editType);
    const slice = frame.entries.slice(start - 1, start - 1 + count);
    // A record that left this participant's view since the SEARCH is skipped (nacsis-catp.md G8).
    const emptied = this.store.faults.emptyRetrieveNext > 0 && this.store.faults.emptyRetrieveNext-- > 0;
    const records = (emptied ? [] : slice).flatMap(({ database, id }) => {
      if (isCatDatabase(database)) return this.catalog.records(database, this.store.nameOf).filter((entry) => entry.id === id).map((entry) => entry.record);
      const record = this.store.record(id);
      if (!record || !this.sees(database, handle.participantId, record)) return [];
      return [this.wire(database, record, editType)];
    });
    const end = start - 1 + slice.length;
    const next = end < frame.entries.length ? end + 1 : 0;
    return this.response(
      request,
      200,
      [
        { name: 'Number-of-records-returned', value: String(records.length) },
        { name: 'Next-result-set-position', value: String(next) },
      ],
      encodeRecords(records),
      'UTF8',
    );
  }

  private procedureCall(request: CatpRequest, handle: Handle): CatpResponse {
    const procedure = headerValue(request, 'Procedure-name');
    if (procedure !== 'ILL') throw new CatpFailure(400, `Procedure-name must be ILL (got ${procedure ?? 'none'})`);
    const databases = this.databasesOf(request);
    if (databases.length !== 1) throw new CatpFailure(400, 'SERVERPROCEDURECALL names exactly one database');
    const [database] = databases;
    if (isCatDatabase(database)) throw new CatpFailure(405, `SERVERPROCEDURECALL ILL is not made on the CAT database ${database}`);
    if (!isSimDatabase(database)) throw new CatpFailure(403, `SERVERPROCEDURECALL is not allowed on the back file ${database}`);
    const command = headerValue(request, 'ILL-command') ?? '';
    if (!(NACSIS_COMMANDS as readonly string[]).includes(command)) throw new CatpFailure(400, `unknown ILL-command ${JSON.stringify(command)}`);
    const editType = headerValue(request, 'Returned-edit-type') ?? '0';
    if (editType !== '0' && !EDIT_TYPES.has(editType)) throw new CatpFailure(400, `Returned-edit-type must be 0, 1, 2 or 9 (got ${editType})`);

    let body: CatpRecord;
    try {
      const records = decodeRecords(request.body);
      if (records.length > 1) throw new CatpFailure(400, 'the body holds more than one record');
      body = records[0] ?? [];
    } catch (error) {
      if (error instanceof CatpSyntaxError) throw new CatpFailure(400, `bad body: ${error.message}`);
      throw error;
    }
    const { side, service } = SIM_DATABASES[database as SimDatabase];
    const participantId = handle.participantId;
    const id = fieldValue(body, 'ID');
    let record: SimRecord;
    if (id) {
      const found = this.store.record(id);
      if (!found || found.service !== service) throw new CatpFailure(404, `ILL record ${id} not found in ${database}`);
      record = found;
    } else if (command === 'ORDER') {
      if (side !== 'BORROWER') throw new CatpFailure(403, 'ORDER is made on a borrower database (COPYO/LOANO)');
      record = this.store.draft(participantId, service);
    } else throw new CatpFailure(400, `ILL-command ${command} needs the record ID (ID=)`);

    const comment = fieldValue(body, 'CMMNT') || undefined;
    const result = this.store.runCommand(record, side, command as NacsisCommand, participantId, body, comment);
    if (!result.ok) return this.error(request, result.status, result.message, result.reasonPhrase);
    if (editType === '0') return this.ok(request);
    return this.response(request, 200, [], encodeRecords([this.wire(database, result.record, editType)]), 'UTF8');
  }
}
