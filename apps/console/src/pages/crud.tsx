import { ApiError } from '../lib/api';
import { problemsByField } from '../lib/problems';

/** An API error of a small form: each problem beside its field, the rest (409s, 503s…) apart. */
export function useServerErrors(error: unknown, fields: string[]): { byField: Record<string, string[] | undefined>; other: string[] } {
  if (!error) return { byField: {}, other: [] };
  if (!(error instanceof ApiError)) return { byField: {}, other: [String((error as Error).message ?? error)] };
  if (error.status !== 400) return { byField: {}, other: error.messages };
  return problemsByField(error.messages, fields);
}
