import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { Role } from './enums';

/** An API key; only its SHA-256 hash is stored, the key itself is shown once at creation. A revoked
 *  key is deleted, except the bootstrap key, which is kept with `revokedAt` set. */
@Entity('api_key')
export class ApiKeyEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ type: 'varchar', length: 200 }) name: string;
  @Column({ type: 'varchar', length: 16 }) role: Role;
  @Index('uq_api_key_hash', { unique: true })
  @Column({ name: 'key_hash', type: 'char', length: 64 }) keyHash: string;
  @Column({ name: 'key_prefix', type: 'varchar', length: 12 }) keyPrefix: string;
  @Column({ type: 'boolean', default: false }) bootstrap: boolean;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @Column({ name: 'last_used_at', type: 'timestamptz', nullable: true }) lastUsedAt: Date | null;
  /** Set when a bootstrap key is revoked: the row stays, so BOOTSTRAP_ADMIN_KEY cannot create it again. */
  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true }) revokedAt: Date | null;
}
