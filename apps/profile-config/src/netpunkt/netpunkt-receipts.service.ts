import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In } from 'typeorm';
import { safeEqual, SecretBox } from '@illbridge/common';
import { agencyIdVariants, NetpunktReceipt, parseReceipt, ReceiptStatus, redactReceipt } from '@illbridge/connectors/netpunkt';
import { IntegrationProfileEntity, JobRunEntity, LibraryEntity, LibraryMappingEntity, NetpunktReceiptEntity } from '@illbridge/database/entities';
import { ImportJobs, importJobId, importJobName } from '@illbridge/queues';

export interface ReceiptOutcome {
  status: ReceiptStatus;
  message: string;
}

/** Removes what must never be stored in clear from the XML kept for audit: the password, and the
 *  user id when it is a CPR number. */
export function redactReceiptXml(xml: string, receipt: NetpunktReceipt): string {
  let out = xml.replace(/(<([\w.-]+:)?authenticationPassword\b[^>]*>)[\s\S]*?(<\/([\w.-]+:)?authenticationPassword>)/g, '$1[redacted]$3');
  if (String(receipt.order.userIdType ?? '').toLowerCase() === 'cpr' || /^\d{6}-?\d{4}$/.test(String(receipt.order.userId ?? ''))) {
    out = out.replace(/(<([\w.-]+:)?userId\b[^>]*>)[\s\S]*?(<\/([\w.-]+:)?userId>)/g, '$1[redacted]$3');
  }
  return out;
}

/** Netpunkt order receipts (netpunkt.md): authenticate against the Netpunkt profile of the receipt's
 *  requester, validate, store durably, enqueue the import — and answer as DBC expects. */
@Injectable()
export class NetpunktReceiptsService {
  private readonly logger = new Logger(NetpunktReceiptsService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly importJobs: ImportJobs,
    private readonly secrets: SecretBox,
  ) {}

  async receive(xml: string): Promise<ReceiptOutcome> {
    const parsed = parseReceipt(xml);
    if (!parsed.ok) return { status: 'incomplete_request', message: parsed.problems.join('; ') };
    const receipt = parsed.receipt;
    const order = receipt.order;
    try {
      const profile = await this.profileFor(order.requesterId, order.requesterIdType);
      if (!profile) return { status: 'fatal_internal_error', message: `No active Netpunkt profile for requester ${order.requesterId}` };
      const expected = profile.secretEnc ? this.secrets.decrypt(profile.secretEnc) : null;
      if (!expected || !safeEqual(expected, receipt.authenticationPassword ?? '')) {
        this.logger.warn(`Receipt for order ${order.orderId} refused: authentication failed`);
        return { status: 'fatal_internal_error', message: 'authentication failed' };
      }
      if (!(await this.pickupResolves(profile.id, order.pickUpAgencyId, order.pickUpAgencyIdType))) {
        return { status: 'fatal_internal_error', message: `Pickup agency ${order.pickUpAgencyId} is not mapped to a library of profile ${profile.code}` };
      }
      return await this.store(profile, receipt, xml);
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

  private async pickupResolves(profileId: string, agencyId: string, type: string) {
    const variants = agencyIdVariants(agencyId, type as any);
    const mapped = await this.dataSource.getRepository(LibraryMappingEntity).exists({ where: { profileId, externalLibraryCode: In(variants) } });
    return mapped || this.dataSource.getRepository(LibraryEntity).exists({ where: { code: In(variants) } });
  }

  /** The receipt and its INBOUND run in one transaction, then the job. `ok` is answered only once
   *  the job is queued; if the queue store is down the receipt and run are taken back, so DBC's resend
   *  finds nothing half-stored. (A run whose job was lost anyway is re-enqueued by the worker at start-up.) */
  private async store(profile: IntegrationProfileEntity, receipt: NetpunktReceipt, xml: string): Promise<ReceiptOutcome> {
    const duplicate = await this.dataSource.getRepository(NetpunktReceiptEntity).exists({ where: { receiptUuid: receipt.orderReceiptUuid } });
    if (duplicate) return { status: 'ok', message: `Receipt ${receipt.orderReceiptUuid} was accepted already` };
    const jobName = importJobName(profile.name);
    const run = await this.dataSource.transaction(async (manager) => {
      const created = await manager.getRepository(JobRunEntity).save(
        manager.getRepository(JobRunEntity).create({ profileId: profile.id, jobName, trigger: 'INBOUND', state: 'PENDING', stage: 'QUEUED' }),
      );
      created.queueJobId = importJobId(created.id);
      await manager.getRepository(JobRunEntity).update({ id: created.id }, { queueJobId: created.queueJobId });
      await manager.getRepository(NetpunktReceiptEntity).insert({
        profileId: profile.id,
        receiptUuid: receipt.orderReceiptUuid,
        orderId: receipt.order.orderId,
        requesterId: receipt.order.requesterId,
        receipt: redactReceipt(receipt) as any,
        rawXml: redactReceiptXml(xml, receipt),
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
