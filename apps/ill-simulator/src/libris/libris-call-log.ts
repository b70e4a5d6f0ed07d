import { Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';

export interface LoggedCall {
  method: string;
  path: string;
  query: Record<string, unknown>;
  at: string;
}

/** Every call the simulated Libris API received, faulty or refused ones too, so tests can check
 *  what a client asked for (e.g. the length of its harvest windows). */
@Injectable()
export class LibrisCallLog {
  private calls: LoggedCall[] = [];

  record(call: LoggedCall): void {
    this.calls.push(call);
  }

  list(): LoggedCall[] {
    return [...this.calls];
  }

  clear(): void {
    this.calls = [];
  }
}

@Injectable()
export class LibrisCallLogMiddleware implements NestMiddleware {
  constructor(private readonly log: LibrisCallLog) {}

  use(request: Request, _response: Response, next: NextFunction): void {
    this.log.record({ method: request.method, path: request.originalUrl.split('?')[0], query: { ...request.query }, at: new Date().toISOString() });
    next();
  }
}
