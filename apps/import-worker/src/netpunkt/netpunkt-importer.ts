import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { mapReceipt, NetpunktReceipt } from '@illbridge/connectors/netpunkt';
import { resolveNetpunktOrder } from '@illbridge/database/resolvers';
import { NetpunktReceiptEntity } from '@illbridge/database/entities';
import type { Importer } from '../runs/importer';
import type { RequestWriter } from '../runs/request-writer';
import { ImportOutcome, RunContext, RunFailure } from '../runs/run-context';
import { RunProgress } from '../runs/run-progress';

/** Imports the one Netpunkt receipt of an INBOUND run as a borrowing request (netpunkt.md §3).
 *  The same order again (a resend with a new uuid: same orderId and requesterId) updates the same request; `originalOrderId`
 *  links the request it replaces. */
@Injectable()
export class NetpunktImporter implements Importer {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly progress: RunProgress,
  ) {}

  async run(ctx: RunContext, writer: RequestWriter): Promise<ImportOutcome> {
    const stored = await this.dataSource.getRepository(NetpunktReceiptEntity).findOne({ where: { jobRunId: ctx.run.id } });
    if (!stored) throw new RunFailure('RECEIPT_NOT_FOUND', `No Netpunkt receipt belongs to run ${ctx.run.id}`);
    const receipt = stored.receipt as unknown as NetpunktReceipt;
    const mapped = mapReceipt(receipt);
    const request = mapped.request;
    // Judged as the endpoint judged it before answering `ok` (resolveNetpunktOrder); the pickup agency may be
    // mapped as DK-710100, dk-710100 or 710100: the spelling that resolves is used. Unresolved, the request
    // writer fails the record LIBRARY_NOT_MAPPED (an operator can re-import the receipt after fixing the mapping).
    const resolution = resolveNetpunktOrder(ctx.profile, receipt.order, ctx.libraries);
    if (resolution.ok) request.externalLibraryCode = resolution.pickupExternalCode;
    // What only identifies the message (uuid, tracking, resend date) is not part of the request's content.
    const { orderReceiptUuid, trackingId, ...content } = (request.raw ?? {}) as Record<string, any>;
    if (content.order) {
      const { resendToRequesterDate, ...order } = content.order;
      content.order = order;
    }
    request.raw = content;
    const tracker = this.progress.start(ctx, 'HARVESTING');
    await tracker.write(writer, [mapped]);
    if (mapped.replacedExternalId) await writer.linkReplacement(ctx, request.externalId, mapped.replacedExternalId);
    await tracker.flush();
    return { cursor: null, windowFrom: null, windowTo: null, failures: [] };
  }
}
