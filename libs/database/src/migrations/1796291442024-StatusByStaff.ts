import { MigrationInterface, QueryRunner } from 'typeorm';

export class StatusByStaff1796291442024 implements MigrationInterface {
  name = 'StatusByStaff1796291442024';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE \"rs_request\" ADD \"status_by_staff\" boolean NOT NULL DEFAULT false");
  }

  async down(): Promise<void> {
    throw new Error('Forward-only migration');
  }
}
