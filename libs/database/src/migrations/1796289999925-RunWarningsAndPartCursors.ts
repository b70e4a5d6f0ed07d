import { MigrationInterface, QueryRunner } from 'typeorm';

export class RunWarningsAndPartCursors1796289999925 implements MigrationInterface {
  name = 'RunWarningsAndPartCursors1796289999925';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE \"integration_profile\" ADD \"harvest_cursors\" jsonb NOT NULL DEFAULT '{}'");
    await queryRunner.query("ALTER TABLE \"job_run\" ADD \"progress_detail\" character varying(300)");
    await queryRunner.query("ALTER TABLE \"job_run\" ADD \"warnings\" jsonb NOT NULL DEFAULT '[]'");
  }

  async down(): Promise<void> {
    throw new Error('Forward-only migration');
  }
}
