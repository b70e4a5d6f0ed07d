import { MigrationInterface, QueryRunner } from 'typeorm';

/** A bounded refresh of open requests: when an import last read each by itself (`refreshed_at`), and an index that
 *  gives a profile's open requests least recently refreshed first (never refreshed first). */
export class RefreshBudget1796299720000 implements MigrationInterface {
  name = 'RefreshBudget1796299720000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE rs_request ADD COLUMN refreshed_at timestamptz`);
    await queryRunner.query(
      `CREATE INDEX ix_rs_request_refresh ON rs_request (profile_id, direction, refreshed_at ASC NULLS FIRST, external_id) WHERE closed = false`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX ix_rs_request_refresh`);
    await queryRunner.query(`ALTER TABLE rs_request DROP COLUMN refreshed_at`);
  }
}
