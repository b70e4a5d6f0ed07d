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

/** The statistics of one month of request creation, computed from request_stats (StatisticsService.refresh) for
 *  every combination the API answers: per profile or all profiles (`allProfiles`), per partner or all partners
 *  (`allPartners`). Percentiles do not add up, so each combination is computed, not summed. */
@Entity('request_stats_month')
@Index('ix_request_stats_month_month', ['createdMonth'])
export class RequestStatsMonthEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint' }) id: string;
  @Column({ name: 'created_month', type: 'date' }) createdMonth: string;
  @Column({ type: 'varchar', length: 10 }) direction: Direction;
  @Column({ name: 'all_profiles', type: 'boolean' }) allProfiles: boolean;
  @Column({ name: 'profile_id', type: 'uuid', nullable: true }) profileId: string | null;
  @Column({ name: 'all_partners', type: 'boolean' }) allPartners: boolean;
  @Column({ name: 'partner_code', type: 'varchar', length: 64, nullable: true }) partnerCode: string | null;
  @Column({ type: 'integer' }) created: number;
  @Column({ type: 'integer' }) filled: number;
  @Column({ type: 'integer' }) unfilled: number;
  @Column({ name: 'ship_p50', type: 'double precision', nullable: true }) shipP50: number | null;
  @Column({ name: 'ship_p90', type: 'double precision', nullable: true }) shipP90: number | null;
  @Column({ name: 'receive_p50', type: 'double precision', nullable: true }) receiveP50: number | null;
  @Column({ name: 'receive_p90', type: 'double precision', nullable: true }) receiveP90: number | null;
}

/** The (month, direction, profile, partner) groups whose request_stats rows changed since request_stats_month was
 *  computed for them: marked by the request_event trigger (migration StatisticsGroups), taken away by the refresh
 *  that recomputes them. A key may be marked several times until then. */
@Entity('request_stats_dirty')
@Index('ix_request_stats_dirty_month', ['createdMonth'])
export class RequestStatsDirtyEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', primaryKeyConstraintName: 'PK_request_stats_dirty_id' }) id: string;
  @Column({ name: 'created_month', type: 'date' }) createdMonth: string;
  @Column({ type: 'varchar', length: 10 }) direction: Direction;
  @Column({ name: 'profile_id', type: 'uuid', nullable: true }) profileId: string | null;
  @Column({ name: 'partner_code', type: 'varchar', length: 64, nullable: true }) partnerCode: string | null;
}
