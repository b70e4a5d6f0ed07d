import { MigrationInterface, QueryRunner } from 'typeorm';

export class ProfileHistoryKept1796289395387 implements MigrationInterface {
  name = 'ProfileHistoryKept1796289395387';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE \"rs_request\" DROP CONSTRAINT \"fk_rs_request_profile\"");
    await queryRunner.query("ALTER TABLE \"job_run\" DROP CONSTRAINT \"fk_job_run_profile\"");
    await queryRunner.query("ALTER TABLE \"netpunkt_receipt\" DROP CONSTRAINT \"fk_netpunkt_receipt_profile\"");
    await queryRunner.query("ALTER TABLE \"rs_request\" ADD CONSTRAINT \"fk_rs_request_profile\" FOREIGN KEY (\"profile_id\") REFERENCES \"integration_profile\"(\"id\") ON DELETE RESTRICT ON UPDATE NO ACTION");
    await queryRunner.query("ALTER TABLE \"job_run\" ADD CONSTRAINT \"fk_job_run_profile\" FOREIGN KEY (\"profile_id\") REFERENCES \"integration_profile\"(\"id\") ON DELETE RESTRICT ON UPDATE NO ACTION");
    await queryRunner.query("ALTER TABLE \"netpunkt_receipt\" ADD CONSTRAINT \"fk_netpunkt_receipt_profile\" FOREIGN KEY (\"profile_id\") REFERENCES \"integration_profile\"(\"id\") ON DELETE RESTRICT ON UPDATE NO ACTION");
  }

  async down(): Promise<void> {
    throw new Error('Forward-only migration');
  }
}
