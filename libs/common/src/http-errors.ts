import { ArgumentsHost, BadRequestException, Catch, ExceptionFilter, HttpException, HttpStatus, Logger, ValidationError, ValidationPipe } from '@nestjs/common';
import { STATUS_CODES } from 'http';
import { ApiError, ErrorCode } from './errors';

const CODE_BY_STATUS: Record<number, ErrorCode> = {
  400: 'VALIDATION_FAILED',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  503: 'SERVICE_UNAVAILABLE',
};

/** Flattens class-validator errors (nested too) into one message per problem: "schedule.time must be HH:mm". */
export function flattenValidationErrors(errors: ValidationError[], parent = ''): string[] {
  const out: string[] = [];
  for (const error of errors) {
    const path = parent ? `${parent}.${error.property}` : error.property;
    for (const message of Object.values(error.constraints ?? {})) {
      // class-validator messages start with the bare property name; show the full path instead.
      out.push(message.startsWith(`${error.property} `) ? `${path}${message.slice(error.property.length)}` : message.replace(/^property /, `property ${parent ? parent + '.' : ''}`));
    }
    if (error.children?.length) out.push(...flattenValidationErrors(error.children, path));
  }
  return out;
}

/** The one ValidationPipe of every HTTP app: unknown properties are refused, every problem listed. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new ApiError(HttpStatus.BAD_REQUEST, 'VALIDATION_FAILED', flattenValidationErrors(errors)),
  });
}

function isTransientDependencyError(error: any): boolean {
  const text = `${error?.code ?? ''} ${error?.message ?? ''}`;
  return /ECONNREFUSED|ETIMEDOUT|ENOTFOUND|EHOSTUNREACH|Connection is closed|Stream isn't writeable|enableOfflineQueue|Connection terminated|timeout exceeded when trying to connect|the database system is (starting up|shutting down)/i.test(text);
}

/** A @nestjs/terminus health check result: `{ status: 'error', info, error, details }`. */
function isHealthReport(body: unknown): boolean {
  return typeof body === 'object' && body !== null && (body as any).status === 'error' && typeof (body as any).details === 'object';
}

/** Answers every error in the api.md format: { statusCode, error, code, message[] }. */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  catch(exception: any, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse();
    if (response.headersSent) return;
    let status = HttpStatus.INTERNAL_SERVER_ERROR;
    let code: ErrorCode = 'INTERNAL_ERROR';
    let message: string[] = ['Internal server error'];
    let extra: Record<string, unknown> = {};

    if (exception instanceof ApiError) {
      status = exception.getStatus();
      code = exception.code;
      const body = exception.getResponse() as any;
      message = Array.isArray(body.message) ? body.message : [body.message];
      extra = exception.extra;
    } else if (exception instanceof HttpException && isHealthReport(exception.getResponse())) {
      // GET /health: terminus's report as it is (api.md: 503 "with the failing part").
      response.status(exception.getStatus()).json(exception.getResponse());
      return;
    } else if (exception instanceof HttpException) {
      status = exception.getStatus();
      code = CODE_BY_STATUS[status] ?? (status >= 500 ? 'INTERNAL_ERROR' : 'VALIDATION_FAILED');
      const body = exception.getResponse() as any;
      const raw = typeof body === 'string' ? body : body?.message ?? exception.message;
      message = Array.isArray(raw) ? raw : [String(raw)];
      if (exception instanceof BadRequestException && /JSON/i.test(message.join(' '))) message = [`Body is not valid JSON: ${message.join(' ')}`];
    } else if (exception?.type === 'entity.parse.failed' || exception instanceof SyntaxError) {
      status = 400;
      code = 'VALIDATION_FAILED';
      message = [`Body is not valid JSON: ${exception.message}`];
    } else if (exception?.type === 'entity.too.large') {
      status = 413;
      code = 'VALIDATION_FAILED';
      message = ['Body is too large'];
    } else if (isTransientDependencyError(exception)) {
      status = 503;
      code = 'SERVICE_UNAVAILABLE';
      message = ['A dependency (database or queue) is unavailable; try again shortly'];
      this.logger.warn(`dependency unavailable: ${exception?.message}`);
    } else {
      this.logger.error(exception?.stack ?? String(exception));
    }
    response.status(status).json({ statusCode: status, error: STATUS_CODES[status] ?? 'Error', code, message, ...extra });
  }
}
