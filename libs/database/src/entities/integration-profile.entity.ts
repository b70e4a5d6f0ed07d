import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn, VersionColumn } from 'typeorm';
import type { DayOfWeek, Granularity, ProfileSystem, ScheduleType } from './enums';

/** One connection to one external system (product.md §2). The secret (Libris api key, NACSIS or
 *  Netpunkt password) is stored encrypted in `secret_enc`; it is never returned. */
@Entity('integration_profile')
export class IntegrationProfileEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Index('uq_integration_profile_code', { unique: true })
  @Column({ type: 'varchar', length: 64 }) code: string;
  @Column({ type: 'varchar', length: 200 }) name: string;
  @Column({ name: 'integration_type', type: 'varchar', length: 32, default: 'RESOURCE_SHARING' }) integrationType: string;
  @Column({ type: 'text', nullable: true }) description: string | null;
  @Index('ix_integration_profile_system')
  @Column({ type: 'varchar', length: 16 }) system: ProfileSystem;
  @Column({ name: 'base_url', type: 'varchar', length: 500, nullable: true }) baseUrl: string | null;
  @Column({ name: 'library_code', type: 'varchar', length: 64 }) libraryCode: string;
  @Column({ name: 'resource_sharing_library_code', type: 'varchar', length: 64 }) resourceSharingLibraryCode: string;
  @Column({ name: 'auth_enabled', type: 'boolean', default: false }) authEnabled: boolean;
  @Column({ name: 'auth_user_id', type: 'varchar', length: 200, nullable: true }) authUserId: string | null;
  @Column({ name: 'secret_enc', type: 'text', nullable: true }) secretEnc: string | null;
  @Column({ type: 'boolean', default: true }) active: boolean;
  @Column({ name: 'harvest_start_date', type: 'varchar', length: 32, nullable: true }) harvestStartDate: string | null;
  @Column({ type: 'varchar', length: 8, default: 'DAY' }) granularity: Granularity;
  @Column({ name: 'schedule_type', type: 'varchar', length: 16, default: 'NOT_SCHEDULED' }) scheduleType: ScheduleType;
  @Column({ name: 'schedule_time', type: 'varchar', length: 5, nullable: true }) scheduleTime: string | null;
  @Column({ name: 'schedule_day_of_week', type: 'varchar', length: 3, nullable: true }) scheduleDayOfWeek: DayOfWeek | null;
  @Column({ name: 'schedule_every_minutes', type: 'integer', nullable: true }) scheduleEveryMinutes: number | null;
  @Column({ name: 'schedule_timezone', type: 'varchar', length: 64, default: 'UTC' }) scheduleTimezone: string;
  /** Where the last successful run stopped harvesting (the end of its window). */
  @Column({ name: 'harvest_cursor', type: 'timestamptz', nullable: true }) harvestCursor: Date | null;
  /** Cursors of the parts of a harvest that advance on their own (NACSIS-ILL: one per database, the last day
   *  `YYYY-MM-DD` read completely), so that one part failing does not hold the others back. */
  @Column({ name: 'harvest_cursors', type: 'jsonb', default: () => "'{}'" }) harvestCursors: Record<string, string>;
  /** ISO 18626 channel (an ISO18626 profile, or the lenders of a Netpunkt profile): the peer's endpoint, our agency
   *  id, the peer's agency id (null: any, e.g. DBC's service relaying every lender) and the shared secret (encrypted). */
  @Column({ name: 'iso18626_endpoint_url', type: 'varchar', length: 500, nullable: true }) iso18626EndpointUrl: string | null;
  @Column({ name: 'iso18626_agency_id', type: 'varchar', length: 64, nullable: true }) iso18626AgencyId: string | null;
  @Column({ name: 'iso18626_peer_agency_id', type: 'varchar', length: 64, nullable: true }) iso18626PeerAgencyId: string | null;
  @Column({ name: 'iso18626_secret_enc', type: 'text', nullable: true }) iso18626SecretEnc: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
  @VersionColumn() version: number;
}

/** Per profile: local library code ↔ external library code (sigel, NACSIS participant id, ISIL). */
@Entity('library_mapping')
@Index('uq_library_mapping_local', ['profileId', 'libraryCode'], { unique: true })
@Index('uq_library_mapping_external', ['profileId', 'externalLibraryCode'], { unique: true })
export class LibraryMappingEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ name: 'profile_id', type: 'uuid' }) profileId: string;
  @ManyToOne('IntegrationProfileEntity', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'profile_id', foreignKeyConstraintName: 'fk_library_mapping_profile' })
  profile?: unknown;
  @Column({ name: 'library_code', type: 'varchar', length: 64 }) libraryCode: string;
  @Column({ name: 'external_library_code', type: 'varchar', length: 64 }) externalLibraryCode: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
