import { MigrationInterface, QueryRunner } from 'typeorm';

/** The requester in the key of a Netpunkt order (netpunkt.md §2: orderId + requesterId identify an order):
 *  requests and record events stored as the bare orderId become `<orderId>@<requesterId>`, the requester
 *  normalized as agency.ts does (`dk-820010`, `820010` of type ISIL → `DK-820010`), as the mapper writes them now. */
export class NetpunktOrderKey1796299651664 implements MigrationInterface {
  name = 'NetpunktOrderKey1796299651664';

  async up(queryRunner: QueryRunner): Promise<void> {
    // The request's external_ref has always held the normalized requester.
    await queryRunner.query(
      `UPDATE rs_request SET external_id = external_id || '@' || external_ref
        WHERE system = 'NETPUNKT' AND direction = 'BORROWING' AND external_ref IS NOT NULL AND position('@' in external_id) = 0`,
    );
    await queryRunner.query(
      `UPDATE record_event e SET external_id = r.external_id
         FROM rs_request r
        WHERE e.request_id = r.id AND r.system = 'NETPUNKT' AND position('@' in e.external_id) = 0 AND position('@' in r.external_id) > 0`,
    );
    // Failed records have no request: their receipt names the requester.
    await queryRunner.query(
      `UPDATE record_event e SET external_id = e.external_id || '@' ||
              CASE WHEN n.receipt->'order'->>'requesterIdType' = 'ISIL' AND btrim(n.requester_id) ~* '^(dk-)?[0-9]{6}$'
                   THEN 'DK-' || right(btrim(n.requester_id), 6) ELSE btrim(n.requester_id) END
         FROM netpunkt_receipt n
        WHERE n.job_run_id = e.job_run_id AND e.request_id IS NULL AND position('@' in e.external_id) = 0 AND e.external_id = n.order_id`,
    );
  }

  async down(): Promise<void> {
    throw new Error('Forward-only migration');
  }
}
