import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { Direction } from './enums';

export const SAVED_FILTER_VISIBILITIES = ['PRIVATE', 'SHARED'] as const;
export type SavedFilterVisibility = (typeof SAVED_FILTER_VISIBILITIES)[number];

/** A named request-list filter of one API key: PRIVATE (only its key sees it) or SHARED (every key sees it,
 *  only its key changes it). `filter` holds the list's query parameters (status, olderThanDays, sort, …). */
@Entity('saved_filter')
@Index('uq_saved_filter_name', ['apiKeyId', 'direction', 'name'], { unique: true })
export class SavedFilterEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ name: 'api_key_id', type: 'uuid' }) apiKeyId: string;
  @ManyToOne('ApiKeyEntity', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'api_key_id', foreignKeyConstraintName: 'fk_saved_filter_api_key' })
  apiKey?: unknown;
  @Column({ type: 'varchar', length: 10 }) direction: Direction;
  @Column({ type: 'varchar', length: 100 }) name: string;
  @Column({ type: 'varchar', length: 8, default: 'PRIVATE' }) visibility: SavedFilterVisibility;
  @Column({ type: 'jsonb', default: () => "'{}'" }) filter: Record<string, string>;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}

/** One row per request, the milestones of its history that the statistics read: kept by the statement-level
 *  trigger request_stats_from_events on request_event (migration DeskWorkQueues), so every writer of history
 *  keeps it. `createdMonth` is the first day of the UTC month the request was created in; the turnarounds are
 *  in seconds (null until both ends happened). */
@Entity('request_stats')
// (created_month, direction, partner_code) INCLUDE (…): created by the DeskWorkQueues migration (TypeORM cannot describe INCLUDE).
@Index('ix_request_stats_month', { synchronize: false })
export class RequestStatsEntity {
  @PrimaryColumn({ name: 'request_id', type: 'uuid' }) requestId: string;
  @ManyToOne('RequestEntity', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'request_id', foreignKeyConstraintName: 'fk_request_stats_request' })
  request?: unknown;
  @Column({ name: 'profile_id', type: 'uuid', nullable: true }) profileId: string | null;
  @Column({ type: 'varchar', length: 10 }) direction: Direction;
  @Column({ name: 'partner_code', type: 'varchar', length: 64, nullable: true }) partnerCode: string | null;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @Column({ name: 'created_month', type: 'date' }) createdMonth: string;
  @Column({ name: 'shipped_at', type: 'timestamptz', nullable: true }) shippedAt: Date | null;
  @Column({ name: 'received_at', type: 'timestamptz', nullable: true }) receivedAt: Date | null;
  /** The last time the request went to a rejected or cancelled status. */
  @Column({ name: 'unfilled_at', type: 'timestamptz', nullable: true }) unfilledAt: Date | null;
  @Column({ name: 'ship_secs', type: 'integer', nullable: true }) shipSecs: number | null;
  @Column({ name: 'receive_secs', type: 'integer', nullable: true }) receiveSecs: number | null;
}
