import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/** One ISO 18626 message, received or sent, kept raw with its confirmation (iso18626.md). IN: a lender's message to
 *  our endpoint (`dedup_key` makes a repeat — same type, status, timestamp and request id — change nothing);
 *  OUT: a requestingAgencyMessage we sent for an outbound action (the same XML is resent after a timeout). */
@Entity('iso18626_message')
@Index('uq_iso18626_message_dedup', ['direction', 'profileId', 'dedupKey'], { unique: true, where: '"dedup_key" IS NOT NULL' })
@Index('ix_iso18626_message_request', ['requestId', 'createdAt'])
@Index('ix_iso18626_message_unmatched', ['direction', 'applied', 'createdAt'])
@Index('ix_iso18626_message_action', ['outboundActionId'])
export class Iso18626MessageEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  /** IN (to us) or OUT (from us). */
  @Column({ type: 'varchar', length: 3 }) direction: 'IN' | 'OUT';
  @Column({ name: 'profile_id', type: 'uuid', nullable: true }) profileId: string | null;
  @ManyToOne('IntegrationProfileEntity', { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'profile_id', foreignKeyConstraintName: 'fk_iso18626_message_profile' })
  profile?: unknown;
  /** The request it was matched to (null: none found yet — listed for operators to re-apply). */
  @Column({ name: 'request_id', type: 'uuid', nullable: true }) requestId: string | null;
  @ManyToOne('RequestEntity', { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'request_id', foreignKeyConstraintName: 'fk_iso18626_message_request' })
  request?: unknown;
  @Column({ name: 'outbound_action_id', type: 'uuid', nullable: true }) outboundActionId: string | null;
  /** supplyingAgencyMessage, requestingAgencyMessage or request. */
  @Column({ name: 'message_type', type: 'varchar', length: 32 }) messageType: string;
  /** reasonForMessage of a supplyingAgencyMessage; the action of a requestingAgencyMessage. */
  @Column({ type: 'varchar', length: 32, nullable: true }) reason: string | null;
  /** The ISO status a supplyingAgencyMessage reports. */
  @Column({ type: 'varchar', length: 32, nullable: true }) status: string | null;
  @Column({ name: 'requesting_agency_request_id', type: 'varchar', length: 128, nullable: true }) requestingAgencyRequestId: string | null;
  @Column({ name: 'supplying_agency_id', type: 'varchar', length: 64, nullable: true }) supplyingAgencyId: string | null;
  /** The header's timestamp as sent. */
  @Column({ name: 'message_timestamp', type: 'varchar', length: 40, nullable: true }) messageTimestamp: string | null;
  @Column({ name: 'dedup_key', type: 'varchar', length: 64, nullable: true }) dedupKey: string | null;
  /** The message as sent (security codes redacted). */
  @Column({ type: 'text' }) raw: string;
  /** The confirmation answered (IN) or received (OUT); null while an OUT message has no answer yet. */
  @Column({ type: 'text', nullable: true }) confirmation: string | null;
  /** OK or ERROR (the confirmation's messageStatus). */
  @Column({ name: 'message_status', type: 'varchar', length: 8, nullable: true }) messageStatus: string | null;
  /** IN: the message changed its request (or was a repeat of one that did); OUT: the peer confirmed it OK. */
  @Column({ type: 'boolean', default: false }) applied: boolean;
  /** Why it was not applied (errorType: errorValue). */
  @Column({ type: 'text', nullable: true }) error: string | null;
  @Column({ type: 'integer', default: 0 }) attempts: number;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
