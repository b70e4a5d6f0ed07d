import { MigrationInterface, QueryRunner } from 'typeorm';

export class BorrowingRequests1796299481466 implements MigrationInterface {
  name = 'BorrowingRequests1796299481466';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE \"rs_request\" ADD \"request_number\" character varying(16)");
    await queryRunner.query("ALTER TABLE \"rs_request\" ADD \"order_draft\" jsonb");
    await queryRunner.query("CREATE UNIQUE INDEX \"uq_rs_request_number\" ON \"rs_request\"  (\"request_number\") WHERE \"request_number\" IS NOT NULL");
    // Local request numbers (ILB-000123) of the requests created through POST /api/borrowing-requests.
    await queryRunner.query('CREATE SEQUENCE "rs_request_number_seq" AS bigint START 1');
    // A resent creation finds the request its Idempotency-Key created (the key is on the CREATED event's data).
    await queryRunner.query(`CREATE INDEX "ix_request_event_created_key" ON "request_event" ((data->>'idempotencyKey')) WHERE type = 'CREATED' AND data ? 'idempotencyKey'`);
  }

  async down(): Promise<void> {
    throw new Error('Forward-only migration');
  }
}
