import { INestApplication } from '@nestjs/common';
import express, { NextFunction, Request, Response } from 'express';
import { existsSync } from 'fs';
import { STATUS_CODES } from 'http';
import { join } from 'path';
import { Readable } from 'stream';
import { CONSOLE_UPSTREAMS, ConsoleSettings, ConsoleUpstream } from './console-settings';

export const CONSOLE_PATH = '/console';
export const PROXY_PATH = '/proxy';

/** Request headers the console's calls need downstream; response headers it reads. */
const FORWARDED_REQUEST_HEADERS = ['authorization', 'content-type', 'accept', 'accept-language', 'idempotency-key'];
const FORWARDED_RESPONSE_HEADERS = ['content-type', 'content-disposition', 'cache-control', 'retry-after'];

const errorBody = (status: number, code: string, message: string) => ({ statusCode: status, error: STATUS_CODES[status], code, message: [message] });

/** The same-origin proxy: /proxy/profile-config/api/… → PROFILE_CONFIG_URL/api/…, /proxy/action-push/api/… →
 *  ACTION_PUSH_URL/api/…. The browser's API key travels on unchanged; the service behind answers and authorises
 *  as it always does. Only /api routes pass. A service that is down or too slow answers 503 SERVICE_UNAVAILABLE. */
export function consoleProxy(settings: ConsoleSettings) {
  return async (req: Request, res: Response) => {
    const match = /^\/([a-z-]+)(\/api(?:\/.*)?)$/.exec(req.url ?? '');
    const upstream = match && (CONSOLE_UPSTREAMS as readonly string[]).includes(match[1]) ? (match[1] as ConsoleUpstream) : null;
    if (!match || !upstream) {
      res.status(404).json(errorBody(404, 'NOT_FOUND', `No such route: ${req.method} ${PROXY_PATH}${req.url} (the proxy serves ${CONSOLE_UPSTREAMS.map((u) => `${PROXY_PATH}/${u}/api/…`).join(', ')})`));
      return;
    }
    const headers: Record<string, string> = {};
    for (const name of FORWARDED_REQUEST_HEADERS) {
      const value = req.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    // reporting's body parser has read (and checked) the JSON body already: it goes on as JSON again.
    const body = ['GET', 'HEAD'].includes(req.method) || req.body === undefined ? undefined : typeof req.body === 'string' ? req.body : JSON.stringify(req.body);
    let answer: globalThis.Response;
    try {
      answer = await fetch(`${settings.upstreams[upstream]}${match[2]}`, { method: req.method, headers, body, redirect: 'manual', signal: AbortSignal.timeout(settings.proxyTimeoutMs) });
    } catch (error: any) {
      const why = error?.name === 'TimeoutError' ? `did not answer within ${settings.proxyTimeoutMs} ms` : 'is not reachable';
      if (!res.headersSent) res.status(503).setHeader('Retry-After', '5').json(errorBody(503, 'SERVICE_UNAVAILABLE', `${upstream} ${why}; try again shortly`));
      return;
    }
    res.status(answer.status);
    for (const name of FORWARDED_RESPONSE_HEADERS) {
      const value = answer.headers.get(name);
      if (value) res.setHeader(name, value);
    }
    if (!answer.body) {
      res.end();
      return;
    }
    const stream = Readable.fromWeb(answer.body as any);
    stream.on('error', () => res.destroy());
    stream.pipe(res);
  };
}

/** The console's files: hashed assets cached for good, everything else answered with index.html (no-cache),
 *  so a deep link such as /console/requests/lending?status=… opens the right page. No key is needed for the
 *  files; every API call the console makes carries the key. */
export function consoleFiles(settings: ConsoleSettings) {
  const assets = express.static(settings.dir, { index: false, fallthrough: true, immutable: true, maxAge: '365d' });
  const index = join(settings.dir, 'index.html');
  return (req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    if (!existsSync(index)) {
      res.status(404).type('text/plain').send('The staff console is not built: run `npm run build` (or set CONSOLE_DIR to its build output).');
      return;
    }
    if (req.url === '' || req.url === '/') return sendIndex(res, index);
    if (req.path.startsWith('/assets/')) return assets(req, res, () => res.status(404).type('text/plain').send('Not found'));
    return sendIndex(res, index);
  };
}

function sendIndex(res: Response, index: string) {
  res.setHeader('Cache-Control', 'no-cache');
  res.sendFile(index);
}

/** Mounts the console at /console/ and its proxy at /proxy/. */
export function mountConsole(app: INestApplication, settings: ConsoleSettings): void {
  app.use(PROXY_PATH, consoleProxy(settings));
  const files = consoleFiles(settings);
  app.use(CONSOLE_PATH, (req: Request, res: Response, next: NextFunction) => {
    // /console → /console/ so the relative asset URLs resolve.
    if (req.originalUrl === CONSOLE_PATH || req.originalUrl.startsWith(`${CONSOLE_PATH}?`)) return res.redirect(301, `${CONSOLE_PATH}/`);
    return files(req, res, next);
  });
}
