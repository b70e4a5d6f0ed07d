import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In } from 'typeorm';
import { MetricsService, safeEqual, SecretBox } from '@illbridge/common';
import { agencyIdVariants, NetpunktReceipt, normalizeAgencyId, readReceipt, ReceiptStatus, redactedReceiptXml, redactReceipt } from '@illbridge/connectors/netpunkt';
import { LibraryResolver, resolveNetpunktOrder } from '@illbridge/database/resolvers';
import type { XmlElement } from '@illbridge/connectors/netpunkt/xml';
import { IntegrationProfileEntity, JobRunEntity, NetpunktReceiptEntity } from '@illbridge/database/entities';
import { ImportJobs, importJobId, importJobName } from '@illbridge/queues';
import { netpunktRefusedEvent, Notifier } from '@illbridge/notifications';
import { NetpunktThrottle } from './netpunkt-throttle';

/** The receiptResponse to answer, or (`soapFault`) a SOAP 1.1 Fault instead: the message could not be read as SOAP. */
export type ReceiptOutcome = { status: ReceiptStatus; message: string; soapFault?: undefined } | { soapFault: { message: string; tooLarge: boolean } };

/** The one answer to an unknown requester and to a wrong or missing password alike, so that the
 *  answer tells a guesser nothing about which requesters exist. */
export const AUTHENTICATION_FAILED = 'authentication failed';
/** The answer while an address or requester has used up its failed attempts (netpunkt-throttle.ts):
 *  nothing is checked, and DBC resends later. */
export const TOO_MANY_FAILURES = 'Too many failed authentications; please resend later';

/** Netpunkt order receipts (netpunkt.md): authenticate against the Netpunkt profile of the receipt's
 *  requester, validate, store durably, enqueue the import — and answer as DBC expects. */
@Injectable()
export class NetpunktReceiptsService {
  private readonly logger = new Logger(NetpunktReceiptsService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly importJobs: ImportJobs,
    private readonly secrets: SecretBox,
    private readonly throttle: NetpunktThrottle,
    private readonly metrics: MetricsService,
    private readonly notifier: Notifier,
  ) {}

  private readonly withoutProfile = () =>
    this.metrics.counter('illbridge_netpunkt_receipts_without_profile_total', 'Netpunkt receipts whose requesterId and pickUpAgencyId both match no active Netpunkt profile');

  /** `address` is the sender's IP address, for the throttle of failed authentications. */
  async receive(xml: string, address = 'unknown'): Promise<ReceiptOutcome> {
    const parsed = readReceipt(xml);
    if (!parsed.ok) await this.notifier.notify(netpunktRefusedEvent(null, null, `unreadable receipt: ${parsed.problems.join('; ')}`));
    if (!parsed.ok && parsed.status === 'soap_fault') return { soapFault: { message: `The message cannot be read: ${parsed.problems.join('; ')}`, tooLarge: parsed.tooLarge } };
    if (!parsed.ok) return { status: 'incomplete_request', message: parsed.problems.join('; ') };
    const receipt = parsed.receipt;
    const order = receipt.order;
    const requester = normalizeAgencyId(order.requesterId, order.requesterIdType as any).toUpperCase();
    try {
      if (await this.throttle.blocked(address, requester).catch(() => false)) {
        this.logger.warn(`Receipt for order ${order.orderId} not checked: too many failed authentications from ${address} or for requester ${requester}`);
        return { status: 'temporary_error_please_resend', message: TOO_MANY_FAILURES };
      }
      // DBC lets a library send its main library's ISIL as requesterId, with the actual sender as pickup agency.
      const profile = (await this.profileFor(order.requesterId, order.requesterIdType)) ?? (await this.profileFor(order.pickUpAgencyId, order.pickUpAgencyIdType));
      if (!profile) this.withoutProfile().inc();
      const expected = profile?.secretEnc ? this.secrets.decrypt(profile.secretEnc) : null;
      // Compared even without a profile, so that an unknown requester takes as long as a wrong password.
      const matches = safeEqual(expected ?? '\u0000no profile\u0000', receipt.authenticationPassword ?? '');
      if (!profile || !expected || !matches) {
        await this.throttle.failed(address, requester);
        if (!profile || !expected) await this.notifier.notify(netpunktRefusedEvent(profile?.id ?? null, order.orderId, profile ? `profile ${profile.code} has no password set` : `no active Netpunkt profile for requester ${requester} nor pickup agency ${order.pickUpAgencyId}`));
        this.logger.warn(`Receipt for order ${order.orderId} refused: ${profile ? 'wrong or missing password' : `no active Netpunkt profile for requester ${requester} nor pickup agency ${order.pickUpAgencyId}`}`);
        return { status: 'fatal_internal_error', message: AUTHENTICATION_FAILED };
      }
      if (await this.dataSource.getRepository(NetpunktReceiptEntity).exists({ where: { receiptUuid: receipt.orderReceiptUuid } })) {
        return { status: 'ok', message: `Receipt ${receipt.orderReceiptUuid} was accepted already` };
      }
      // Judged as the import will judge it (resolveNetpunktOrder): never `ok` for a receipt that cannot become a request.
      const resolution = resolveNetpunktOrder(profile, order, await LibraryResolver.load(this.dataSource, profile.id));
      if (!resolution.ok) {
        this.logger.warn(`Receipt for order ${order.orderId} refused, nothing stored: ${resolution.message}`);
        await this.notifier.notify(netpunktRefusedEvent(profile.id, order.orderId, resolution.message));
        return { status: 'fatal_internal_error', message: resolution.message };
      }
      return await this.store(profile, receipt, parsed.document);
    } catch (error: any) {
      // Postgres or Redis unavailable: nothing was kept, DBC sends the receipt again later.
      this.logger.error(`Receipt for order ${order.orderId} not accepted now: ${error.message}`);
      return { status: 'temporary_error_please_resend', message: 'A passing fault; please resend' };
    }
  }

  private async profileFor(requesterId: string, type: string) {
    const profiles = await this.dataSource.getRepository(IntegrationProfileEntity).find({
      where: { system: 'NETPUNKT', active: true, libraryCode: In(agencyIdVariants(requesterId, type as any)) },
    });
    return profiles[0] ?? null;
  }

  /** The receipt and its INBOUND run in one transaction, then the job. `ok` is answered only once
   *  the job is queued; if the queue store is down the receipt and run are taken back, so DBC's resend
   *  finds nothing half-stored. (A run whose job was lost anyway is re-enqueued by the worker at start-up.) */
  private async store(profile: IntegrationProfileEntity, receipt: NetpunktReceipt, document: XmlElement): Promise<ReceiptOutcome> {
    const run = await this.dataSource.transaction(async (manager) => {
      const created = await createInboundRun(manager, profile);
      await manager.getRepository(NetpunktReceiptEntity).insert({
        profileId: profile.id,
        receiptUuid: receipt.orderReceiptUuid,
        orderId: receipt.order.orderId,
        requesterId: receipt.order.requesterId,
        receipt: redactReceipt(receipt) as any,
        rawXml: redactedReceiptXml(document, receipt),
        jobRunId: created.id,
      });
      return created;
    });
    try {
      await this.importJobs.enqueueRun(run);
    } catch (error) {
      await this.dataSource.transaction(async (manager) => {
        await manager.getRepository(NetpunktReceiptEntity).delete({ jobRunId: run.id });
        await manager.getRepository(JobRunEntity).delete({ id: run.id });
      });
      throw error;
    }
    return { status: 'ok', message: `Receipt for order ${receipt.order.orderId} accepted` };
  }
}

/** A PENDING INBOUND run of a Netpunkt profile, with its queue job id: the import of one stored receipt
 *  (the receipt's `jobRunId` names it). The caller enqueues it once the transaction is committed. */
export async function createInboundRun(manager: EntityManager, profile: IntegrationProfileEntity): Promise<JobRunEntity> {
  const runs = manager.getRepository(JobRunEntity);
  const created = await runs.save(runs.create({ profileId: profile.id, jobName: importJobName(profile.name), trigger: 'INBOUND', state: 'PENDING', stage: 'QUEUED' }));
  created.queueJobId = importJobId(created.id);
  await runs.update({ id: created.id }, { queueJobId: created.queueJobId });
  return created;
}
