import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';

/** A Netpunkt order receipt as received (durable before the answer `ok`). */
@Entity('netpunkt_receipt')
@Index('ix_netpunkt_receipt_order', ['profileId', 'orderId', 'requesterId'])
export class NetpunktReceiptEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ name: 'profile_id', type: 'uuid' }) profileId: string;
  /** RESTRICT: the receipts DBC was answered for stay with their profile. */
  @ManyToOne('IntegrationProfileEntity', { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'profile_id', foreignKeyConstraintName: 'fk_netpunkt_receipt_profile' })
  profile?: unknown;
  @Index('uq_netpunkt_receipt_uuid', { unique: true })
  @Column({ name: 'receipt_uuid', type: 'varchar', length: 128 }) receiptUuid: string;
  @Column({ name: 'order_id', type: 'varchar', length: 64 }) orderId: string;
  @Column({ name: 'requester_id', type: 'varchar', length: 64 }) requesterId: string;
  @Column({ type: 'jsonb' }) receipt: Record<string, unknown>;
  @Column({ name: 'raw_xml', type: 'text' }) rawXml: string;
  @Column({ name: 'job_run_id', type: 'uuid', nullable: true }) jobRunId: string | null;
  @CreateDateColumn({ name: 'received_at', type: 'timestamptz' }) receivedAt: Date;
}
