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

/** HTTP Basic auth whose password is an API key of the operator role or above (any user name); the
 *  key's role is left on the request as `dashboardRole`. */
export function dashboardAuth(authenticator: ApiKeyAuthenticator) {
  return async (req: Request & { dashboardRole?: string }, res: Response, next: NextFunction) => {
    const header = req.headers.authorization ?? '';
    const match = /^Basic\s+(\S+)$/i.exec(header);
    const password = match ? Buffer.from(match[1], 'base64').toString('utf8').replace(/^[^:]*:/, '') : '';
    try {
      const role = password ? await authenticator.roleOf(password) : null;
      if (role && roleAllows(role, 'operator')) {
        req.dashboardRole = role;
        return next();
      }
      res.status(role ? 403 : 401);
    } catch {
      res.status(503);
    }
    if (res.statusCode === 401) res.setHeader('WWW-Authenticate', 'Basic realm="ILL Bridge queues", charset="UTF-8"');
    res.type('text/plain').send(res.statusCode === 403 ? 'This needs an operator or admin API key' : res.statusCode === 503 ? 'Temporarily unavailable' : 'An operator or admin API key is required as the password');
  };
}

function board(app: INestApplication, readOnlyMode: boolean) {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(DASHBOARD_PATH);
  createBullBoard({
    queues: ALL_QUEUES.map((name) => new BullMQAdapter(app.get<Queue>(getQueueToken(name)), { readOnlyMode, allowRetries: !readOnlyMode })),
    serverAdapter,
    options: { uiConfig: { boardTitle: readOnlyMode ? 'ILL Bridge queues (read only)' : 'ILL Bridge queues' } },
  });
  return serverAdapter.getRouter();
}

/**
 * The bull-board dashboard over every queue of the product, at /queues. Admins get the writable board;
 * operators a read-only one (no retry, promote, clean, delete, pause or job-data edit: schedules and
 * runs change through the API, under its rules).
 */
export function mountQueueDashboard(app: INestApplication): void {
  const writable = board(app, false);
  const readOnly = board(app, true);
  app.use(DASHBOARD_PATH, dashboardAuth(app.get(ApiKeyAuthenticator)), (req: Request & { dashboardRole?: string }, res: Response, next: NextFunction) =>
    (req.dashboardRole === 'admin' ? writable : readOnly)(req, res, next),
  );
}
