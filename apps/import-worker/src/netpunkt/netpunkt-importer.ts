import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { agencyIdVariants, mapReceipt, NetpunktReceipt } from '@illbridge/connectors/netpunkt';
import { NetpunktReceiptEntity } from '@illbridge/database/entities';
import { BatchSink } from '../runs/request-writer';
import { Importer, ImportOutcome, RunContext, RunFailure } from '../runs/run-context';
import { RunProgress } from '../runs/run-progress';

/** Imports the one Netpunkt receipt of an INBOUND run as a borrowing request (netpunkt.md §3).
 *  The same order again (a resend with a new uuid) updates the same request; `originalOrderId`
 *  links the request it replaces. */
@Injectable()
export class NetpunktImporter implements Importer {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly progress: RunProgress,
  ) {}

  async run(ctx: RunContext, sink: BatchSink): Promise<ImportOutcome> {
    const stored = await this.dataSource.getRepository(NetpunktReceiptEntity).findOne({ where: { jobRunId: ctx.run.id } });
    if (!stored) throw new RunFailure('RECEIPT_NOT_FOUND', `No Netpunkt receipt belongs to run ${ctx.run.id}`);
    const receipt = stored.receipt as unknown as NetpunktReceipt;
    const mapped = mapReceipt(receipt);
    const request = mapped.request;
    // The pickup agency may be mapped as DK-710100, dk-710100 or 710100: use the spelling that resolves.
    const pickup = agencyIdVariants(receipt.order.pickUpAgencyId, receipt.order.pickUpAgencyIdType).find((code) => ctx.libraries.resolve(code));
    if (pickup) request.externalLibraryCode = pickup;
    // What only identifies the message (uuid, tracking, resend date) is not part of the request's content.
    const { orderReceiptUuid, trackingId, ...content } = (request.raw ?? {}) as Record<string, any>;
    if (content.order) {
      const { resendToRequesterDate, ...order } = content.order;
      content.order = order;
    }
    request.raw = content;
    const tracker = this.progress.start(ctx, 'HARVESTING');
    await tracker.write(sink, [mapped]);
    if (mapped.originalOrderId) {
      await this.dataSource.query(
        `UPDATE rs_request r SET replaces_request_id = o.id
           FROM rs_request o
          WHERE r.profile_id = $1 AND r.direction = 'BORROWING' AND r.external_id = $2
            AND o.profile_id = $1 AND o.direction = 'BORROWING' AND o.external_id = $3`,
        [ctx.profile.id, request.externalId, mapped.originalOrderId],
      );
    }
    await tracker.flush();
    return { cursor: null, windowFrom: null, windowTo: null, failures: [] };
  }
}
