import { nextHarvestDay } from '@illbridge/workflow';
import type { ExternalErrorKind, MappingResult } from '@illbridge/connectors/types';
import type { IntegrationProfileEntity, JobCounters, JobRunEntity } from '@illbridge/database/entities';
import type { LibraryResolver, PartnerResolver } from './resolvers';

/** What an importer gets for one run: the run, its profile (secret decrypted), resolvers loaded once. */
export interface RunContext {
  run: JobRunEntity;
  profile: IntegrationProfileEntity;
  secret: string | null;
  libraries: LibraryResolver;
  partners: PartnerResolver;
}

/** Where importers put mapped records, a batch at a time (the request writer). Answers the batch's outcomes
 *  as counters and the external ids it covered. */
export interface BatchSink {
  write(ctx: RunContext, results: MappingResult[]): Promise<BatchResult>;
  /** Optional: the CPU work of `write` now, the writing when the answered function is called. */
  prepare?(ctx: RunContext, results: MappingResult[]): () => Promise<BatchResult>;
}

export interface BatchResult {
  delta: JobCounters;
  externalIds: string[];
}

export interface ImportOutcome {
  /** The end of what was harvested: stored on the profile when the run succeeds. */
  cursor: Date | null;
  windowFrom: string | null;
  windowTo: string | null;
  /** Parts that could not be read (e.g. a window with a malformed response): the run fails with these. */
  failures: { code: string; message: string }[];
  /** What the run noticed but did not fail on: shown in the job report. */
  warnings?: string[];
}

const day = (date: Date) => date.toISOString().slice(0, 10);

/** The days a harvest reads (YYYY-MM-DD): from where the profile's next harvest starts (libs/workflow `nextHarvestDay`:
 *  the day before where the last successful run stopped, never before the harvest start date; the start date on the
 *  first run or after a rewind), to today. */
export function harvestSpan(profile: Pick<IntegrationProfileEntity, 'harvestCursor' | 'harvestStartDate' | 'granularity'>, now = new Date()): { from: string; to: string } {
  return { from: nextHarvestDay(profile)!, to: day(now) };
}

/** The error code of a run (or of a part of it) that failed because of an external system. */
export const FAILURE_CODE: Readonly<Record<ExternalErrorKind, string>> = {
  AUTHENTICATION: 'AUTHENTICATION_FAILED',
  TRANSIENT: 'EXTERNAL_SYSTEM_UNAVAILABLE',
  PERMANENT: 'EXTERNAL_SYSTEM_ERROR',
  MALFORMED_RESPONSE: 'MALFORMED_RESPONSE',
  UNEXPECTED_RESPONSE: 'UNEXPECTED_RESPONSE',
};

/** Why a run failed as a whole. */
export class RunFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class RunAborted extends Error {
  constructor() {
    super('Aborted by an operator');
  }
}
