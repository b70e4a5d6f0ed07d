import { HttpException, HttpStatus } from '@nestjs/common';

/** Stable, machine-readable error codes of api.md "Conventions". */
export type ErrorCode =
  | 'VALIDATION_FAILED'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'PROFILE_INACTIVE'
  | 'PROFILE_IN_USE'
  | 'JOB_ALREADY_RUNNING'
  | 'NACSIS_ACTION_NOT_ALLOWED'
  | 'ACTION_NOT_ALLOWED'
  | 'SERVICE_UNAVAILABLE'
  | 'LIBRARY_NOT_MAPPED'
  | 'IMPORT_FAILED'
  | 'EXTERNAL_SYSTEM_ERROR'
  | 'INTERNAL_ERROR';

export class ApiError extends HttpException {
  constructor(
    status: number,
    readonly code: ErrorCode,
    message: string | string[],
    readonly extra: Record<string, unknown> = {},
  ) {
    super({ code, message, ...extra }, status);
  }
}

export const validationFailed = (messages: string[]) => new ApiError(HttpStatus.BAD_REQUEST, 'VALIDATION_FAILED', messages);
export const notFound = (what: string) => new ApiError(HttpStatus.NOT_FOUND, 'NOT_FOUND', `${what} not found`);
export const conflict = (message: string) => new ApiError(HttpStatus.CONFLICT, 'CONFLICT', message);
export const serviceUnavailable = (message: string) => new ApiError(HttpStatus.SERVICE_UNAVAILABLE, 'SERVICE_UNAVAILABLE', message);
