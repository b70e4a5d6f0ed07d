import { Global, Module } from '@nestjs/common';
import { FaultsController } from './faults.controller';
import { FaultsService } from './faults.service';

/** Fault injection for every simulated system: apply `faultInjectionFor(system)` to its routes. */
@Global()
@Module({ controllers: [FaultsController], providers: [FaultsService], exports: [FaultsService] })
export class FaultsModule {}
