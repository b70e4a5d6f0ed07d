import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/** Keeps `request_facet_delta` (the request list facet counts, appended to by triggers on rs_request; migration
 *  RequestFacetCounts) small: every INTERVAL_MS, when rows were appended since the last fold, and at once when a
 *  list read summed more than PENDING_THRESHOLD unfolded rows, it runs `request_facet_compact()`, which folds
 *  the rows into one per key in one statement under an advisory lock (safe with writers, readers and other
 *  reporting instances). */
@Injectable()
export class FacetCompactionService implements OnApplicationBootstrap, OnApplicationShutdown {
  static INTERVAL_MS = 60_000;
  static PENDING_THRESHOLD = 5_000;

  private readonly logger = new Logger(FacetCompactionService.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<number>;
  private stopped = false;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  onApplicationBootstrap() {
    this.timer = setInterval(() => void this.compactIfPending(), FacetCompactionService.INTERVAL_MS);
    this.timer.unref();
  }

  async onApplicationShutdown() {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** A list read summed `pending` unfolded rows: fold them soon (in the background) when there are many. */
  notePending(pending: number) {
    if (pending >= FacetCompactionService.PENDING_THRESHOLD) void this.compact().catch((error) => this.logger.warn(`Facet compaction failed: ${error?.message ?? error}`));
  }

  async compactIfPending(): Promise<number> {
    try {
      const [{ pending }] = await this.dataSource.query(`SELECT EXISTS (SELECT 1 FROM request_facet_delta WHERE NOT compacted) AS pending`);
      return pending ? await this.compact() : 0;
    } catch (error: any) {
      if (!this.stopped) this.logger.warn(`Facet compaction failed: ${error?.message ?? error}`);
      return 0;
    }
  }

  /** Folds the facet rows: the number of rows folded, -1 when another compaction was running. One at a time
   *  per process; the advisory lock in the function covers the other processes. */
  compact(): Promise<number> {
    if (this.stopped) return Promise.resolve(0);
    this.running ??= this.dataSource
      .query('SELECT request_facet_compact() AS folded')
      .then(([row]) => Number(row.folded))
      .finally(() => (this.running = undefined));
    return this.running;
  }
}
