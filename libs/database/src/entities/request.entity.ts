import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { Direction, Format, RequestEventType, RequestStatus, SyncState } from './enums';

/** A borrowing or lending request, unique per (profile, direction, external id). */
@Entity('rs_request')
@Index('uq_rs_request_external', ['profileId', 'direction', 'externalId'], { unique: true })
@Index('ix_rs_request_list', ['direction', 'status', 'updatedAt'])
@Index('ix_rs_request_ext_status', ['direction', 'externalSystemStatus'])
@Index('ix_rs_request_partner', ['direction', 'partnerCode'])
@Index('ix_rs_request_sync', ['syncState'])
@Index('ix_rs_request_profile_open', ['profileId', 'direction', 'closed'])
@Index('ix_rs_request_due', ['direction', 'dueDate'], { where: 'due_date IS NOT NULL AND NOT closed' })
@Index('ix_rs_request_status_since', ['direction', 'statusSince'])
// Indexes for the request lists and their facets that TypeORM cannot describe (sort order, expressions): created by
// the RequestListIndexes migration and left alone by the schema diff. `q` searches request_search (migration
// RequestSearch), a narrow copy of each row kept by triggers, with its own trigram index.
@Index('ix_rs_request_recent', { synchronize: false })
@Index('ix_rs_request_partner_ci', { synchronize: false })
@Index('ix_rs_request_facets', { synchronize: false })
@Index('uq_rs_request_number', ['requestNumber'], { unique: true, where: '"request_number" IS NOT NULL' })
@Index('ix_rs_request_closed_at', { synchronize: false })
@Index('ix_rs_request_refresh', { synchronize: false })
export class RequestEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ name: 'profile_id', type: 'uuid', nullable: true }) profileId: string | null;
  /** RESTRICT: deleting a profile never orphans its requests (deactivate it instead). */
  @ManyToOne('IntegrationProfileEntity', { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'profile_id', foreignKeyConstraintName: 'fk_rs_request_profile' })
  profile?: unknown;
  @Column({ type: 'varchar', length: 16 }) system: string;
  @Column({ type: 'varchar', length: 10 }) direction: Direction;
  @Column({ name: 'external_id', type: 'varchar', length: 128 }) externalId: string;
  /** A second identifier of the external system (Libris request_id, NACSIS ONO / our own number). */
  @Column({ name: 'external_ref', type: 'varchar', length: 128, nullable: true }) externalRef: string | null;
  /** Our own request number (`ILB-000123`, from the sequence rs_request_number_seq) of a request created here;
   *  sent to NACSIS as the order number `ONO`. */
  @Column({ name: 'request_number', type: 'varchar', length: 16, nullable: true }) requestNumber: string | null;
  /** A request created here: what its ORDER sends beyond the request's own fields (candidate lenders with their
   *  holdings, accounting, copy type, delivery, staff, address); see apps/action-push/src/borrowing. */
  @Column({ name: 'order_draft', type: 'jsonb', nullable: true }) orderDraft: Record<string, unknown> | null;
  @Column({ type: 'varchar', length: 40 }) status: RequestStatus;
  @Column({ name: 'external_system_status', type: 'varchar', length: 64, nullable: true }) externalSystemStatus: string | null;
  @Column({ type: 'boolean', default: false }) closed: boolean;
  /** When the request was closed (set by a trigger whenever `closed` becomes true; cleared when it reopens). */
  @Column({ name: 'closed_at', type: 'timestamptz', nullable: true }) closedAt: Date | null;
  /** When the retention job removed its requester name, patron id and raw record (RETENTION_DAYS). */
  /** When an import last read this open request by itself (the Libris refresh by LF number): the refresh takes the
   *  least recently refreshed first (never refreshed first), a budget per run (LIBRIS_REFRESH_PER_RUN). */
  @Column({ name: 'refreshed_at', type: 'timestamptz', nullable: true }) refreshedAt: Date | null;
  @Column({ name: 'personal_data_purged_at', type: 'timestamptz', nullable: true }) personalDataPurgedAt: Date | null;
  /** The local status was set by staff (a local workflow action on a Libris or Netpunkt request): imports keep it
   *  and only record the external change. */
  @Column({ name: 'status_by_staff', type: 'boolean', default: false }) statusByStaff: boolean;
  @Column({ name: 'partner_code', type: 'varchar', length: 64, nullable: true }) partnerCode: string | null;
  @Column({ type: 'jsonb', default: () => "'[]'" }) partners: string[];
  @Column({ name: 'owner_library_code', type: 'varchar', length: 64 }) ownerLibraryCode: string;
  @Column({ name: 'pickup_library_code', type: 'varchar', length: 64, nullable: true }) pickupLibraryCode: string | null;
  @Column({ name: 'requester_name', type: 'varchar', length: 300, nullable: true }) requesterName: string | null;
  @Column({ name: 'requester_id', type: 'varchar', length: 128, nullable: true }) requesterId: string | null;
  @Column({ type: 'text', nullable: true }) title: string | null;
  @Column({ type: 'text', nullable: true }) author: string | null;
  @Column({ type: 'varchar', length: 64, nullable: true }) isbn: string | null;
  @Column({ type: 'varchar', length: 64, nullable: true }) issn: string | null;
  @Column({ type: 'text', nullable: true }) publisher: string | null;
  @Column({ name: 'place_of_publication', type: 'text', nullable: true }) placeOfPublication: string | null;
  @Column({ type: 'varchar', length: 64, nullable: true }) year: string | null;
  @Column({ type: 'varchar', length: 200, nullable: true }) edition: string | null;
  @Column({ type: 'varchar', length: 200, nullable: true }) volume: string | null;
  @Column({ type: 'varchar', length: 200, nullable: true }) issue: string | null;
  @Column({ type: 'varchar', length: 200, nullable: true }) pages: string | null;
  @Column({ name: 'article_title', type: 'text', nullable: true }) articleTitle: string | null;
  @Column({ name: 'article_author', type: 'text', nullable: true }) articleAuthor: string | null;
  @Column({ type: 'varchar', length: 8, nullable: true }) format: Format | null;
  @Column({ type: 'text', nullable: true }) note: string | null;
  @Column({ name: 'last_interest_date', type: 'varchar', length: 32, nullable: true }) lastInterestDate: string | null;
  /** When the item is due back (NACSIS DDATE, from the sync or from our SHIP; Libris due_date). */
  @Column({ name: 'due_date', type: 'date', nullable: true }) dueDate: string | null;
  /** When the request entered its current status ("waiting on us since"): kept by the trigger
   *  rs_request_status_since (migration DeskWorkQueues) for every writer. */
  @Column({ name: 'status_since', type: 'timestamptz', default: () => 'now()' }) statusSince: Date;
  @Column({ name: 'replaces_request_id', type: 'uuid', nullable: true }) replacesRequestId: string | null;
  /** The raw external record, kept for audit. */
  @Column({ type: 'jsonb', nullable: true }) raw: unknown;
  /** Hash of the raw record: an identical record again is UNCHANGED. */
  @Column({ name: 'content_hash', type: 'char', length: 40, nullable: true }) contentHash: string | null;
  @Column({ name: 'sync_state', type: 'varchar', length: 16, default: 'IN_SYNC' }) syncState: SyncState;
  @Column({ name: 'sync_error', type: 'text', nullable: true }) syncError: string | null;
  @Column({ name: 'push_lease_until', type: 'timestamptz', nullable: true }) pushLeaseUntil: Date | null;
  @Column({ name: 'push_lease_owner', type: 'varchar', length: 64, nullable: true }) pushLeaseOwner: string | null;
  @Column({ name: 'last_job_run_id', type: 'uuid', nullable: true }) lastJobRunId: string | null;
  /** What the ISO 18626 messages of the request said last: status, reasons, note, deliveryInfo, flags (null: none). */
  @Column({ type: 'jsonb', nullable: true }) iso18626: Record<string, unknown> | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}

/** Append-only history of a request. */
@Entity('request_event')
@Index('ix_request_event_request', ['requestId', 'id'])
// The Idempotency-Key of a request created through POST /api/borrowing-requests, on its CREATED event (expression
// index, created by the BorrowingRequests migration).
@Index('ix_request_event_created_key', { synchronize: false })
export class RequestEventEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint' }) id: string;
  @Column({ name: 'request_id', type: 'uuid' }) requestId: string;
  @ManyToOne('RequestEntity', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'request_id', foreignKeyConstraintName: 'fk_request_event_request' })
  request?: unknown;
  @Column({ type: 'varchar', length: 24 }) type: RequestEventType;
  @Column({ name: 'from_status', type: 'varchar', length: 40, nullable: true }) fromStatus: string | null;
  @Column({ name: 'to_status', type: 'varchar', length: 40, nullable: true }) toStatus: string | null;
  @Column({ name: 'external_system_status', type: 'varchar', length: 64, nullable: true }) externalSystemStatus: string | null;
  @Column({ name: 'job_run_id', type: 'uuid', nullable: true }) jobRunId: string | null;
  @Column({ type: 'text', nullable: true }) message: string | null;
  @Column({ type: 'jsonb', nullable: true }) data: Record<string, unknown> | null;
  /** Staff events: the API key that took the action (its id and name at the time). */
  @Column({ name: 'actor_key_id', type: 'uuid', nullable: true }) actorKeyId: string | null;
  @Column({ name: 'actor_key_name', type: 'varchar', length: 200, nullable: true }) actorKeyName: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
