import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { OutboundState } from './enums';

/** A staff action waiting to be, or already, pushed to NACSIS-ILL. Postgres is the ordered log:
 *  (request_id, seq) orders the actions of one request. */
@Entity('outbound_action')
@Index('uq_outbound_action_seq', ['requestId', 'seq'], { unique: true })
@Index('uq_outbound_action_idem', ['requestId', 'idempotencyKey'], { unique: true, where: '"idempotency_key" IS NOT NULL' })
@Index('ix_outbound_action_state', ['state'])
export class OutboundActionEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ name: 'request_id', type: 'uuid' }) requestId: string;
  @ManyToOne('RequestEntity', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'request_id', foreignKeyConstraintName: 'fk_outbound_action_request' })
  request?: unknown;
  @Column({ type: 'integer' }) seq: number;
  @Column({ type: 'varchar', length: 16 }) action: string;
  @Column({ name: 'nacsis_command', type: 'varchar', length: 16, nullable: true }) nacsisCommand: string | null;
  @Column({ name: 'from_external_status', type: 'varchar', length: 64, nullable: true }) fromExternalStatus: string | null;
  @Column({ name: 'to_external_status', type: 'varchar', length: 64, nullable: true }) toExternalStatus: string | null;
  @Column({ type: 'varchar', length: 12 }) state: OutboundState;
  @Column({ type: 'integer', default: 0 }) attempts: number;
  @Column({ name: 'last_error', type: 'text', nullable: true }) lastError: string | null;
  @Column({ type: 'text', nullable: true }) note: string | null;
  @Column({ type: 'jsonb', nullable: true }) fields: Record<string, unknown> | null;
  @Column({ name: 'idempotency_key', type: 'varchar', length: 200, nullable: true }) idempotencyKey: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
  @Column({ name: 'sent_at', type: 'timestamptz', nullable: true }) sentAt: Date | null;
  /** When the push of this action was first tried (since the last operator retry): PUSH_GIVE_UP_AFTER_MS counts from it. */
  @Column({ name: 'first_attempt_at', type: 'timestamptz', nullable: true }) firstAttemptAt: Date | null;
  /** `attempts` when an operator last retried it: PUSH_MAX_ATTEMPTS counts the attempts after that. */
  @Column({ name: 'attempts_at_retry', type: 'integer', default: 0 }) attemptsAtRetry: number;
}
