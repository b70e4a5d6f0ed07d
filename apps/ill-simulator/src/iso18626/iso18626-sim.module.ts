import { MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import { faultInjectionFor } from '../faults/fault-injection.middleware';
import { Iso18626Peer } from './iso18626-peer';
import { ISO18626_PEER_PATH, Iso18626PeerController, Iso18626SimController } from './iso18626-sim.controller';

export const ISO18626_SYSTEM = 'iso18626';

/** A simulated ISO 18626 lender: a peer endpoint that confirms our requestingAgencyMessages (with fault injection:
 *  500s and hangs through `/_sim/faults/iso18626`, dropped confirmations and ERRORs through `/_sim/iso18626/peer`),
 *  and a sender of lender messages to our endpoint. */
@Module({ controllers: [Iso18626PeerController, Iso18626SimController], providers: [Iso18626Peer] })
export class Iso18626SimModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(faultInjectionFor(ISO18626_SYSTEM)).forRoutes({ path: ISO18626_PEER_PATH, method: RequestMethod.POST });
  }
}
