import { MigrationInterface, QueryRunner } from 'typeorm';

/** Upserts the request_stats rows of the requests with events in `events` (request_event, or a trigger's new rows). */
const statsUpsert = (events: string) => `
          INSERT INTO request_stats AS s (request_id, profile_id, direction, partner_code, created_at, created_month, shipped_at, received_at, unfilled_at, ship_secs, receive_secs)
          SELECT m.*, extract(epoch FROM m.shipped_at - m.created_at)::int, extract(epoch FROM m.received_at - m.shipped_at)::int
            FROM (SELECT r.id, r.profile_id, r.direction, r.partner_code, r.created_at, date_trunc('month', r.created_at AT TIME ZONE 'UTC')::date,
                         min(e.created_at) FILTER (WHERE e.to_status IN ('SHIPPED_PHYSICALLY', 'SHIPPED_DIGITALLY')) AS shipped_at,
                         min(e.created_at) FILTER (WHERE e.to_status IN ('PHYSICALLY_RECEIVED_BY_LIBRARY', 'DIGITALLY_RECEIVED_BY_LIBRARY', 'RECEIVED_BY_PARTNER')) AS received_at,
                         max(e.created_at) FILTER (WHERE e.to_status IN ('REJECTED_BY_PARTNER', 'CANCELED_BY_STAFF', 'CANCELED_BY_PARTNER', 'REJECTED', 'CANCELLED')) AS unfilled_at
                    FROM ${events} e JOIN rs_request r ON r.id = e.request_id
                   GROUP BY r.id) m
          ON CONFLICT (request_id) DO UPDATE SET
            profile_id = EXCLUDED.profile_id, partner_code = EXCLUDED.partner_code,
            shipped_at = COALESCE(s.shipped_at, EXCLUDED.shipped_at),
            received_at = COALESCE(s.received_at, EXCLUDED.received_at),
            unfilled_at = COALESCE(EXCLUDED.unfilled_at, s.unfilled_at),
            ship_secs = extract(epoch FROM COALESCE(s.shipped_at, EXCLUDED.shipped_at) - s.created_at)::int,
            receive_secs = extract(epoch FROM COALESCE(s.received_at, EXCLUDED.received_at) - COALESCE(s.shipped_at, EXCLUDED.shipped_at))::int`;

export class DeskWorkQueues1796299455852 implements MigrationInterface {
  name = 'DeskWorkQueues1796299455852';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("CREATE TABLE \"saved_filter\" (\"id\" uuid NOT NULL DEFAULT gen_random_uuid(), \"api_key_id\" uuid NOT NULL, \"direction\" character varying(10) NOT NULL, \"name\" character varying(100) NOT NULL, \"visibility\" character varying(8) NOT NULL DEFAULT 'PRIVATE', \"filter\" jsonb NOT NULL DEFAULT '{}', \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), \"updated_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT \"PK_efff8142c6db3d6ed6f47bc2719\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE UNIQUE INDEX \"uq_saved_filter_name\" ON \"saved_filter\"  (\"api_key_id\", \"direction\", \"name\") ");
    await queryRunner.query("CREATE TABLE \"request_stats\" (\"request_id\" uuid NOT NULL, \"profile_id\" uuid, \"direction\" character varying(10) NOT NULL, \"partner_code\" character varying(64), \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL, \"created_month\" date NOT NULL, \"shipped_at\" TIMESTAMP WITH TIME ZONE, \"received_at\" TIMESTAMP WITH TIME ZONE, \"unfilled_at\" TIMESTAMP WITH TIME ZONE, \"ship_secs\" integer, \"receive_secs\" integer, CONSTRAINT \"PK_8a36c1ca1204c52d7262ca57dec\" PRIMARY KEY (\"request_id\"))");
    await queryRunner.query("CREATE INDEX \"ix_request_stats_month\" ON \"request_stats\"  (\"created_month\", \"direction\", \"partner_code\") ");
    await queryRunner.query("ALTER TABLE \"rs_request\" ADD \"due_date\" date");
    await queryRunner.query("ALTER TABLE \"rs_request\" ADD \"status_since\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now()");
    await queryRunner.query("CREATE INDEX \"ix_rs_request_status_since\" ON \"rs_request\"  (\"direction\", \"status_since\") ");
    await queryRunner.query("CREATE INDEX \"ix_rs_request_due\" ON \"rs_request\"  (\"direction\", \"due_date\") WHERE due_date IS NOT NULL AND NOT closed");
    // "Waiting on us since": the time the request entered its current status, kept for every writer by a row trigger;
    // existing requests get the time of the last event that brought them to it (else their creation).
    await queryRunner.query(`
      UPDATE rs_request r SET status_since = COALESCE(
        (SELECT max(e.created_at) FROM request_event e WHERE e.request_id = r.id AND e.to_status = r.status AND e.from_status IS DISTINCT FROM e.to_status),
        r.created_at)`);
    await queryRunner.query(`
      CREATE FUNCTION rs_request_status_since() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.status IS DISTINCT FROM OLD.status THEN NEW.status_since := now(); END IF;
        RETURN NEW;
      END $$`);
    await queryRunner.query(`
      CREATE TRIGGER rs_request_status_since BEFORE UPDATE OF status ON "rs_request"
        FOR EACH ROW EXECUTE FUNCTION rs_request_status_since()`);
    // The statistics' milestones, from the request history: one statement-level trigger on request_event keeps
    // request_stats for every writer of history (imports, staff actions, pushes).
    await queryRunner.query(`
      CREATE FUNCTION request_stats_on_event() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        ${statsUpsert('new_rows')};
        RETURN NULL;
      END $$`);
    await queryRunner.query(`
      CREATE TRIGGER request_event_stats AFTER INSERT ON "request_event"
        REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION request_stats_on_event()`);
    await queryRunner.query(statsUpsert('request_event'));
    // The statistics read the month index without visiting the table.
    await queryRunner.query(`DROP INDEX "ix_request_stats_month"`);
    await queryRunner.query(`
      CREATE INDEX "ix_request_stats_month" ON "request_stats" ("created_month", "direction", "partner_code")
        INCLUDE ("profile_id", "shipped_at", "unfilled_at", "ship_secs", "receive_secs")`);
    await queryRunner.query("ALTER TABLE \"saved_filter\" ADD CONSTRAINT \"fk_saved_filter_api_key\" FOREIGN KEY (\"api_key_id\") REFERENCES \"api_key\"(\"id\") ON DELETE CASCADE ON UPDATE NO ACTION");
    await queryRunner.query("ALTER TABLE \"request_stats\" ADD CONSTRAINT \"fk_request_stats_request\" FOREIGN KEY (\"request_id\") REFERENCES \"rs_request\"(\"id\") ON DELETE CASCADE ON UPDATE NO ACTION");
  }

  async down(): Promise<void> {
    throw new Error('Forward-only migration');
  }
}
