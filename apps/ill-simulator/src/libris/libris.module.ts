import { MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import { faultInjectionFor } from '../faults/fault-injection.middleware';
import { LibrisApiController } from './libris-api.controller';
import { LibrisApiKeyGuard } from './libris-api-key.guard';
import { LibrisCallLog, LibrisCallLogMiddleware } from './libris-call-log';
import { LibrisControlController } from './libris-control.controller';
import { LibrisStore } from './libris-store';

export const LIBRIS_SYSTEM = 'libris';

@Module({
  controllers: [LibrisApiController, LibrisControlController],
  providers: [LibrisStore, LibrisCallLog, LibrisApiKeyGuard],
  exports: [LibrisStore],
})
export class LibrisSimulatorModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    // Logged first, so that calls answered by a simulated fault show in the call log too.
    // One path pattern, not the controller: per-route registration would run them twice for a path
    // that matches two routes (`outgoing` and `:id`).
    consumer.apply(LibrisCallLogMiddleware, faultInjectionFor(LIBRIS_SYSTEM)).forRoutes({ path: 'libris/api/*path', method: RequestMethod.ALL });
  }
}
