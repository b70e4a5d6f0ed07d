import type { IntegrationProfileEntity, JobRunEntity } from '@illbridge/database/entities';
import type { LibraryResolver, PartnerResolver } from './resolvers';

/** What an importer gets for one run: the run, its profile (secret decrypted), resolvers loaded once. */
export interface RunContext {
  run: JobRunEntity;
  profile: IntegrationProfileEntity;
  secret: string | null;
  libraries: LibraryResolver;
  partners: PartnerResolver;
}

/** An importer harvests one system for one run and returns where the next run should continue from. */
export interface Importer {
  run(ctx: RunContext, writer: import('./request-writer').BatchSink): Promise<ImportOutcome>;
}

export interface ImportOutcome {
  /** The end of what was harvested: stored on the profile when the run succeeds. */
  cursor: Date | null;
  windowFrom: string | null;
  windowTo: string | null;
  /** Parts that could not be read (e.g. a window with a malformed response): the run fails with these. */
  failures: { code: string; message: string }[];
}

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
