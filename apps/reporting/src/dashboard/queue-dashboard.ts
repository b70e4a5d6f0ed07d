import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { INestApplication } from '@nestjs/common';
import { getQueueToken } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import type { NextFunction, Request, Response } from 'express';
import { ApiKeyAuthenticator, roleAllows } from '@illbridge/common';
import { ALL_QUEUES } from '@illbridge/queues';

export const DASHBOARD_PATH = '/queues';

/** HTTP Basic auth whose password is an API key of the operator role or above (any user name). */
export function dashboardAuth(authenticator: ApiKeyAuthenticator) {
  return async (req: Request, res: Response, next: NextFunction) => {
    const header = req.headers.authorization ?? '';
    const match = /^Basic\s+(\S+)$/i.exec(header);
    const password = match ? Buffer.from(match[1], 'base64').toString('utf8').replace(/^[^:]*:/, '') : '';
    try {
      const role = password ? await authenticator.roleOf(password) : null;
      if (role && roleAllows(role, 'operator')) return next();
      res.status(role ? 403 : 401);
    } catch {
      res.status(503);
    }
    if (res.statusCode === 401) res.setHeader('WWW-Authenticate', 'Basic realm="ILL Bridge queues", charset="UTF-8"');
    res.type('text/plain').send(res.statusCode === 403 ? 'This needs an operator or admin API key' : res.statusCode === 503 ? 'Temporarily unavailable' : 'An operator or admin API key is required as the password');
  };
}

/** The bull-board dashboard over every queue of the product, at /queues. */
export function mountQueueDashboard(app: INestApplication): void {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(DASHBOARD_PATH);
  createBullBoard({
    queues: ALL_QUEUES.map((name) => new BullMQAdapter(app.get<Queue>(getQueueToken(name)), { readOnlyMode: false })),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'ILL Bridge queues' } },
  });
  app.use(DASHBOARD_PATH, dashboardAuth(app.get(ApiKeyAuthenticator)), serverAdapter.getRouter());
}
