import { MigrationInterface, QueryRunner } from 'typeorm';

/** `request_search.doc` holds its text lower-cased, and a search matches it with `doc LIKE lower(q)`.
 *
 *  In a UTF-8 database `ILIKE` is `lower()` of both sides and a case-sensitive match (PostgreSQL's like.c), so the
 *  answers are the same; but `ILIKE` lower-cases every candidate row's text at each search, which was a fifth of a
 *  common term's search at 1,000,000 requests (BENCHMARKS.md "Request search"). Now that happens once, when the row
 *  is written.
 *
 *  The copy is rebuilt from rs_request with rs_request locked against writers (its readers go on; searches wait for
 *  the commit), its trigram index built after the rows, as RequestSearch built it. */
export class RequestSearchLowerDoc1796299740000 implements MigrationInterface {
  name = 'RequestSearchLowerDoc1796299740000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`LOCK TABLE "rs_request" IN SHARE MODE`);
    await queryRunner.query(`
      CREATE OR REPLACE FUNCTION request_search_doc(title text, author text, external_id text, requester_name text, requester_id text, request_number text)
        RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT lower(concat_ws(E'\\x1f', title, author, external_id, requester_name, requester_id, request_number))
      $$`);
    await queryRunner.query(`DROP INDEX "ix_request_search_doc_trgm"`);
    await queryRunner.query(`TRUNCATE "request_search"`);
    await queryRunner.query(`
      INSERT INTO request_search (id, profile_id, direction, status, external_system_status, partner_code, sync_state, closed,
                                  due_date, status_since, created_at, updated_at, doc)
      SELECT r.id, r.profile_id, r.direction, r.status, r.external_system_status, r.partner_code, r.sync_state, r.closed,
             r.due_date, r.status_since, r.created_at, r.updated_at, request_search_doc(r.title, r.author, r.external_id, r.requester_name, r.requester_id, r.request_number)
        FROM rs_request r`);
    await queryRunner.query(`CREATE INDEX "ix_request_search_doc_trgm" ON "request_search" USING gin ("doc" gin_trgm_ops)`);
  }

  async down(): Promise<void> {
    throw new Error('Forward-only migration');
  }
}
