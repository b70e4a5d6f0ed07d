import { Injectable, NestMiddleware } from '@nestjs/common';
import { decodeRecords, decodeRequest, fieldValue, headerValue } from '@illbridge/connectors/nacsis/catp-codec';
import type { NextFunction, Request, Response } from 'express';

export interface NacsisCall {
  at: string;
  /** CATP method (GETHANDLE, SEARCH, …); null when the message could not be read. */
  method: string | null;
  handle: string | null;
  /** The participant of the handle, once known. */
  participantId: string | null;
  database: string | null;
  illCommand: string | null;
  /** SPC: the record ID in the body. */
  id: string | null;
  /** SEARCH: the search expression. */
  query: string | null;
  /** The CATP status answered; null when HTTP answered (400, or a simulated fault). */
  catpStatus: number | null;
  httpStatus: number | null;
  /** Why the call was refused (a CATP status of 400 or more, or an unreadable message): the answer's messages. */
  refusal: string | null;
}

/** Every call the CATP endpoint received, faulty ones too. */
@Injectable()
export class NacsisCallLog {
  private calls: NacsisCall[] = [];

  record(call: NacsisCall): void {
    this.calls.push(call);
  }

  list(): NacsisCall[] {
    return this.calls.map((call) => ({ ...call }));
  }

  clear(): void {
    this.calls = [];
  }
}

const MAX_BODY_BYTES = 10 * 1024 * 1024;

/** The raw CATP text of a request, read by `NacsisRawBodyMiddleware`. */
export function catpTextOf(request: Request): string {
  return (request as Request & { catpText?: string }).catpText ?? '';
}

export function callOf(request: Request): NacsisCall | undefined {
  return (request as Request & { nacsisCall?: NacsisCall }).nacsisCall;
}

/** Reads the request body as text (CATP is sent as `text/plain` or without a content type, which
 *  Nest's body parsers leave alone) and opens the call's log entry, before fault injection runs. */
@Injectable()
export class NacsisRawBodyMiddleware implements NestMiddleware {
  constructor(private readonly log: NacsisCallLog) {}

  async use(request: Request, response: Response, next: NextFunction): Promise<void> {
    let text: string;
    if (typeof request.body === 'string') text = request.body;
    else if (Buffer.isBuffer(request.body)) text = request.body.toString('utf8');
    else if (request.readableEnded || (request as Request & { _body?: boolean })._body) text = '';
    else {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of request) {
        size += (chunk as Buffer).length;
        if (size > MAX_BODY_BYTES) {
          response.status(413).type('text/plain').send('CATP message too large');
          return;
        }
        chunks.push(chunk as Buffer);
      }
      text = Buffer.concat(chunks).toString('utf8');
    }
    const call: NacsisCall = {
      at: new Date().toISOString(),
      method: null,
      handle: null,
      participantId: null,
      database: null,
      illCommand: null,
      id: null,
      query: null,
      catpStatus: null,
      httpStatus: null,
      refusal: null,
    };
    describeCall(call, text);
    Object.assign(request, { catpText: text, nacsisCall: call });
    this.log.record(call);
    response.on('finish', () => {
      call.httpStatus = response.statusCode;
    });
    next();
  }
}

/** Fills what the message says about itself into the log entry (nothing if it cannot be read). */
function describeCall(call: NacsisCall, text: string): void {
  try {
    const message = decodeRequest(text);
    call.method = message.method;
    call.handle = message.method === 'GETHANDLE' ? null : message.handle;
    call.database = headerValue(message, 'Database-names') ?? null;
    call.illCommand = headerValue(message, 'ILL-command') ?? null;
    if (message.method === 'SEARCH') call.query = message.body;
    if (message.method === 'SERVERPROCEDURECALL') call.id = fieldValue(decodeRecords(message.body)[0] ?? [], 'ID') ?? null;
  } catch {
    // An unreadable message: the endpoint answers 400; the entry keeps its nulls.
  }
}
