import { MigrationInterface, QueryRunner } from 'typeorm';

export class Iso186261796299623881 implements MigrationInterface {
  name = 'Iso186261796299623881';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("CREATE TABLE \"iso18626_message\" (\"id\" uuid NOT NULL DEFAULT gen_random_uuid(), \"direction\" character varying(3) NOT NULL, \"profile_id\" uuid, \"request_id\" uuid, \"outbound_action_id\" uuid, \"message_type\" character varying(32) NOT NULL, \"reason\" character varying(32), \"status\" character varying(32), \"requesting_agency_request_id\" character varying(128), \"supplying_agency_id\" character varying(64), \"message_timestamp\" character varying(40), \"dedup_key\" character varying(64), \"raw\" text NOT NULL, \"confirmation\" text, \"message_status\" character varying(8), \"applied\" boolean NOT NULL DEFAULT false, \"error\" text, \"attempts\" integer NOT NULL DEFAULT '0', \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), \"updated_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT \"PK_bd1b07e333bc826272cd2ab6cac\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE INDEX \"ix_iso18626_message_action\" ON \"iso18626_message\"  (\"outbound_action_id\") ");
    await queryRunner.query("CREATE INDEX \"ix_iso18626_message_unmatched\" ON \"iso18626_message\"  (\"direction\", \"applied\", \"created_at\") ");
    await queryRunner.query("CREATE INDEX \"ix_iso18626_message_request\" ON \"iso18626_message\"  (\"request_id\", \"created_at\") ");
    await queryRunner.query("CREATE UNIQUE INDEX \"uq_iso18626_message_dedup\" ON \"iso18626_message\"  (\"direction\", \"profile_id\", \"dedup_key\") WHERE \"dedup_key\" IS NOT NULL");
    await queryRunner.query("ALTER TABLE \"integration_profile\" ADD \"iso18626_endpoint_url\" character varying(500)");
    await queryRunner.query("ALTER TABLE \"integration_profile\" ADD \"iso18626_agency_id\" character varying(64)");
    await queryRunner.query("ALTER TABLE \"integration_profile\" ADD \"iso18626_peer_agency_id\" character varying(64)");
    await queryRunner.query("ALTER TABLE \"integration_profile\" ADD \"iso18626_secret_enc\" text");
    await queryRunner.query("ALTER TABLE \"rs_request\" ADD \"iso18626\" jsonb");
    await queryRunner.query("ALTER TABLE \"iso18626_message\" ADD CONSTRAINT \"fk_iso18626_message_profile\" FOREIGN KEY (\"profile_id\") REFERENCES \"integration_profile\"(\"id\") ON DELETE RESTRICT ON UPDATE NO ACTION");
    await queryRunner.query("ALTER TABLE \"iso18626_message\" ADD CONSTRAINT \"fk_iso18626_message_request\" FOREIGN KEY (\"request_id\") REFERENCES \"rs_request\"(\"id\") ON DELETE RESTRICT ON UPDATE NO ACTION");
  }

  async down(): Promise<void> {
    throw new Error('Forward-only migration');
  }
}
