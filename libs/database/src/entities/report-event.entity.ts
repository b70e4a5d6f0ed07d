import { CreateDateColumn, Column, Entity, PrimaryColumn } from 'typeorm';

/** Report events reporting has applied, by id: a redelivered event is applied once. */
@Entity('report_event')
export class ReportEventEntity {
  @PrimaryColumn({ type: 'varchar', length: 200 }) id: string;
  @Column({ type: 'varchar', length: 32 }) type: string;
  @CreateDateColumn({ name: 'applied_at', type: 'timestamptz' }) appliedAt: Date;
}
