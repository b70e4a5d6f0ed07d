import { QueryFailedError } from 'typeorm';

/** A Postgres unique violation (SQLSTATE 23505): the expected answer to "this exists already". */
export function isUniqueViolation(error: unknown): boolean {
  return error instanceof QueryFailedError && (error as any).driverError?.code === '23505';
}

/** A Postgres foreign key violation (SQLSTATE 23503): a row is still referenced (or references nothing). */
export function isForeignKeyViolation(error: unknown): boolean {
  return error instanceof QueryFailedError && (error as any).driverError?.code === '23503';
}
