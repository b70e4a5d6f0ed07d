import { MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import { faultInjectionFor } from '../faults/fault-injection.middleware';
import { NacsisCallLog, NacsisRawBodyMiddleware } from './nacsis-call-log';
import { NacsisCatpServer } from './nacsis-catp-server';
import { NacsisCatpController } from './nacsis-catp.controller';
import { NacsisControlController } from './nacsis-control.controller';
import { NacsisStore } from './nacsis-store';
import { NacsisCatalog } from './nacsis-catalog';

export const NACSIS_SYSTEM = 'nacsis';

/** The simulated NACSIS-ILL: a CATP server at `POST /nacsis/catp`, test control at `/_sim/nacsis`,
 *  HTTP faults at `/_sim/faults/nacsis`. */
@Module({
  controllers: [NacsisCatpController, NacsisControlController],
  providers: [NacsisStore, NacsisCatpServer, NacsisCallLog, NacsisCatalog],
  exports: [NacsisStore],
})
export class NacsisSimulatorModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    // The body is read and the call logged first, so that faulty calls show in the call log too.
    // One path pattern, so that each middleware runs once per call.
    consumer.apply(NacsisRawBodyMiddleware, faultInjectionFor(NACSIS_SYSTEM)).forRoutes({ path: 'nacsis/*path', method: RequestMethod.ALL });
  }
}
