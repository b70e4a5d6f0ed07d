import { LoggerService } from '@nestjs/common';
import pino, { Logger } from 'pino';
import pinoHttp from 'pino-http';

/** Paths that must never reach a log line: credentials and personal data. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["api-key"]',
  'req.headers.cookie',
  '*.password',
  '*.apiKey',
  '*.api_key',
  '*.authenticationPassword',
  '*.secret',
  '*.key',
  '*.userId',
];

export function createLogger(service: string, level = process.env.LOG_LEVEL || (process.env.NODE_ENV === 'test' ? 'warn' : 'info')): Logger {
  return pino({ name: service, level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { service } });
}

/** Nest's logger interface over pino: one JSON line per entry. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}
  log(message: any, context?: string) {
    this.logger.info({ context }, String(message));
  }
  error(message: any, trace?: string, context?: string) {
    this.logger.error({ context, trace }, String(message));
  }
  warn(message: any, context?: string) {
    this.logger.warn({ context }, String(message));
  }
  debug(message: any, context?: string) {
    this.logger.debug({ context }, String(message));
  }
  verbose(message: any, context?: string) {
    this.logger.trace({ context }, String(message));
  }
}

export function httpLogger(logger: Logger) {
  return pinoHttp({
    logger,
    autoLogging: { ignore: (req) => req.url === '/health' || req.url === '/metrics' },
    customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
    serializers: {
      req: (req) => ({ method: req.method, url: req.url }),
      res: (res) => ({ statusCode: res.statusCode }),
    },
  });
}
