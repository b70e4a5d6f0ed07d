import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export const NOTIFICATION_CHANNELS = ['EMAIL', 'WEBHOOK'] as const;
export type NotificationChannel = (typeof NOTIFICATION_CHANNELS)[number];
export const DELIVERY_STATUSES = ['PENDING', 'RETRYING', 'DELIVERED', 'FAILED'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** Who is told about a profile's events (`profile_id`), or about every profile's and the profile-less ones
 *  (`profile_id` null: the global default). An e-mail address or a webhook endpoint, whose signing secret is
 *  stored encrypted (shown once, at creation). `events` null: every event type. */
@Entity('notification_subscriber')
@Index('ix_notification_subscriber_profile', ['profileId'])
export class NotificationSubscriberEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ name: 'profile_id', type: 'uuid', nullable: true }) profileId: string | null;
  @ManyToOne('IntegrationProfileEntity', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'profile_id', foreignKeyConstraintName: 'fk_notification_subscriber_profile' })
  profile?: unknown;
  @Column({ type: 'varchar', length: 16 }) channel: NotificationChannel;
  @Column({ type: 'varchar', length: 200 }) name: string;
  @Column({ type: 'varchar', length: 320, nullable: true }) email: string | null;
  @Column({ type: 'varchar', length: 1000, nullable: true }) url: string | null;
  @Column({ name: 'secret_enc', type: 'text', nullable: true }) secretEnc: string | null;
  @Column({ type: 'jsonb', nullable: true }) events: string[] | null;
  @Column({ type: 'boolean', default: true }) active: boolean;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}

/** One event sent (or being sent) to one subscriber: the delivery log. One per subscriber and event id. */
@Entity('notification_delivery')
@Index('uq_notification_delivery_event', ['subscriberId', 'eventId'], { unique: true })
@Index('ix_notification_delivery_subscriber_created', ['subscriberId', 'createdAt'])
export class NotificationDeliveryEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ name: 'subscriber_id', type: 'uuid' }) subscriberId: string;
  @ManyToOne('NotificationSubscriberEntity', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'subscriber_id', foreignKeyConstraintName: 'fk_notification_delivery_subscriber' })
  subscriber?: unknown;
  @Column({ name: 'event_id', type: 'varchar', length: 300 }) eventId: string;
  @Column({ name: 'event_type', type: 'varchar', length: 32 }) eventType: string;
  /** The JSON body as sent (signed byte for byte). */
  @Column({ type: 'text' }) body: string;
  @Column({ type: 'varchar', length: 16, default: 'PENDING' }) status: DeliveryStatus;
  @Column({ type: 'integer', default: 0 }) attempts: number;
  @Column({ name: 'last_error', type: 'text', nullable: true }) lastError: string | null;
  /** The webhook receiver's last HTTP status. */
  @Column({ name: 'last_status_code', type: 'integer', nullable: true }) lastStatusCode: number | null;
  @Column({ name: 'delivered_at', type: 'timestamptz', nullable: true }) deliveredAt: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
