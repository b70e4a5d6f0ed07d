import { Inject, Injectable, NestMiddleware, Type, mixin } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { setTimeout as sleep } from 'timers/promises';
import { FaultsService } from './faults.service';

/** The body of a "malformed" answer: JSON cut off in the middle. */
const TRUNCATED_JSON = '{"ill_requests": [{"request_id": "';
/** The body of an "html" answer: a login page, as a proxy or single sign-on in front of an API sends it. */
export const LOGIN_PAGE = '<!DOCTYPE html>\n<html lang="sv"><head><title>Logga in</title></head><body><form method="post" action="/login"><input name="user"><input name="password" type="password"></form></body></html>\n';

/** A middleware that applies the fault plan of `system` to every call of the routes it guards:
 *  `consumer.apply(faultInjectionFor('libris')).forRoutes(LibrisApiController)`. */
export function faultInjectionFor(system: string): Type<NestMiddleware> {
  @Injectable()
  class FaultInjectionMiddleware implements NestMiddleware {
    constructor(@Inject(FaultsService) private readonly faults: FaultsService) {
      faults.register(system);
    }

    async use(_request: Request, response: Response, next: NextFunction): Promise<void> {
      const { latencyMs, fault } = this.faults.plan(system).nextCall();
      if (latencyMs > 0) await sleep(latencyMs, undefined, { ref: false });
      switch (fault.kind) {
        case 'none':
          return next();
        case 'fail':
          if (fault.retryAfterSeconds !== null) response.setHeader('Retry-After', String(fault.retryAfterSeconds));
          response.status(fault.status).json({ error: `simulated failure (HTTP ${fault.status})` });
          return;
        case 'malformed':
          response.status(200).type('application/json').send(TRUNCATED_JSON);
          return;
        case 'html':
          response.status(200).type('text/html').send(LOGIN_PAGE);
          return;
        case 'hang':
          // Never answered: the client's timeout ends the call (or the simulator's shutdown does).
          return;
      }
    }
  }
  return mixin(FaultInjectionMiddleware);
}
