import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** A local library; only resource sharing libraries own requests. */
@Entity('library')
export class LibraryEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 }) code: string;
  @Column({ type: 'varchar', length: 300 }) name: string;
  @Column({ name: 'resource_sharing', type: 'boolean', default: false }) resourceSharing: boolean;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
