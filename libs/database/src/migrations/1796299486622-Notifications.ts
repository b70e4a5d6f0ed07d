import { MigrationInterface, QueryRunner } from 'typeorm';

export class Notifications1796299486622 implements MigrationInterface {
  name = 'Notifications1796299486622';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("CREATE TABLE \"notification_subscriber\" (\"id\" uuid NOT NULL DEFAULT gen_random_uuid(), \"profile_id\" uuid, \"channel\" character varying(16) NOT NULL, \"name\" character varying(200) NOT NULL, \"email\" character varying(320), \"url\" character varying(1000), \"secret_enc\" text, \"events\" jsonb, \"active\" boolean NOT NULL DEFAULT true, \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), \"updated_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT \"PK_129baf0aaf58327ec50efea6de8\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE INDEX \"ix_notification_subscriber_profile\" ON \"notification_subscriber\"  (\"profile_id\") ");
    await queryRunner.query("CREATE TABLE \"notification_delivery\" (\"id\" uuid NOT NULL DEFAULT gen_random_uuid(), \"subscriber_id\" uuid NOT NULL, \"event_id\" character varying(300) NOT NULL, \"event_type\" character varying(32) NOT NULL, \"body\" text NOT NULL, \"status\" character varying(16) NOT NULL DEFAULT 'PENDING', \"attempts\" integer NOT NULL DEFAULT '0', \"last_error\" text, \"last_status_code\" integer, \"delivered_at\" TIMESTAMP WITH TIME ZONE, \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), \"updated_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT \"PK_109dea88c25343da49d86de6bfd\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE INDEX \"ix_notification_delivery_subscriber_created\" ON \"notification_delivery\"  (\"subscriber_id\", \"created_at\") ");
    await queryRunner.query("CREATE UNIQUE INDEX \"uq_notification_delivery_event\" ON \"notification_delivery\"  (\"subscriber_id\", \"event_id\") ");
    await queryRunner.query("ALTER TABLE \"notification_subscriber\" ADD CONSTRAINT \"fk_notification_subscriber_profile\" FOREIGN KEY (\"profile_id\") REFERENCES \"integration_profile\"(\"id\") ON DELETE CASCADE ON UPDATE NO ACTION");
    await queryRunner.query("ALTER TABLE \"notification_delivery\" ADD CONSTRAINT \"fk_notification_delivery_subscriber\" FOREIGN KEY (\"subscriber_id\") REFERENCES \"notification_subscriber\"(\"id\") ON DELETE CASCADE ON UPDATE NO ACTION");
  }

  async down(): Promise<void> {
    throw new Error('Forward-only migration');
  }
}
