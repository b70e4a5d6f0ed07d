import { Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';

export interface LoggedCall {
  method: string;
  path: string;
  query: Record<string, unknown>;
  at: string;
  /** The HTTP status answered (a refusal shows as 400, a simulated fault as its status); null until answered. */
  status: number | null;
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
    return this.calls.map((call) => ({ ...call }));
  }

  /** The most calls received within any one second (a sliding window over the arrival times), so a test can
   *  check a client's pace as KB would see it. */
  maxPerSecond(): number {
    const times = this.calls.map((call) => Date.parse(call.at)).sort((a, b) => a - b);
    let most = 0;
    for (let first = 0, last = 0; last < times.length; last++) {
      while (times[last] - times[first] >= 1000) first++;
      most = Math.max(most, last - first + 1);
    }
    return most;
  }

  clear(): void {
    this.calls = [];
  }
}

@Injectable()
export class LibrisCallLogMiddleware implements NestMiddleware {
  constructor(private readonly log: LibrisCallLog) {}

  use(request: Request, response: Response, next: NextFunction): void {
    const call: LoggedCall = { method: request.method, path: request.originalUrl.split('?')[0], query: { ...request.query }, at: new Date().toISOString(), status: null };
    this.log.record(call);
    response.on('finish', () => (call.status = response.statusCode));
    next();
  }
}
