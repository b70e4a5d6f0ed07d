import { MigrationInterface, QueryRunner } from 'typeorm';

/** Facet counts of the request lists kept by Postgres itself (BENCHMARKS.md "Request list with facets").
 *
 *  `request_facet_delta` holds signed counts per (profile, direction, status, external status, partner,
 *  sync state). Statement-level triggers on `rs_request` append, per statement, one row per key whose count
 *  changed (from the transition tables), so every writer (import worker, action-push, Netpunkt, plain SQL)
 *  keeps it right inside its own transaction, and concurrent writers only append: no row is shared, nothing
 *  waits. The count of a key is the sum of its rows, right at any moment under MVCC.
 *  `request_facet_compact()` folds the rows into one per key (reporting runs it periodically).
 *  TRUNCATE of `rs_request` empties the table. */
export class RequestFacetCounts1795390000000 implements MigrationInterface {
  name = 'RequestFacetCounts1795390000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "request_facet_delta" (
        "id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
        "profile_id" uuid,
        "direction" varchar(10) NOT NULL,
        "status" varchar(40) NOT NULL,
        "external_system_status" varchar(64),
        "partner_code" varchar(64),
        "sync_state" varchar(16) NOT NULL,
        "n" integer NOT NULL,
        "compacted" boolean NOT NULL DEFAULT false,
        CONSTRAINT "pk_request_facet_delta" PRIMARY KEY ("id")
      )`);

    // One function per event: transition tables allow a single event per trigger.
    await queryRunner.query(`
      CREATE FUNCTION request_facet_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO request_facet_delta (profile_id, direction, status, external_system_status, partner_code, sync_state, n)
        SELECT profile_id, direction, status, external_system_status, partner_code, sync_state, count(*)
          FROM new_rows
         GROUP BY profile_id, direction, status, external_system_status, partner_code, sync_state;
        RETURN NULL;
      END $$`);
    await queryRunner.query(`
      CREATE FUNCTION request_facet_on_delete() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO request_facet_delta (profile_id, direction, status, external_system_status, partner_code, sync_state, n)
        SELECT profile_id, direction, status, external_system_status, partner_code, sync_state, -count(*)
          FROM old_rows
         GROUP BY profile_id, direction, status, external_system_status, partner_code, sync_state;
        RETURN NULL;
      END $$`);
    // Most updates leave every facet column as it was: those add nothing.
    await queryRunner.query(`
      CREATE FUNCTION request_facet_on_update() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO request_facet_delta (profile_id, direction, status, external_system_status, partner_code, sync_state, n)
        SELECT profile_id, direction, status, external_system_status, partner_code, sync_state, sum(n)
          FROM (SELECT profile_id, direction, status, external_system_status, partner_code, sync_state, 1 AS n FROM new_rows
                UNION ALL
                SELECT profile_id, direction, status, external_system_status, partner_code, sync_state, -1 FROM old_rows) changed
         GROUP BY profile_id, direction, status, external_system_status, partner_code, sync_state
        HAVING sum(n) <> 0;
        RETURN NULL;
      END $$`);
    // TRUNCATE holds rs_request exclusively, so no writer is in flight: every count is now zero. TRUNCATE
    // (not DELETE) of the counts also waits for a running compaction, whose new rows a DELETE would miss.
    await queryRunner.query(`
      CREATE FUNCTION request_facet_on_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        TRUNCATE request_facet_delta;
        RETURN NULL;
      END $$`);
    // Folds every visible row into one per key (zero counts dropped), in one statement: readers see the rows
    // before or after, never a mix; rows of transactions still running are invisible here, stay, and are folded
    // next time. One compaction at a time (-1: another one is running).
    await queryRunner.query(`
      CREATE FUNCTION request_facet_compact() RETURNS integer LANGUAGE plpgsql AS $$
      DECLARE
        folded integer;
      BEGIN
        IF NOT pg_try_advisory_xact_lock(7264003) THEN
          RETURN -1;
        END IF;
        WITH gone AS (
          DELETE FROM request_facet_delta
          RETURNING profile_id, direction, status, external_system_status, partner_code, sync_state, n
        ), kept AS (
          INSERT INTO request_facet_delta (profile_id, direction, status, external_system_status, partner_code, sync_state, n, compacted)
          SELECT profile_id, direction, status, external_system_status, partner_code, sync_state, sum(n), true
            FROM gone
           GROUP BY profile_id, direction, status, external_system_status, partner_code, sync_state
          HAVING sum(n) <> 0
        )
        SELECT count(*) INTO folded FROM gone;
        RETURN folded;
      END $$`);

    // The triggers lock rs_request against writers until this migration commits, so the backfill below
    // counts exactly the rows the triggers will not see.
    await queryRunner.query(`
      CREATE TRIGGER rs_request_facets_insert AFTER INSERT ON "rs_request"
        REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION request_facet_on_insert()`);
    await queryRunner.query(`
      CREATE TRIGGER rs_request_facets_update AFTER UPDATE ON "rs_request"
        REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION request_facet_on_update()`);
    await queryRunner.query(`
      CREATE TRIGGER rs_request_facets_delete AFTER DELETE ON "rs_request"
        REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION request_facet_on_delete()`);
    await queryRunner.query(`
      CREATE TRIGGER rs_request_facets_truncate AFTER TRUNCATE ON "rs_request"
        FOR EACH STATEMENT EXECUTE FUNCTION request_facet_on_truncate()`);
    await queryRunner.query(`
      INSERT INTO request_facet_delta (profile_id, direction, status, external_system_status, partner_code, sync_state, n, compacted)
      SELECT profile_id, direction, status, external_system_status, partner_code, sync_state, count(*), true
        FROM "rs_request"
       GROUP BY profile_id, direction, status, external_system_status, partner_code, sync_state`);
  }

  async down(): Promise<void> {
    throw new Error('Forward-only migration');
  }
}
