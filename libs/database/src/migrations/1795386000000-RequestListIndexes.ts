import { MigrationInterface, QueryRunner } from 'typeorm';

/** Indexes for the request lists with facets (BENCHMARKS.md "Request list"): the page in recency order,
 *  partner filter ignoring case, facets counted from an index, and substring search (`q`) through pg_trgm. */
export class RequestListIndexes1795386000000 implements MigrationInterface {
  name = 'RequestListIndexes1795386000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('CREATE EXTENSION IF NOT EXISTS pg_trgm');
    await queryRunner.query('CREATE INDEX "ix_rs_request_recent" ON "rs_request" ("direction", "updated_at" DESC, "id" DESC)');
    await queryRunner.query('CREATE INDEX "ix_rs_request_partner_ci" ON "rs_request" ("direction", lower("partner_code"))');
    await queryRunner.query('CREATE INDEX "ix_rs_request_facets" ON "rs_request" ("direction", "status", "external_system_status", "partner_code")');
    await queryRunner.query('CREATE INDEX "ix_rs_request_title_trgm" ON "rs_request" USING gin ("title" gin_trgm_ops)');
    await queryRunner.query('CREATE INDEX "ix_rs_request_author_trgm" ON "rs_request" USING gin ("author" gin_trgm_ops)');
    await queryRunner.query('CREATE INDEX "ix_rs_request_external_id_trgm" ON "rs_request" USING gin ("external_id" gin_trgm_ops)');
  }

  async down(): Promise<void> {
    throw new Error('Forward-only migration');
  }
}
