import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { CatpRecord } from '@illbridge/connectors/nacsis';
import { fieldValue } from '@illbridge/connectors/nacsis';
import type { Db, RequestRow } from '../push-store';
import type { ProfileRow } from '../catp-sessions';
import type { OrderDraft } from './order-fields';

/* The writes of borrowing requests created in ILL Bridge (POST /api/borrowing-requests) and the drainer's adoption
   of the NACSIS record an ORDER created. The ORDER itself is an outbound action written by PushStore, as every
   other staff action. */

/** A NACSIS profile as ordering and the holdings search need it. */
export interface NacsisProfileRow extends ProfileRow {
  system: string;
  active: boolean;
  code: string;
  resource_sharing_library_code: string | null;
}

/** The columns of a new request (rs_request names). */
export interface NewRequestColumns {
  profile_id: string | null;
  owner_library_code: string;
  pickup_library_code: string;
  requester_name: string | null;
  requester_id: string | null;
  title: string;
  author: string | null;
  isbn: string | null;
  issn: string | null;
  publisher: string | null;
  place_of_publication: string | null;
  year: string | null;
  edition: string | null;
  volume: string | null;
  issue: string | null;
  pages: string | null;
  article_title: string | null;
  article_author: string | null;
  format: string;
  note: string | null;
  partners: string[];
  order_draft: OrderDraft;
}

/** The data of a created request's CREATED event: who made it, and the Idempotency-Key with a hash of the body it
 *  came with (a repeat with the key answers this request; another body with it is a conflict). */
export interface CreatedEventData {
  createdBy: 'api';
  idempotencyKey?: string;
  bodyHash?: string;
}

const NEW_COLUMNS: (keyof NewRequestColumns)[] = [
  'profile_id', 'owner_library_code', 'pickup_library_code', 'requester_name', 'requester_id', 'title', 'author', 'isbn', 'issn', 'publisher',
  'place_of_publication', 'year', 'edition', 'volume', 'issue', 'pages', 'article_title', 'article_author', 'format', 'note', 'partners', 'order_draft',
];
const JSON_COLUMNS = new Set<keyof NewRequestColumns>(['partners', 'order_draft']);

@Injectable()
export class BorrowingStore {
  constructor(@InjectDataSource() readonly dataSource: DataSource) {}

  async profile(db: Db, id: string): Promise<NacsisProfileRow | null> {
    const [row] = await db.query(
      `SELECT id, code, system, active, base_url, auth_user_id, secret_enc, library_code, resource_sharing_library_code FROM integration_profile WHERE id = $1`,
      [id],
    );
    return row ?? null;
  }

  /** Which of `codes` are not libraries. */
  async unknownLibraries(db: Db, codes: string[]): Promise<string[]> {
    const rows: { code: string }[] = await db.query('SELECT code FROM library WHERE code = ANY($1::varchar[])', [codes]);
    const known = new Set(rows.map((r) => r.code));
    return [...new Set(codes)].filter((code) => !known.has(code));
  }

  /** Serialises the creations that carry one Idempotency-Key (until the transaction ends). */
  async lockKey(db: Db, key: string): Promise<void> {
    await db.query(`SELECT pg_advisory_xact_lock(hashtextextended('borrowing-request:' || $1, 0))`, [key]);
  }

  /** The request a creation with this Idempotency-Key made, with the hash of that creation's body. */
  async createdWithKey(db: Db, key: string): Promise<{ request: RequestRow; bodyHash: string | null } | null> {
    const [row] = await db.query(
      `SELECT r.*, e.data->>'bodyHash' AS created_body_hash FROM request_event e JOIN rs_request r ON r.id = e.request_id
        WHERE e.type = 'CREATED' AND e.data ? 'idempotencyKey' AND e.data->>'idempotencyKey' = $1 ORDER BY e.id LIMIT 1`,
      [key],
    );
    if (!row) return null;
    const { created_body_hash, ...request } = row;
    return { request, bodyHash: created_body_hash };
  }

  /** A new borrowing request (CREATED_BORROWING_REQUEST, our next request number as its external id and order
   *  number until NACSIS gives it an ID) and its CREATED event, in one statement. */
  async create(db: Db, columns: NewRequestColumns, event: CreatedEventData): Promise<RequestRow> {
    const values = NEW_COLUMNS.map((column) => (JSON_COLUMNS.has(column) ? JSON.stringify(columns[column]) : columns[column]));
    const placeholders = NEW_COLUMNS.map((column, index) => `$${index + 1}${JSON_COLUMNS.has(column) ? '::jsonb' : ''}`);
    const eventParam = NEW_COLUMNS.length + 1;
    const [row] = await db.query(
      `WITH number AS (
         SELECT 'ILB-' || lpad(nextval('rs_request_number_seq')::text, 6, '0') AS value
       ), request AS (
         INSERT INTO rs_request (system, direction, status, external_id, external_ref, request_number, sync_state, ${NEW_COLUMNS.join(', ')})
         SELECT 'NACSIS', 'BORROWING', 'CREATED_BORROWING_REQUEST', number.value, number.value, number.value, 'IN_SYNC', ${placeholders.join(', ')} FROM number
         RETURNING *
       ), event AS (
         INSERT INTO request_event (request_id, type, from_status, to_status, external_system_status, message, data)
         SELECT id, 'CREATED', NULL, status, NULL, 'Created in ILL Bridge as ' || request_number, $${eventParam}::jsonb FROM request
       )
       SELECT * FROM request`,
      [...values, JSON.stringify(event)],
    );
    return row;
  }

  /** Before an ORDER is queued: the profile it goes through, the candidate lenders and the draft. */
  async prepareOrder(db: Db, requestId: string, change: { profileId: string; partners: string[]; draft: OrderDraft }): Promise<string> {
    // An UPDATE … RETURNING answers [rows, count] through TypeORM.
    const [rows] = await db.query(
      `UPDATE rs_request SET profile_id = $2, system = 'NACSIS', partners = $3::jsonb, order_draft = $4::jsonb, updated_at = now() WHERE id = $1 RETURNING ctid::text AS row_version`,
      [requestId, change.profileId, JSON.stringify(change.partners), JSON.stringify(change.draft)],
    );
    return rows[0].row_version;
  }

  /** The ORDER's record: its `ID` becomes the request's external identifier (unless another request of the profile
   *  has it already: then the sync linked them, and this one keeps its own) and its `AMLID` the active partner. */
  async adoptOrdered(requestId: string, record: CatpRecord): Promise<void> {
    const id = fieldValue(record, 'ID');
    const lender = fieldValue(record, 'AMLID') || null;
    if (!id) return;
    await this.dataSource.query(
      `UPDATE rs_request r SET external_id = CASE WHEN EXISTS (
           SELECT 1 FROM rs_request x WHERE x.profile_id = r.profile_id AND x.direction = r.direction AND x.external_id = $2 AND x.id <> r.id
         ) THEN r.external_id ELSE $2 END,
         partner_code = COALESCE($3, r.partner_code), updated_at = now()
        WHERE r.id = $1`,
      [requestId, id, lender],
    );
  }
}
