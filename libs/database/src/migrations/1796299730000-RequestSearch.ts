import { MigrationInterface, QueryRunner } from 'typeorm';

/** Search of the request lists (`q`) over a narrow copy of each request (BENCHMARKS.md "Request search"):
 *  `request_search` holds, per request, the columns the lists filter, count and sort by, and one text `doc` of what
 *  `q` matches (title, author, external id, requester name and id, request number, joined by U+001F, which `q`
 *  never holds), with a pg_trgm index on it. A search reads ~170 B rows instead of rs_request's ~1 KB ones, so
 *  counting the facets of its hits touches a sixth of the pages.
 *
 *  Kept by statement-level triggers on rs_request (transition tables, like request_facet_delta), so every writer
 *  keeps it right inside its own transaction; a retention purge of the requester's name and id removes them from
 *  the search too. The three trigram indexes on rs_request's own columns are gone (nothing else searched them).
 *  Also `request_local_today(profile)`, the overdue flag's "today" (apps/reporting/src/desk/overdue.ts). */
export class RequestSearch1796299730000 implements MigrationInterface {
  name = 'RequestSearch1796299730000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // fillfactor 90: a status change rewrites the row (updated_at at least); with room on its page the new version
    // stays there (HOT) and neither index, above all not the trigram one, gets new entries.
    await queryRunner.query(`
      CREATE TABLE "request_search" (
        "id" uuid NOT NULL,
        "profile_id" uuid,
        "direction" varchar(10) NOT NULL,
        "status" varchar(40) NOT NULL,
        "external_system_status" varchar(64),
        "partner_code" varchar(64),
        "sync_state" varchar(16) NOT NULL,
        "closed" boolean NOT NULL,
        "due_date" date,
        "status_since" timestamptz NOT NULL,
        "created_at" timestamptz NOT NULL,
        "updated_at" timestamptz NOT NULL,
        "doc" text NOT NULL,
        CONSTRAINT "pk_request_search" PRIMARY KEY ("id")
      ) WITH (fillfactor = 90)`);
    await queryRunner.query(`
      CREATE FUNCTION request_search_doc(title text, author text, external_id text, requester_name text, requester_id text, request_number text)
        RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT concat_ws(E'\\x1f', title, author, external_id, requester_name, requester_id, request_number)
      $$`);
    // Today in a request's library's time zone (its profile's schedule_timezone, else UTC), for the overdue flag.
    // The FROM keeps it from being inlined: the planner costs one function call per row, not a subquery.
    await queryRunner.query(`
      CREATE FUNCTION request_local_today(profile uuid) RETURNS date LANGUAGE sql STABLE PARALLEL SAFE AS $$
        SELECT (now() AT TIME ZONE COALESCE(max(p.schedule_timezone), 'UTC'))::date FROM integration_profile p WHERE p.id = profile
      $$`);
    await queryRunner.query(`
      CREATE FUNCTION request_search_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO request_search (id, profile_id, direction, status, external_system_status, partner_code, sync_state, closed,
                                    due_date, status_since, created_at, updated_at, doc)
        SELECT n.id, n.profile_id, n.direction, n.status, n.external_system_status, n.partner_code, n.sync_state, n.closed,
               n.due_date, n.status_since, n.created_at, n.updated_at, request_search_doc(n.title, n.author, n.external_id, n.requester_name, n.requester_id, n.request_number)
          FROM new_rows n;
        RETURN NULL;
      END $$`);
    // Only rows whose copy differs are written (an update that changes none of these columns writes nothing).
    await queryRunner.query(`
      CREATE FUNCTION request_search_on_update() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE request_search s
           SET profile_id = n.profile_id, direction = n.direction, status = n.status, external_system_status = n.external_system_status,
               partner_code = n.partner_code, sync_state = n.sync_state, closed = n.closed, due_date = n.due_date,
               status_since = n.status_since, created_at = n.created_at, updated_at = n.updated_at, doc = n.doc
          FROM (SELECT r.*, request_search_doc(r.title, r.author, r.external_id, r.requester_name, r.requester_id, r.request_number) AS doc FROM new_rows r) n
         WHERE s.id = n.id
           AND (s.profile_id, s.direction, s.status, s.external_system_status, s.partner_code, s.sync_state, s.closed, s.due_date,
                s.status_since, s.created_at, s.updated_at, s.doc)
               IS DISTINCT FROM
               (n.profile_id, n.direction, n.status, n.external_system_status, n.partner_code, n.sync_state, n.closed, n.due_date,
                n.status_since, n.created_at, n.updated_at, n.doc);
        RETURN NULL;
      END $$`);
    await queryRunner.query(`
      CREATE FUNCTION request_search_on_delete() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        DELETE FROM request_search s USING old_rows o WHERE s.id = o.id;
        RETURN NULL;
      END $$`);
    await queryRunner.query(`
      CREATE FUNCTION request_search_on_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        TRUNCATE request_search;
        RETURN NULL;
      END $$`);
    // The triggers lock rs_request against writers until this migration commits, so the copy below holds exactly
    // the rows the triggers will not see.
    await queryRunner.query(`
      CREATE TRIGGER rs_request_search_insert AFTER INSERT ON "rs_request"
        REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION request_search_on_insert()`);
    await queryRunner.query(`
      CREATE TRIGGER rs_request_search_update AFTER UPDATE ON "rs_request"
        REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION request_search_on_update()`);
    await queryRunner.query(`
      CREATE TRIGGER rs_request_search_delete AFTER DELETE ON "rs_request"
        REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION request_search_on_delete()`);
    await queryRunner.query(`
      CREATE TRIGGER rs_request_search_truncate AFTER TRUNCATE ON "rs_request"
        FOR EACH STATEMENT EXECUTE FUNCTION request_search_on_truncate()`);
    await queryRunner.query(`
      INSERT INTO request_search (id, profile_id, direction, status, external_system_status, partner_code, sync_state, closed,
                                  due_date, status_since, created_at, updated_at, doc)
      SELECT r.id, r.profile_id, r.direction, r.status, r.external_system_status, r.partner_code, r.sync_state, r.closed,
             r.due_date, r.status_since, r.created_at, r.updated_at, request_search_doc(r.title, r.author, r.external_id, r.requester_name, r.requester_id, r.request_number)
        FROM rs_request r`);
    await queryRunner.query(`CREATE INDEX "ix_request_search_doc_trgm" ON "request_search" USING gin ("doc" gin_trgm_ops)`);
    await queryRunner.query(`DROP INDEX "ix_rs_request_title_trgm"`);
    await queryRunner.query(`DROP INDEX "ix_rs_request_author_trgm"`);
    await queryRunner.query(`DROP INDEX "ix_rs_request_external_id_trgm"`);
  }

  async down(): Promise<void> {
    throw new Error('Forward-only migration');
  }
}
