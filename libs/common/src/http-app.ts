import { INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import express, { NextFunction, Request, Response } from 'express';
import { STATUS_CODES } from 'http';
import { ApiKeyAuthenticator } from './auth';
import { AppConfig } from './config';
import { ApiExceptionFilter, createValidationPipe } from './http-errors';
import { createLogger, httpLogger, PinoNestLogger } from './logging';
import { MetricsService } from './metrics';

export interface HttpAppOptions {
  service: string;
  config: AppConfig;
  title: string;
  description: string;
  /** The body of an answer to a Netpunkt request (`/netpunkt/…`) whose body cannot be read (too large): XML
   *  (a SOAP Fault) rather than the JSON error format. */
  netpunktBodyError?: (message: string) => string;
}

/** JSON keys that name members of Object.prototype (`__proto__`, `constructor`, `toString`, …):
 *  class-transformer skips them silently, so the whitelist would never refuse them, and they are the
 *  stuff of prototype pollution. They are refused like any unknown property. */
const RESERVED_KEYS: ReadonlySet<string> = new Set(Object.getOwnPropertyNames(Object.prototype));
/** Deeper JSON overflows the stack of class-transformer and class-validator (a 500); no body of ours nests past a few levels. */
export const MAX_BODY_DEPTH = 32;
const MAX_LISTED_PROBLEMS = 20;

/** What no JSON body may hold, whatever the route: nesting past MAX_BODY_DEPTH, keys of
 *  Object.prototype, and the NUL character (Postgres cannot store it in text). */
export function jsonBodyProblems(body: unknown): string[] {
  const problems: string[] = [];
  const queue: Array<{ value: unknown; path: string; depth: number }> = [{ value: body, path: '', depth: 0 }];
  for (let i = 0; i < queue.length && problems.length < MAX_LISTED_PROBLEMS; i++) {
    const { value, path, depth } = queue[i];
    if (typeof value === 'string') {
      if (value.includes('\u0000')) problems.push(`${path || 'body'} must not contain the NUL character (U+0000)`);
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth >= MAX_BODY_DEPTH) {
      problems.push(`body must not be nested more than ${MAX_BODY_DEPTH} levels deep`);
      break;
    }
    const isArray = Array.isArray(value);
    for (const key of Object.keys(value)) {
      const child = isArray ? `${path}[${key}]` : path ? `${path}.${key}` : key;
      if (!isArray && RESERVED_KEYS.has(key)) problems.push(`property ${child} should not exist`);
      else if (!isArray && key.includes('\u0000')) problems.push(`property names must not contain the NUL character (U+0000)`);
      queue.push({ value: (value as Record<string, unknown>)[key], path: child, depth: depth + 1 });
    }
  }
  return problems;
}

const isNetpunkt = (req: Request) => (req.url ?? '').startsWith('/netpunkt/');
/** XML endpoints whose body is kept as bytes whatever the content type: Netpunkt's and ISO 18626's `POST /iso18626`. */
const isRawXml = (req: Request) => isNetpunkt(req) || /^\/iso18626(?:[?#]|$)/.test(req.url ?? '');

/** Body parsers whose errors answer in the api.md error format (Nest's own would answer before our filter). */
function bodyParsers(netpunktBodyError?: (message: string) => string) {
  const json = express.json({ limit: '1mb' });
  // Netpunkt receipts are XML whatever content type the sender claims: kept as bytes, so that the encoding
  // their XML declaration names can be honoured (decodeXmlBytes), and answered in SOAP.
  const raw = express.raw({ type: () => true, limit: '1mb' });
  const parsers = [
    (req: Request, res: Response, next: NextFunction) => (isRawXml(req) ? raw(req, res, next) : json(req, res, next)),
    // XML elsewhere: by content type.
    express.text({ type: (req) => !isRawXml(req as Request) && /xml/i.test(String(req.headers['content-type'] ?? '')), limit: '1mb' }),
  ];
  const refuse = (res: Response, message: string[]) => res.status(400).json({ statusCode: 400, error: STATUS_CODES[400], code: 'VALIDATION_FAILED', message });
  return (req: Request, res: Response, next: NextFunction) => {
    // A NUL in a path or query value would reach Postgres, which cannot hold it in text.
    if (/%00/.test(req.url ?? '') && !(req.url ?? '').startsWith('/netpunkt/')) return refuse(res, ['the URL must not contain the NUL character (%00)']);
    const run = (i: number) => {
      if (i === parsers.length) {
        if (req.body !== null && typeof req.body === 'object' && !Buffer.isBuffer(req.body)) {
          const problems = jsonBodyProblems(req.body);
          if (problems.length) return refuse(res, problems);
        }
        return next();
      }
      parsers[i](req, res, (error?: any) => {
        if (!error) return run(i + 1);
        const status = error.status === 413 ? 413 : 400;
        if (netpunktBodyError && isNetpunkt(req)) {
          return res.status(status).type('text/xml; charset=utf-8').send(netpunktBodyError(status === 413 ? 'The receipt is larger than 1 MB' : `The body cannot be read: ${error.message}`));
        }
        res.status(status).json({
          statusCode: status,
          error: STATUS_CODES[status],
          code: 'VALIDATION_FAILED',
          message: [status === 413 ? 'Body is too large' : `Body is not valid: ${error.message}`],
        });
      });
    };
    run(0);
  };
}

/** The api.md conventions of every service: body parsing with errors in the error format, validation that lists every
 *  problem, and the exception filter (the controller specs apply them too, so they answer as the services do). */
export function applyApiConventions(app: INestApplication, netpunktBodyError?: (message: string) => string): void {
  app.use(bodyParsers(netpunktBodyError));
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new ApiExceptionFilter());
}

/** Creates an HTTP service the same way everywhere: JSON logs, metrics, the error format,
 *  validation that lists every problem, OpenAPI at /docs, clean shutdown. */
export async function createHttpApp(module: Type<unknown> | any, options: HttpAppOptions): Promise<INestApplication> {
  const logger = createLogger(options.service, options.config.logLevel);
  const app = await NestFactory.create(module, { logger: new PinoNestLogger(logger), bodyParser: false });
  app.use(httpLogger(logger));
  app.use(app.get(MetricsService).middleware());
  applyApiConventions(app, options.netpunktBodyError);
  app.enableShutdownHooks();
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder().setTitle(options.title).setDescription(options.description).setVersion('1').addBearerAuth().build(),
  );
  SwaggerModule.setup('docs', app, document);
  await app.get(ApiKeyAuthenticator).ensureBootstrapKey(options.config.bootstrapAdminKey);
  return app;
}
