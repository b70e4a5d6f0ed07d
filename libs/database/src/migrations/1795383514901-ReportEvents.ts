import { MigrationInterface, QueryRunner } from 'typeorm';

export class ReportEvents1795383514901 implements MigrationInterface {
  name = 'ReportEvents1795383514901';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("CREATE TABLE \"report_event\" (\"id\" character varying(200) NOT NULL, \"type\" character varying(32) NOT NULL, \"applied_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT \"PK_247b406f3221ad7b2c4b4f09933\" PRIMARY KEY (\"id\"))");
  }

  async down(): Promise<void> {
    throw new Error('Forward-only migration');
  }
}
