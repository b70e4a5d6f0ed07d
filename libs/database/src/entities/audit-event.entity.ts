import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** Who did what, and when: every staff action and every change of configuration (profiles, library-code
 *  mappings, partners, libraries, API keys). The actor is the API key (its id and its name at the time: a
 *  deleted key's events keep its name). `before`/`after`: for configuration, the changed fields, secrets
 *  masked; for actions, what was asked and what came of it (in `after`). */
@Entity('audit_event')
@Index('ix_audit_event_at', ['at'])
@Index('ix_audit_event_entity', ['entityType', 'entityId', 'at'])
@Index('ix_audit_event_actor', ['actorKeyId', 'at'])
export class AuditEventEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint' }) id: string;
  @CreateDateColumn({ type: 'timestamptz' }) at: Date;
  @Column({ name: 'actor_key_id', type: 'uuid', nullable: true }) actorKeyId: string | null;
  @Column({ name: 'actor_key_name', type: 'varchar', length: 200, nullable: true }) actorKeyName: string | null;
  @Column({ name: 'actor_role', type: 'varchar', length: 16, nullable: true }) actorRole: string | null;
  @Column({ type: 'varchar', length: 40 }) action: string;
  @Column({ name: 'entity_type', type: 'varchar', length: 40 }) entityType: string;
  @Column({ name: 'entity_id', type: 'varchar', length: 200, nullable: true }) entityId: string | null;
  @Column({ type: 'jsonb', nullable: true }) before: Record<string, unknown> | null;
  @Column({ type: 'jsonb', nullable: true }) after: Record<string, unknown> | null;
}

/** One run of the personal data retention job (RETENTION_DAYS): how many closed requests lost their
 *  requester name, patron id and raw record. */
@Entity('retention_run')
@Index('ix_retention_run_started', ['startedAt'])
export class RetentionRunEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @CreateDateColumn({ name: 'started_at', type: 'timestamptz' }) startedAt: Date;
  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true }) finishedAt: Date | null;
  @Column({ name: 'retention_days', type: 'integer' }) retentionDays: number;
  /** Requests closed before this instant were purged. */
  @Column({ name: 'closed_before', type: 'timestamptz' }) closedBefore: Date;
  @Column({ name: 'requests_purged', type: 'integer', default: 0 }) requestsPurged: number;
  @Column({ name: 'receipts_purged', type: 'integer', default: 0 }) receiptsPurged: number;
  @Column({ type: 'text', nullable: true }) error: string | null;
}
