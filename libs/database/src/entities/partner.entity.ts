import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { PartnerSystem } from './enums';

/** Another institution. The code is unique ignoring case: `code_key` holds it lower-cased. */
@Entity('partner')
export class PartnerEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ type: 'varchar', length: 64 }) code: string;
  @Index('uq_partner_code_key', { unique: true })
  @Column({ name: 'code_key', type: 'varchar', length: 64 }) codeKey: string;
  @Column({ type: 'varchar', length: 300 }) name: string;
  @Column({ type: 'varchar', length: 16 }) system: PartnerSystem;
  @Column({ type: 'boolean', default: true }) active: boolean;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
