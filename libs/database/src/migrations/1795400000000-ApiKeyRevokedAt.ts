import { MigrationInterface, QueryRunner } from 'typeorm';

/** A revoked bootstrap key is kept, marked revoked, so that BOOTSTRAP_ADMIN_KEY cannot bring it back. */
export class ApiKeyRevokedAt1795400000000 implements MigrationInterface {
  name = 'ApiKeyRevokedAt1795400000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "api_key" ADD "revoked_at" TIMESTAMP WITH TIME ZONE');
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "api_key" DROP COLUMN "revoked_at"');
  }
}
