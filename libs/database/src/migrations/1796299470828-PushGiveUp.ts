import { MigrationInterface, QueryRunner } from 'typeorm';

/** When an action's push was first tried (PUSH_GIVE_UP_AFTER_MS counts from it) and the attempts it had when an
 *  operator last retried it (PUSH_MAX_ATTEMPTS counts the attempts after). Actions already tried get their creation
 *  time: the worker tries an action within milliseconds of its creation unless it was down. */
export class PushGiveUp1796299470828 implements MigrationInterface {
  name = 'PushGiveUp1796299470828';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE \"outbound_action\" ADD \"first_attempt_at\" TIMESTAMP WITH TIME ZONE");
    await queryRunner.query("ALTER TABLE \"outbound_action\" ADD \"attempts_at_retry\" integer NOT NULL DEFAULT '0'");
    await queryRunner.query(`UPDATE "outbound_action" SET "first_attempt_at" = "created_at" WHERE "attempts" > 0 OR "state" <> 'PENDING'`);
  }

  async down(): Promise<void> {
    throw new Error('Forward-only migration');
  }
}
