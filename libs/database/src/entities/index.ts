export * from './enums';
export * from './api-key.entity';
export * from './library.entity';
export * from './partner.entity';
export * from './integration-profile.entity';
export * from './request.entity';
export * from './job-run.entity';
export * from './outbound-action.entity';
export * from './netpunkt-receipt.entity';
export * from './report-event.entity';
export * from './audit-event.entity';
export * from './notification.entity';
export * from './desk.entity';
export * from './iso18626-message.entity';
import { ApiKeyEntity } from './api-key.entity';
import { AuditEventEntity, RetentionRunEntity } from './audit-event.entity';
import { RequestStatsDirtyEntity, RequestStatsEntity, RequestStatsMonthEntity, SavedFilterEntity } from './desk.entity';
import { IntegrationProfileEntity, LibraryMappingEntity } from './integration-profile.entity';
import { Iso18626MessageEntity } from './iso18626-message.entity';
import { JobRunEntity, RecordEventEntity } from './job-run.entity';
import { LibraryEntity } from './library.entity';
import { NetpunktReceiptEntity } from './netpunkt-receipt.entity';
import { NotificationDeliveryEntity, NotificationSubscriberEntity } from './notification.entity';
import { OutboundActionEntity } from './outbound-action.entity';
import { PartnerEntity } from './partner.entity';
import { ReportEventEntity } from './report-event.entity';
import { RequestEntity, RequestEventEntity } from './request.entity';

/** Every entity, listed explicitly (no globbing: works the same from source and from dist). */
export const ENTITIES = [
  ApiKeyEntity, LibraryEntity, PartnerEntity, IntegrationProfileEntity, LibraryMappingEntity,
  RequestEntity, RequestEventEntity, JobRunEntity, RecordEventEntity, OutboundActionEntity, NetpunktReceiptEntity, ReportEventEntity,
  AuditEventEntity, RetentionRunEntity,
  NotificationSubscriberEntity, NotificationDeliveryEntity,
  SavedFilterEntity, RequestStatsEntity, RequestStatsMonthEntity, RequestStatsDirtyEntity,
  Iso18626MessageEntity,
];
