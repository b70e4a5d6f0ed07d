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
}

/** Body parsers whose errors answer in the api.md error format (Nest's own would answer before our filter). */
function bodyParsers() {
  const parsers = [
    express.json({ limit: '1mb' }),
    // XML (Netpunkt receipts): by content type, and leniently any body sent to /netpunkt/ whatever its type.
    express.text({ type: (req) => /xml/i.test(String(req.headers['content-type'] ?? '')) || (req.url ?? '').startsWith('/netpunkt/'), limit: '1mb' }),
  ];
  return (req: Request, res: Response, next: NextFunction) => {
    const run = (i: number) => {
      if (i === parsers.length) return next();
      parsers[i](req, res, (error?: any) => {
        if (!error) return run(i + 1);
        const status = error.status === 413 ? 413 : 400;
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

/** Creates an HTTP service the same way everywhere: JSON logs, metrics, the error format,
 *  validation that lists every problem, OpenAPI at /docs, clean shutdown. */
export async function createHttpApp(module: Type<unknown> | any, options: HttpAppOptions): Promise<INestApplication> {
  const logger = createLogger(options.service, options.config.logLevel);
  const app = await NestFactory.create(module, { logger: new PinoNestLogger(logger), bodyParser: false });
  app.use(httpLogger(logger));
  app.use(app.get(MetricsService).middleware());
  app.use(bodyParsers());
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new ApiExceptionFilter());
  app.enableShutdownHooks();
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder().setTitle(options.title).setDescription(options.description).setVersion('1').addBearerAuth().build(),
  );
  SwaggerModule.setup('docs', app, document);
  await app.get(ApiKeyAuthenticator).ensureBootstrapKey(options.config.bootstrapAdminKey);
  return app;
}
